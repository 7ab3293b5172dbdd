"""A killed build never damages the serving file, and two builds never overlap."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from smartloop import paths
from smartloop.build import build_lock
from tests.conftest import FIXTURES, cli_process, run_cli

pytestmark = pytest.mark.dbt


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start_build(landing: Path, home: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        **cli_process("build", "--landing", str(landing), "--home", str(home), *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def dbt_children_of(home: Path) -> list[int]:
    """Pids of dbt processes still working on this home's warehouse."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "smartloop.dbt_main" in cmdline and str(home / "target") in cmdline:
            pids.append(int(proc.name))
    return pids


def landing_digests(landing: Path) -> dict[str, str]:
    return {
        str(p.relative_to(landing)): digest(p) for p in sorted(landing.rglob("*")) if p.is_file()
    }


def serving_state(serving: Path) -> tuple[str, dict[str, int]]:
    """The serving file's build id and every table's row count, opened read-only."""
    with duckdb.connect(str(serving), read_only=True) as con:
        (build_id,) = con.execute("select build_id from serving_info").fetchone()
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        counts = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
    return build_id, counts


def kill_build(proc: subprocess.Popen, home: Path) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while dbt_children_of(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert dbt_children_of(home) == [], "dbt outlived the killed build"


def build_id_of(home: Path) -> str | None:
    try:
        return json.loads(paths.status_path(home).read_text(encoding="utf-8")).get("build_id")
    except (OSError, ValueError):
        return None


def test_sigkill_at_random_moments_never_damages_the_serving_file(
    defects_home: Path, tmp_path: Path
) -> None:
    """Builds killed at seeded random moments of dbt and during publishing: the serving file
    is always the previous complete version or the killed build's complete version, the
    landing files are untouched, and the next build succeeds."""
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing_defects", landing)
    before_landing = landing_digests(landing)
    home = tmp_path / "home"
    shutil.copytree(defects_home, home)
    serving = paths.serving_path(home)
    _, complete_counts = serving_state(serving)
    complete_counts.pop("fct_model_runs", None)  # grows by one run per build
    complete_counts.pop("rpt_pipeline_runs", None)  # grows by one row per build attempt
    complete_counts.pop("fct_source_file_loads", None)
    complete_counts.pop("fct_slice_metrics_history", None)
    duration = json.loads(paths.status_path(home).read_text(encoding="utf-8"))
    seconds = (
        datetime.fromisoformat(duration["ended_at"])
        - datetime.fromisoformat(duration["started_at"])
    ).total_seconds()
    rng = random.Random(20261128)
    moments = [("dbt", rng.uniform(0.5, seconds)) for _ in range(2)] + [("publish", None)]
    published = 0
    for stage, at in moments:
        previous = digest(serving)
        proc = start_build(landing, home)
        if at is not None:
            time.sleep(at)
        else:  # the moment the builder says it is publishing
            while proc.poll() is None:
                status = json.loads(paths.status_path(home).read_text(encoding="utf-8") or "{}")
                if status.get("stage") == "publish" and status.get("status") == "running":
                    break
                time.sleep(0.005)
        killed_id = build_id_of(home)
        if proc.poll() is None:
            kill_build(proc, home)
        else:
            proc.wait()
            assert stage != "publish", "the build finished before it could be killed publishing"
        assert landing_digests(landing) == before_landing, f"landing changed ({stage})"
        if digest(serving) == previous:
            continue
        build_id, counts = serving_state(serving)  # a new file: complete, and that build's
        assert build_id == killed_id
        assert {t: counts[t] for t in complete_counts} == complete_counts
        published += 1
    # a half-written file of a build killed while publishing is removed by the next build
    (home / ".serving-20200101T000000Z-abcdef.duckdb.tmp").write_bytes(b"half-written")
    again = run_cli("build", "--landing", str(landing), "--home", str(home))
    assert again.returncode == 0, again.stdout + again.stderr
    assert list(home.glob(".serving-*")) == []
    build_id, counts = serving_state(serving)
    assert {t: counts[t] for t in complete_counts} == complete_counts
    assert landing_digests(landing) == before_landing
    with duckdb.connect(str(serving), read_only=True) as con:
        statuses = dict(
            con.execute("select status, count(*) from rpt_pipeline_runs group by 1").fetchall()
        )
    # killed builds are marked interrupted by the next one (a build killed before it
    # wrote its ledger row leaves none)
    assert statuses.get("interrupted", 0) >= 1
    assert statuses.get("running", 0) == 0


def test_second_build_exits_when_asked_not_to_wait(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with build_lock(home, wait=False, echo=print):
        result = run_cli(
            "build",
            "--landing",
            str(FIXTURES / "landing_defects"),
            "--home",
            str(home),
            "--no-wait",
        )
    assert result.returncode == 1
    assert f"another build (pid {os.getpid()}) holds {home / 'build.lock'}" in result.stderr
    assert not paths.serving_path(home).exists()
