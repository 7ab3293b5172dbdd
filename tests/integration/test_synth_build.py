"""The shared synthetic build against the generator's truth: the bad rows it planted are
exactly the quarantined rows."""

from __future__ import annotations

import csv

import pytest

from tests.conftest import query

pytestmark = pytest.mark.dbt


def test_quarantine_holds_exactly_the_planted_bad_rows(synthetic_build) -> None:
    with open(synthetic_build["landing"] / "truth" / "bad_rows.csv", encoding="utf-8") as fh:
        planted = {
            (row["source_file"], int(row["source_row_number"]), row["reason_code"])
            for row in csv.DictReader(fh)
        }
    quarantined = query(
        synthetic_build["home"],
        "select source_file, source_row_number, reason_code from rpt_quarantine",
    )
    assert len(quarantined) == len(planted)
    assert set(quarantined) == planted
