"""Dashboard reads, review saves and builds at the same time, each in its own process: no
read fails, no review is lost, and two builds started together take turns, the second
saying it waits (bounded version of the stress test, tests/stress)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.stress.scenario import assert_nothing_lost, run_scenario

pytestmark = pytest.mark.dbt

N_REVIEWS = 24


def test_saves_reads_and_two_builds_at_once(tmp_path: Path) -> None:
    report = run_scenario(tmp_path, n_builds=2, n_reviews=N_REVIEWS, items_per_file=30, parallel=2)
    assert report["n_builds"] == 2
    assert_nothing_lost(report, N_REVIEWS)
