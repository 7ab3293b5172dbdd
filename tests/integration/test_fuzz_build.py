"""Fuzzed landing files through a whole build: a build of damaged files succeeds with every
landed row accepted or quarantined, and a file that cannot be read stops the build with one
sentence that names it, leaving the published build as it was."""

from __future__ import annotations

import csv
import hashlib
import random
from pathlib import Path

import pytest

from smartloop import paths
from tests import fuzz_files
from tests.conftest import query, run_cli

pytestmark = pytest.mark.dbt

SEED = 20261128


def test_damaged_files_are_landed_whole_and_a_broken_one_is_named(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    landing = tmp_path / "landing"
    written = []
    for index, corruption in enumerate(fuzz_files.ROW_LEVEL):
        fmt = fuzz_files.FORMATS[index % len(fuzz_files.FORMATS)]
        rows = fuzz_files.records(rng, rng.randint(15, 40))
        written.append(
            fuzz_files.write(landing / "items", f"batch_{index}", fmt, corruption, rows, index)
        )
    (landing / "annotations").mkdir()
    home = tmp_path / "home"

    first = run_cli("build", "--landing", str(landing), "--home", str(home))
    assert first.returncode == 0, first.stdout + first.stderr
    loads = {
        row[0]: row[1:]
        for row in query(
            home,
            "select source_file, n_landed, n_accepted, n_quarantined from fct_source_file_loads "
            "where source_kind = 'items'",
        )
    }
    for file in written:
        rel = file.path.relative_to(landing).as_posix()
        n_landed, n_accepted, n_quarantined = loads[rel]
        assert n_landed == file.n_records, (rel, file.corruption)
        assert n_landed == n_accepted + n_quarantined, rel
    quarantined = dict(query(home, "select source_file, count(*) from rpt_quarantine group by 1"))
    assert sum(quarantined.values()) >= 2  # the bad bytes and the NUL, at least

    # annotations for some accepted items, then a file nobody can read
    items = [row[0] for row in query(home, "select item_id from dim_items order by item_id")]
    with open(landing / "annotations" / "labels.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["item_id", "label", "annotator_id"])
        for item in items:
            writer.writerow([item, rng.choice(["spam", "ham"]), "a1"])
    broken = fuzz_files.write(
        landing / "items", "broken", "csv", "duplicate_header", rows, SEED
    ).path.relative_to(landing)
    serving = paths.serving_path(home)
    before = hashlib.sha256(serving.read_bytes()).hexdigest()
    second = run_cli("build", "--landing", str(landing), "--home", str(home))
    assert second.returncode == 1
    message = second.stderr.strip().splitlines()
    assert len(message) == 1, second.stderr
    assert str(broken) in message[0] and "appears twice in the header" in message[0]
    assert "Traceback" not in second.stdout + second.stderr
    assert hashlib.sha256(serving.read_bytes()).hexdigest() == before
