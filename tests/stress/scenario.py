"""Reviews saved and the app's queries read while builds run, each in its own process.

Process A saves reviews through ``smartloop.app_actions`` exactly as the Review queue page
does; builds run in rounds of ``parallel`` processes started together (each ``smartloop
build`` in its own process, as the Rebuild page starts it; the build lock makes them take
turns); process C reads through the app's ``smartloop.queries`` functions the whole time.
:func:`run_scenario` returns what happened; the tests assert no review lost, no read
failed and no two builds overlapping.

The landing folder is a deterministic subset of the embedded demo (the first
``items_per_file`` items of each file and their annotations), so a build takes ~20 s.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from smartloop import paths
from tests.conftest import cli_process, query, run_cli
from tests.stress.workers import make_landing

RELABEL_SHARE = 0.4
SEED = 7
ENV = {"SMARTLOOP_PSEUDONYM_KEY": "stress-test-key"}


def timed_build(landing: Path, home: Path) -> tuple[subprocess.CompletedProcess, float]:
    """One ``smartloop build`` in a child process (it waits for the build lock if held)."""
    started = time.monotonic()
    result = run_cli("build", "--landing", str(landing), "--home", str(home), env=ENV)
    return result, time.monotonic() - started


def review_plan(
    items: list[tuple[str, str]], labels: list[str], n_reviews: int
) -> list[dict[str, str]]:
    """``n_reviews`` distinct items, each confirmed (its label) or relabelled (another)."""
    rng = random.Random(SEED)
    plan = []
    for item_id, label in rng.sample(items, n_reviews):
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


def start_build(landing: Path, home: Path) -> subprocess.Popen:
    """``smartloop build`` in a child process, started now (it waits for the lock if held)."""
    return subprocess.Popen(
        **cli_process("build", "--landing", str(landing), "--home", str(home), env=ENV),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def build_rounds(landing: Path, home: Path, n_builds: int, parallel: int) -> list[dict]:
    """``n_builds`` builds in rounds of ``parallel`` processes started at the same time."""
    builds = []
    while len(builds) < n_builds:
        started = time.monotonic()
        procs = [start_build(landing, home) for _ in range(min(parallel, n_builds - len(builds)))]
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=900)
            builds.append(
                {
                    "seconds": time.monotonic() - started,
                    "code": proc.returncode,
                    "stdout": stdout,
                    "stderr": stderr,
                }
            )
    return builds


def overlapping_builds(home: Path) -> list[tuple]:
    """Pairs of builds of the ledger whose [started_at, ended_at] intervals overlap."""
    runs = query(
        home,
        "select build_id, started_at, ended_at from rpt_pipeline_runs "
        "where ended_at is not null order by started_at",
    )
    return [(a[0], b[0]) for a, b in itertools.pairwise(runs) if b[1] < a[2]]


def run_scenario(
    tmp_path: Path,
    *,
    n_builds: int,
    n_reviews: int,
    items_per_file: int,
    parallel: int = 1,
    save_seconds: float | None = None,
    final_build: bool = True,
) -> dict:
    """Saves, reads and builds at the same time; what happened, for the tests to assert.

    The saves are spread over ``save_seconds`` (default ~90% of the builds' expected time);
    a final build then takes the reviews saved during the last one, unless the saves end
    before the last build starts (``final_build`` False)."""
    test_started = time.monotonic()
    landing = make_landing(tmp_path / "landing", paths.DEMO_LANDING_DIR, items_per_file)
    home = tmp_path / "home"
    first, first_seconds = timed_build(landing, home)
    assert first.returncode == 0, first.stdout + first.stderr
    items = query(home, "select item_id, label from dim_items where label is not null")
    labels = sorted({label for _, label in items})
    ((n_items,),) = query(home, "select count(*) from dim_items")
    plan = review_plan(sorted(items), labels, n_reviews)
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")

    stop = tmp_path / "stop-reading"
    reader = worker(
        home, tmp_path / "reader.log", "reader", "--stop", str(stop),
        "--out", str(tmp_path / "reads.json"),
    )  # fmt: skip
    # Spread the saves over ~90% of the expected build time, so they all land mid-builds.
    saver = worker(
        home, tmp_path / "saver.log", "saver", "--plan", str(tmp_path / "plan.json"),
        "--out", str(tmp_path / "saved.json"),
        "--seconds", f"{save_seconds or 0.9 * n_builds * first_seconds:.0f}",
        "--seed", str(SEED),
    )  # fmt: skip
    builds = build_rounds(landing, home, n_builds, parallel)
    builds_ended_at = datetime.now(UTC)
    saver_code = saver.wait(timeout=900)
    stop.touch()
    reader_code = reader.wait(timeout=120)
    final, final_seconds = timed_build(landing, home) if final_build else (None, 0.0)

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
    overlaps = overlapping_builds(home)
    print(
        f"\nconcurrency: {n_items} items ({items_per_file} per demo file); first build "
        f"{first_seconds:.1f}s, final build {final_seconds:.1f}s\n"
        f"builds run: {len(builds)} ({parallel} started at once), failed: "
        f"{len(failed_builds)}, overlapping: {len(overlaps)}; build seconds "
        f"min {seconds[0]:.1f} / median {statistics.median(seconds):.1f} / max {seconds[-1]:.1f}"
        f" (sum {sum(seconds):.0f})\n"
        f"reads done: {reads['n_reads']}, failed: {len(reads['failures'])}; "
        f"published builds seen by the reader: {len(reads['builds'])}; pending checks: "
        f"{reads['pending_checks']}, reviews neither pending nor built: "
        f"{len(reads['invisible_reviews'])}; builds whose marts disagree on their reviews: "
        f"{len(disagreeing)}\n"
        f"reviews saved: {len(saved)} ({during_builds} while the builds ran), found in the "
        f"final marts: {len(saved) - len(lost)}, lost: {len(lost)}\n"
        f"total {time.monotonic() - test_started:.0f}s"
    )
    return {
        "saver_code": saver_code,
        "saver_log": (tmp_path / "saver.log").read_text(),
        "reader_code": reader_code,
        "reader_log": (tmp_path / "reader.log").read_text(),
        "final": final,
        "failed_builds": failed_builds,
        "saved": saved,
        "lost": lost,
        "reads": reads,
        "disagreeing": disagreeing,
        "overlaps": overlaps,
        "n_builds": len(builds),
        "builds": builds,
    }


def assert_nothing_lost(report: dict, n_reviews: int) -> None:
    """The promises: every review saved is in the marts, no read failed, no two builds
    overlapped, and every published build agrees with itself."""
    assert report["saver_code"] == 0, report["saver_log"]
    assert report["reader_code"] == 0, report["reader_log"]
    final = report["final"]
    assert final is None or final.returncode == 0, final.stdout + final.stderr
    assert not report["failed_builds"], [b["stderr"] for b in report["failed_builds"]]
    assert len(report["saved"]) == n_reviews
    assert not report["lost"], report["lost"][:5]
    reads = report["reads"]
    assert reads["n_reads"] > 0
    assert not reads["failures"], reads["failures"][:5]
    assert not reads["invisible_reviews"], reads["invisible_reviews"][:5]
    assert not report["disagreeing"], report["disagreeing"]
    assert report["overlaps"] == []
