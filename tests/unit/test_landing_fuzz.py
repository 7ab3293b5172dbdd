"""Fuzzed landing files (property-based, seeded, bounded): every record the writer put in a
file becomes a row, accepted or quarantined with a reason, or the whole file is refused
with one sentence that names it; never a traceback, never a silently missing row."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from smartloop.landing import LandingError, read_landing
from tests import fuzz_files

JSON_FORMATS = ("jsonl", "json")


@st.composite
def landing_file(draw: st.DrawFn) -> tuple[str, str, int, int]:
    fmt = draw(st.sampled_from(fuzz_files.FORMATS))
    corruptions = [
        c
        for c in fuzz_files.CORRUPTIONS
        if not (fmt in JSON_FORMATS and c in ("duplicate_header", "empty_header_name"))
    ]
    return (
        fmt,
        draw(st.sampled_from(corruptions)),
        draw(st.integers(min_value=0, max_value=25)),
        draw(st.integers(min_value=0, max_value=2**31)),
    )


def assert_one_sentence_naming(exc: LandingError, rel: str) -> None:
    message = str(exc)
    assert rel in message, message
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message


def check_file(folder: Path, fmt: str, corruption: str, n: int, file_seed: int) -> str:
    """Write one fuzzed items file, read it, and hold the reader to the property."""
    rows = fuzz_files.records(random.Random(file_seed), n)
    written = fuzz_files.write(folder / "items", "batch", fmt, corruption, rows, file_seed)
    rel = written.path.relative_to(folder).as_posix()
    try:
        table = read_landing(folder, "items")
    except LandingError as exc:
        assert_one_sentence_naming(exc, rel)
        # only a broken file is refused (an empty folder of records refuses nothing)
        assert written.file_level or corruption == "truncate" or written.n_records == 0, (
            f"{corruption} {fmt}: {exc}"
        )
        return "refused"
    landed = pc.sum(pc.equal(table["source_file"], rel)).as_py() or 0
    if corruption != "truncate":  # a cut file may end in a partial record, quarantined
        assert not written.file_level or written.n_records == 0, f"{corruption} {fmt} read"
        assert landed == written.n_records, f"{corruption} {fmt}: {landed} rows"
    errors = table["parse_error"].to_pylist()
    accepted_ids = [i for i, e in zip(table["item_id"].to_pylist(), errors, strict=True) if not e]
    assert set(accepted_ids) <= {r["item_id"] for r in rows}
    if corruption in ("bad_bytes", "nul") and fmt != "parquet" and written.n_records:
        assert sum(e is not None for e in errors) == 1  # the damaged row, quarantined
    return "read"


@seed(20261128)
@settings(
    max_examples=800,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
@given(landing_file())
def test_any_fuzzed_file_is_read_whole_or_refused_by_name(case) -> None:
    fmt, corruption, n, file_seed = case
    with tempfile.TemporaryDirectory() as tmp:
        check_file(Path(tmp), fmt, corruption, n, file_seed)


@pytest.mark.parametrize("fmt", fuzz_files.FORMATS)
def test_a_one_megabyte_text_is_read_whole(tmp_path: Path, fmt: str) -> None:
    rows = fuzz_files.records(random.Random(1), 3, huge=True)
    fuzz_files.write(tmp_path / "items", "big", fmt, "none", rows, 1)
    table = read_landing(tmp_path, "items")
    assert table.num_rows == 3
    assert max(len(t) for t in table["text"].to_pylist()) == 1_000_000


@pytest.mark.parametrize("corruption", fuzz_files.CORRUPTIONS)
@pytest.mark.parametrize("fmt", fuzz_files.FORMATS)
def test_every_corruption_of_every_format(tmp_path: Path, fmt: str, corruption: str) -> None:
    if fmt in JSON_FORMATS and corruption in ("duplicate_header", "empty_header_name"):
        pytest.skip("JSON objects have no header")
    outcome = check_file(tmp_path, fmt, corruption, 12, 5)
    if corruption in fuzz_files.FILE_LEVEL:
        assert outcome == "refused"
    elif corruption != "truncate":
        assert outcome == "read"
