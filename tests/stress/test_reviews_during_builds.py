"""Stress: 200 review saves from one process while 20 builds run and another process reads.

Project issue 7. Process A saves reviews through ``smartloop.app_actions`` exactly as the
Review queue page does; builds run back to back, each ``smartloop build`` in its own process
(as the Rebuild page starts it); process C reads through the app's ``smartloop.queries``
functions the whole time. Done when no review is lost and no read fails.

The landing folder is a deterministic subset of the embedded demo (the first
``ITEMS_PER_FILE`` items of each file and their annotations): a full demo build takes
~37 s here, so 20 of them alone would exceed the test's 10-minute budget. Run it with
``make stress`` (it is excluded from ``make test``).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smartloop import paths
from tests.conftest import query, run_cli
from tests.stress.workers import make_landing

pytestmark = pytest.mark.stress

N_BUILDS = 20
N_REVIEWS = 200
ITEMS_PER_FILE = 60
RELABEL_SHARE = 0.4
SEED = 7
ENV = {"SMARTLOOP_PSEUDONYM_KEY": "stress-test-key"}


def timed_build(landing: Path, home: Path) -> tuple[subprocess.CompletedProcess, float]:
    """One ``smartloop build`` in a child process (it waits for the build lock if held)."""
    started = time.monotonic()
    result = run_cli("build", "--landing", str(landing), "--home", str(home), env=ENV)
    return result, time.monotonic() - started


def review_plan(items: list[tuple[str, str]], labels: list[str]) -> list[dict[str, str]]:
    """N_REVIEWS distinct items, each confirmed (its label) or relabelled (another label)."""
    rng = random.Random(SEED)
    plan = []
    for item_id, label in rng.sample(items, N_REVIEWS):
        if rng.random() < RELABEL_SHARE:
            new_label = rng.choice([other for other in labels if other != label])
            plan.append({"item_id": item_id, "action": "relabel", "label": new_label})
        else:
            plan.append({"item_id": item_id, "action": "confirm", "label": label})
    return plan


def worker(home: Path, log: Path, *args: str) -> subprocess.Popen:
    """``python -m tests.stress.workers ARGS`` in its own process, reading ``home``."""
    env = {**os.environ, **ENV, "SMARTLOOP_HOME": str(home)}
    env.pop("SMARTLOOP_LANDING_DIR", None)
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.stress.workers", *args],
            cwd=paths.PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_no_review_lost_and_no_read_failed_during_builds(tmp_path: Path) -> None:
    test_started = time.monotonic()
    landing = make_landing(tmp_path / "landing", paths.DEMO_LANDING_DIR, ITEMS_PER_FILE)
    home = tmp_path / "home"
    first, first_seconds = timed_build(landing, home)
    assert first.returncode == 0, first.stdout + first.stderr
    items = query(home, "select item_id, label from dim_items where label is not null")
    labels = sorted({label for _, label in items})
    ((n_items,),) = query(home, "select count(*) from dim_items")
    plan = review_plan(sorted(items), labels)
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")

    stop = tmp_path / "stop-reading"
    reader = worker(
        home, tmp_path / "reader.log", "reader", "--stop", str(stop),
        "--out", str(tmp_path / "reads.json"),
    )  # fmt: skip
    # Spread the saves over ~90% of the expected build time, so they all land mid-builds.
    saver = worker(
        home, tmp_path / "saver.log", "saver", "--plan", str(tmp_path / "plan.json"),
        "--out", str(tmp_path / "saved.json"), "--seconds", f"{0.9 * N_BUILDS * first_seconds:.0f}",
        "--seed", str(SEED),
    )  # fmt: skip
    builds = []
    for _ in range(N_BUILDS):
        result, seconds = timed_build(landing, home)
        builds.append({"seconds": seconds, "code": result.returncode, "stderr": result.stderr})
    builds_ended_at = datetime.now(UTC)
    saver_code = saver.wait(timeout=600)
    stop.touch()
    reader_code = reader.wait(timeout=120)
    final, final_seconds = timed_build(landing, home)

    saved = json.loads((tmp_path / "saved.json").read_text(encoding="utf-8"))
    reads = json.loads((tmp_path / "reads.json").read_text(encoding="utf-8"))
    found = dict(
        query(home, "select review_id, item_id from fct_item_labels where review_id is not null")
    )
    lost = [review for review in saved if found.get(review["review_id"]) != review["item_id"]]
    during_builds = sum(
        datetime.fromisoformat(review["created_at"]) < builds_ended_at for review in saved
    )
    failed_builds = [build for build in builds if build["code"] != 0]
    seconds = sorted(build["seconds"] for build in builds)
    disagreeing = {
        build_id: counts for build_id, counts in reads["builds"].items()
        if len(set(counts.values())) > 1
    }  # fmt: skip
    print(
        f"\nstress: {n_items} items ({ITEMS_PER_FILE} per demo file); first build "
        f"{first_seconds:.1f}s, final build {final_seconds:.1f}s\n"
        f"builds run: {len(builds)}, failed: {len(failed_builds)}; build seconds "
        f"min {seconds[0]:.1f} / median {statistics.median(seconds):.1f} / max {seconds[-1]:.1f}"
        f" (sum {sum(seconds):.0f})\n"
        f"reads done: {reads['n_reads']}, failed: {len(reads['failures'])}; "
        f"published builds seen by the reader: {len(reads['builds'])}; pending checks: "
        f"{reads['pending_checks']}, reviews neither pending nor built: "
        f"{len(reads['invisible_reviews'])}; builds whose marts disagree on their reviews: "
        f"{len(disagreeing)}\n"
        f"reviews saved: {len(saved)} ({during_builds} while the builds ran), found in the "
        f"final marts: {len(saved) - len(lost)}, "
        f"lost: {len(lost)}\n"
        f"total {time.monotonic() - test_started:.0f}s"
    )
    assert saver_code == 0, (tmp_path / "saver.log").read_text()
    assert reader_code == 0, (tmp_path / "reader.log").read_text()
    assert final.returncode == 0, final.stdout + final.stderr
    assert not failed_builds, [build["stderr"] for build in failed_builds]
    assert len(saved) == N_REVIEWS
    assert not lost, lost[:5]
    assert reads["n_reads"] > 0
    assert not reads["failures"], reads["failures"][:5]
    assert not reads["invisible_reviews"], reads["invisible_reviews"][:5]
    assert not disagreeing, disagreeing
