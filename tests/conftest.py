"""Shared pytest fixtures: run the smartloop CLI in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smartloop import paths

FIXTURES = Path(__file__).parent / "fixtures"


def run_cli(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run ``smartloop ARGS`` in a child process and capture its output."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SMARTLOOP_HOME", None)
    env.pop("SMARTLOOP_LANDING_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "smartloop.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=paths.PROJECT_DIR,
        **kwargs,
    )


@pytest.fixture(scope="session")
def defects_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home built once from the fixture with one landed row of every defect."""
    home = tmp_path_factory.mktemp("defects_home")
    result = run_cli("build", "--landing", str(FIXTURES / "landing_defects"), "--home", str(home))
    assert result.returncode == 0, result.stdout + result.stderr
    return home


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home built once from the embedded YouTube Spam demo."""
    home = tmp_path_factory.mktemp("demo_home")
    result = run_cli("build", "--home", str(home))
    assert result.returncode == 0, result.stdout + result.stderr
    return home
