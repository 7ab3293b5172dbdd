"""Stress: 200 review saves from one process while 20 builds run and another process reads.

Process A saves reviews through ``smartloop.app_actions`` exactly as the Review queue page
does; builds run back to back, each ``smartloop build`` in its own process; process C reads
through the app's ``smartloop.queries`` functions the whole time (tests/stress/scenario.py).
About 10 minutes: run it with ``make stress`` (excluded from ``make test``, which runs the
bounded version in tests/integration/test_concurrency.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.stress.scenario import assert_nothing_lost, run_scenario

pytestmark = pytest.mark.stress

N_REVIEWS = 200


def test_no_review_lost_and_no_read_failed_during_builds(tmp_path: Path) -> None:
    report = run_scenario(tmp_path, n_builds=20, n_reviews=N_REVIEWS, items_per_file=60)
    assert_nothing_lost(report, N_REVIEWS)
