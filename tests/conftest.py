"""Shared pytest fixtures: run the smartloop CLI in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from smartloop import paths, synth

FIXTURES = Path(__file__).parent / "fixtures"


def cli_process(*args: str, env: dict[str, str] | None = None) -> dict:
    """Popen arguments for ``smartloop ARGS`` as a user runs it, with extra env vars."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full_env.pop("SMARTLOOP_HOME", None)
    full_env.pop("SMARTLOOP_LANDING_DIR", None)
    return {
        "args": [sys.executable, "-m", "smartloop.cli", *args],
        "env": full_env,
        "cwd": paths.PROJECT_DIR,
        "text": True,
    }


def run_cli(
    *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``smartloop ARGS`` in a child process and capture its output."""
    return subprocess.run(**cli_process(*args, env=env), capture_output=True, timeout=timeout)


def build(landing: Path, home: Path) -> None:
    """``smartloop build`` of a landing folder into a home; fails the test if it fails."""
    result = run_cli("build", "--landing", str(landing), "--home", str(home))
    assert result.returncode == 0, result.stdout + result.stderr


def dbt_compile_inline(sql: str, tmp: Path) -> subprocess.CompletedProcess:
    """``dbt compile --inline SQL --output json`` on the project, as a child process (a
    private warehouse, target and log folder under ``tmp``)."""
    project = str(paths.PROJECT_DIR)
    env = {
        **os.environ,
        "SMARTLOOP_WAREHOUSE": str(tmp / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = ["compile", "--inline", sql, "--output", "json", "--quiet"]
    folders = ["--project-dir", project, "--profiles-dir", project]
    folders += ["--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")]
    return subprocess.run(
        [sys.executable, "-m", "smartloop.dbt_main", *command, *folders],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def compiled_inline(sql: str, tmp: Path) -> str:
    """The SQL dbt compiles ``sql`` (Jinja calling the project's macros) to; fails the test
    if dbt fails."""
    result = dbt_compile_inline(sql, tmp)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)["compiled"]


def query(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on a home's serving file, opened read-only as the app does."""
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session")
def defects_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home built once from the fixture with one landed row of every defect, with the dbt
    unit tests of the SQL (the other builds skip them, as a production build does)."""
    home = tmp_path_factory.mktemp("defects_home")
    landing = FIXTURES / "landing_defects"
    result = run_cli("build", "--landing", str(landing), "--home", str(home), "--unit-tests")
    assert result.returncode == 0, result.stdout + result.stderr
    return home


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home built once from the embedded YouTube Spam demo."""
    home = tmp_path_factory.mktemp("demo_home")
    result = run_cli("build", "--home", str(home))
    assert result.returncode == 0, result.stdout + result.stderr
    return home


@pytest.fixture(scope="session")
def synthetic_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """5,000 synthetic items (seed 7: planted PII, duplicates, bad rows, uniform label flips
    and one failing 2-way slice, recorded in landing/truth) built once: {"landing", "home"}.
    Without the generator's crowd, whose wrong consensus labels would gather in label slices
    of their own, and without the messages both classes write, which the model fails on in
    slices of their own (spam without a link): the slice tests measure one planted failing
    slice against uniform noise.
    Tests read it; only test_slices builds it again (the same data) to see history."""
    landing = tmp_path_factory.mktemp("synthetic") / "landing"
    synth.generate(5000, 7, landing, crowd_share=0, shared_share=0)
    home = tmp_path_factory.mktemp("synthetic_home")
    build(landing, home)
    return {"landing": landing, "home": home}
