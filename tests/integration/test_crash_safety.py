"""A killed build never damages the serving file, and two builds never overlap."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from smartloop import paths
from smartloop.build import build_lock
from tests.conftest import FIXTURES, cli_process, run_cli

pytestmark = pytest.mark.dbt

PROGRESS = re.compile(r"^\[\s*(\d+)/(\d+)\] (\w+)\s+(\S+)")


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


@pytest.mark.parametrize("kill_after_nodes", [1, 14])  # at the start, and amid the models
def test_sigkill_during_dbt_keeps_the_previous_serving_file(
    defects_home: Path, tmp_path: Path, kill_after_nodes: int
) -> None:
    home = tmp_path / "home"
    shutil.copytree(defects_home, home)
    serving = paths.serving_path(home)
    before = digest(serving)
    (n_items_before,) = (
        duckdb.connect(str(serving), read_only=True)
        .execute("select count(*) from dim_items")
        .fetchone()
    )

    proc = start_build(FIXTURES / "landing_defects", home)
    assert proc.stdout is not None
    finished = 0
    for line in proc.stdout:
        if PROGRESS.match(line):
            finished += 1
            if finished >= kill_after_nodes:
                break
    assert finished >= kill_after_nodes, "the build ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    deadline = time.monotonic() + 20
    while dbt_children_of(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert dbt_children_of(home) == [], "dbt outlived the killed build"
    assert digest(serving) == before
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select count(*) from dim_items").fetchone() == (n_items_before,)

    again = run_cli("build", "--landing", str(FIXTURES / "landing_defects"), "--home", str(home))
    assert again.returncode == 0, again.stdout + again.stderr
    assert digest(serving) != before
    with duckdb.connect(str(serving), read_only=True) as con:
        statuses = [
            row[0] for row in con.execute("select status from rpt_pipeline_runs").fetchall()
        ]
    # the killed build never reported an end: the next build marks it interrupted
    assert sorted(statuses) == ["interrupted", "success", "success"]


def test_stale_publish_file_is_cleaned_up(defects_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(defects_home, home)
    stale = home / ".serving-20200101T000000Z-abcdef.duckdb.tmp"
    stale.write_bytes(b"half-written")
    result = run_cli("build", "--landing", str(FIXTURES / "landing_defects"), "--home", str(home))
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert list(home.glob(".serving-*")) == []


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


def test_second_build_waits_for_the_first(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with build_lock(home, wait=False, echo=print):
        proc = start_build(FIXTURES / "landing_defects", home)
        assert proc.stdout is not None
        first_line = proc.stdout.readline()
        assert "waiting" in first_line
        time.sleep(0.5)
        assert proc.poll() is None
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output
    assert paths.serving_path(home).is_file()
