"""The landing reader turns every landed record into exactly one row, losing nothing.

``tests/fixtures/landing_reader/landing`` is a landing folder of text files; every row it
reads to is one line of ``expected_rows.jsonl`` (raw_record and metadata parsed from JSON).
Files that need exact bytes (encodings, gzip, Parquet) are written per case into tmp_path
from the tables below: one line of data per case.
"""

# Golden tables keep one case per line, however long.
# ruff: noqa: E501

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from smartloop import landing as landing_module
from smartloop.landing import LandingError, list_landing_files, read_label_schema, read_landing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "landing_reader"
LANDING = FIXTURES / "landing"
KINDS = ("items", "annotations", "reviews", "deletions")

SOURCE_COLUMNS = ("source_file", "source_format", "source_row_number", "parse_error", "raw_record")
CONTRACT_COLUMNS = {
    "items": ("item_id", "text"),
    "annotations": ("item_id", "label", "annotator_id", "annotated_at"),
    "reviews": ("review_id", "item_id", "action", "label", "reviewer", "reason", "created_at"),
    "deletions": ("item_id", "pseudonym", "requested_at", "reason"),
    "label_schema": ("label", "description", "is_active", "replaced_by"),
}

BAD_UTF8_ROW = "the row holds bytes that are not valid UTF-8"
BAD_UTF8_LINE = "the line holds bytes that are not valid UTF-8"
NUL_ROW = "the row holds a NUL byte"
NOT_OBJECT = "the line is not a JSON object"
UNSUPPORTED = "unsupported file type (use .csv, .tsv, .jsonl, .ndjson, .json, .parquet or .pq"


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _utf16(text: str, codec: str = "utf-16-le") -> bytes:
    bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
    return bom + text.encode(codec)


def _parquet(columns: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def _ok(number: int, item_id: str, text: str) -> tuple[int, str, str, None, dict[str, str]]:
    """A row that parsed: its raw record is the record itself."""
    return (number, item_id, text, None, {"item_id": item_id, "text": text})


def _bad(number: int, error: str, raw: Any) -> tuple[int, None, None, str, Any]:
    return (number, None, None, error, raw)


def _write(root: Path, files: dict[str, bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _comparable(row: dict[str, Any]) -> dict[str, Any]:
    """A raw row with its JSON columns parsed, so the golden file stays readable."""
    out = dict(row)
    out["raw_record"] = json.loads(row["raw_record"])
    out["metadata"] = None if row["metadata"] is None else json.loads(row["metadata"])
    return out


def _rows(landing: Path, kind: str) -> list[dict[str, Any]]:
    return [_comparable(row) for row in read_landing(landing, kind).to_pylist()]


def _schema(kind: str) -> pa.Schema:
    names = (*SOURCE_COLUMNS, *CONTRACT_COLUMNS[kind], "metadata")
    return pa.schema([(n, pa.int64() if n == "source_row_number" else pa.string()) for n in names])


def _golden(kind: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / "expected_rows.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [{k: v for k, v in row.items() if k != "kind"} for row in rows if row["kind"] == kind]


# --- the fixture folder ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_fixture_folder_reads_to_the_golden_rows(kind: str) -> None:
    assert _rows(LANDING, kind) == _golden(kind)


def test_label_schema_file_reads_to_the_golden_rows() -> None:
    table = read_label_schema(FIXTURES / "label_schema.csv")
    assert table.schema == _schema("label_schema")
    assert [_comparable(row) for row in table.to_pylist()] == _golden("label_schema")


def test_landing_files_are_sorted_by_path_without_hidden_or_underscored_names() -> None:
    expected = (FIXTURES / "expected_files.txt").read_text(encoding="utf-8").split()
    listed = [
        path.relative_to(LANDING).as_posix()
        for kind in KINDS
        for path in list_landing_files(LANDING, kind)
    ]
    assert listed == expected


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_fixed_per_kind_whatever_the_batch_holds(kind: str, tmp_path: Path) -> None:
    assert read_landing(LANDING, kind).schema == _schema(kind)
    missing_folder = read_landing(tmp_path, kind)
    assert missing_folder.num_rows == 0
    assert missing_folder.schema == _schema(kind)
    assert read_landing(tmp_path / "no_such_landing", kind).schema == _schema(kind)


@pytest.mark.parametrize("path", [None, ""])
def test_no_label_schema_file_gives_an_empty_table(path: str | None) -> None:
    table = read_label_schema(path)
    assert table.num_rows == 0
    assert table.schema == _schema("label_schema")


# --- files with exact bytes: (id, file name under items/, content, expected rows) --------
# Expected rows are (source_row_number, item_id, text, parse_error, raw_record parsed).

BYTE_CASES: list[tuple[str, str, bytes, list[tuple[Any, ...]]]] = [
    ("utf16 le bom csv", "a.csv", _utf16("item_id,text\n1,héllo wörld\n"), [_ok(1, "1", "héllo wörld")]),
    ("utf16 be bom csv", "a.csv", _utf16("item_id,text\n1,ça\n", "utf-16-be"), [_ok(1, "1", "ça")]),
    ("utf8 bom header", "a.csv", codecs.BOM_UTF8 + b"Item ID,text\n1,x\n", [_ok(1, "1", "x")]),
    ("invalid utf8 csv", "a.csv", b"item_id,text\n1,caf\xe9\n2,ok\n", [_bad(1, BAD_UTF8_ROW, ["1", "caf\ufffd"]), _ok(2, "2", "ok")]),
    ("nul byte csv", "a.csv", b"item_id,text\n1,a\x00b\n2,ok\n", [_bad(1, NUL_ROW, ["1", "a\x00b"]), _ok(2, "2", "ok")]),
    ("crlf csv with blank line", "a.csv", b'item_id,text\r\n1,x\r\n\r\n2,"y\r\nz"\r\n', [_ok(1, "1", "x"), _ok(2, "2", "y\r\nz")]),
    ("quoted header csv", "a.csv", b'"item_id","text"\n"1","say ""hi"""\n', [_ok(1, "1", 'say "hi"')]),
    ("gzip csv", "a.csv.gz", _gz(b"item_id,text\n1,x\n"), [_ok(1, "1", "x")]),
    ("gzip tsv", "a.tsv.gz", _gz(b"item_id\ttext\n1\ta,b\n"), [_ok(1, "1", "a,b")]),
    ("gzip jsonl", "a.jsonl.gz", _gz(b'{"item_id": "1", "text": "x"}\n'), [_ok(1, "1", "x")]),
    ("gzip json array", "a.json.gz", _gz(b'[\n {"item_id": "1", "text": "x"},\n {"item_id": "2", "text": "y"}\n]\n'), [_ok(1, "1", "x"), _ok(2, "2", "y")]),
    ("ndjson", "a.ndjson", b'{"item_id": "1", "text": "x"}\n', [_ok(1, "1", "x")]),
    ("json lines in a json file", "a.json", b'{"item_id": "1", "text": "x"}\n{"item_id": "2", "text": "y"}\n', [_ok(1, "1", "x"), _ok(2, "2", "y")]),
    ("utf16 jsonl", "a.jsonl", _utf16('{"item_id": "1", "text": "ü"}\n'), [_ok(1, "1", "ü")]),
    ("utf8 bom jsonl", "a.jsonl", codecs.BOM_UTF8 + b'{"item_id": "1", "text": "x"}\n', [_ok(1, "1", "x")]),
    ("crlf jsonl", "a.jsonl", b'{"item_id": "1", "text": "x"}\r\n\r\n{"item_id": "2", "text": "y"}\r\n', [_ok(1, "1", "x"), _ok(2, "2", "y")]),
    ("invalid utf8 jsonl", "a.jsonl", b'{"item_id": "1", "text": "caf\xe9"}\n{"item_id": "2", "text": "ok"}\n', [_bad(1, BAD_UTF8_LINE, '{"item_id": "1", "text": "caf\ufffd"}'), _ok(2, "2", "ok")]),
    ("invalid utf8 json array", "a.json", b'[{"item_id": "1", "text": "caf\xe9"}, {"item_id": "2", "text": "ok"}]', [_bad(1, BAD_UTF8_ROW, '{"item_id": "1", "text": "caf\ufffd"}'), _ok(2, "2", "ok")]),
    ("lone surrogate escape jsonl", "a.jsonl", b'{"item_id": "1", "text": "cut \\ud83d"}\n{"item_id": "2", "text": "\\ud83d\\ude00"}\n', [_bad(1, BAD_UTF8_ROW, '{"item_id": "1", "text": "cut \\ud83d"}'), _ok(2, "2", "😀")]),
    ("nul escape jsonl", "a.jsonl", b'{"item_id": "1", "text": "a\\u0000b"}\n', [_bad(1, NUL_ROW, '{"item_id": "1", "text": "a\\u0000b"}')]),
    ("only unparseable json lines", "a.jsonl", b"not json\n[1]\n", [_bad(1, "the line is not valid JSON (Expecting value at column 1)", "not json"), _bad(2, NOT_OBJECT, "[1]")]),
    ("truncated json array read by line", "a.json", b'[\n{"item_id": "1", "text": "x"},\n', [_bad(1, "the line is not valid JSON (Expecting value at column 2)", "["), _bad(2, "the line is not valid JSON (Extra data at column 30)", '{"item_id": "1", "text": "x"},')]),
    ("empty json array", "a.json", b"[]\n", []),
    ("blank lines only jsonl", "a.jsonl", b"\n  \n\n", []),
    ("empty gzip csv", "a.csv.gz", _gz(b""), []),
    ("parquet with normalised header", "a.parquet", _parquet({"Item ID": ["1", None], "Text": ["x", "y"]}), [_ok(1, "1", "x"), (2, None, "y", None, {"item_id": None, "text": "y"})]),
    ("parquet nul byte", "a.parquet", _parquet({"item_id": ["1"], "text": ["a\x00b"]}), [_bad(1, NUL_ROW, {"item_id": "1", "text": "a\x00b"})]),
    ("parquet with no rows", "a.pq", _parquet({"item_id": pa.array([], pa.string()), "text": pa.array([], pa.string())}), []),
    ("gzip parquet", "a.parquet.gz", _gz(_parquet({"item_id": ["1"], "text": ["x"]})), [_ok(1, "1", "x")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [pytest.param(name, content, rows, id=case) for case, name, content, rows in BYTE_CASES],
)
def test_landed_bytes_read_to_one_row_per_record(
    tmp_path: Path, name: str, content: bytes, expected: list[tuple[Any, ...]]
) -> None:
    _write(tmp_path, {f"items/{name}": content})
    rows = _rows(tmp_path, "items")
    got = [
        (r["source_row_number"], r["item_id"], r["text"], r["parse_error"], r["raw_record"])
        for r in rows
    ]
    assert got == expected
    assert {r["source_file"] for r in rows} <= {f"items/{name}"}


# --- non-string values: (id, value, expected text in metadata) ---------------------------

PARQUET_VALUES: list[tuple[str, pa.Array, str | None]] = [
    ("int64", pa.array([7], pa.int64()), "7"),
    ("int32 negative", pa.array([-3], pa.int32()), "-3"),
    ("float", pa.array([0.25], pa.float64()), "0.25"),
    ("bool true", pa.array([True]), "true"),
    ("bool false", pa.array([False]), "false"),
    ("null", pa.array([None], pa.string()), None),
    ("string", pa.array(["plain"]), "plain"),
    ("dictionary string", pa.array(["cat"]).dictionary_encode(), "cat"),
    ("timestamp", pa.array([dt.datetime(2024, 1, 2, 3, 4, 5)], pa.timestamp("us")), "2024-01-02T03:04:05"),
    ("timestamp micros", pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 250000)], pa.timestamp("ms")), "2024-01-02T03:04:05.250000"),
    ("timestamp utc", pa.array([dt.datetime(2024, 1, 2, 3, 4, 5)], pa.timestamp("us", tz="UTC")), "2024-01-02T03:04:05+00:00"),
    ("timestamp ns", pa.array([1_704_164_645_000_000_001], pa.int64()).cast(pa.timestamp("ns")), "2024-01-02T03:04:05.000000001"),
    ("date", pa.array([dt.date(2024, 1, 2)], pa.date32()), "2024-01-02"),
    ("decimal", pa.array([Decimal("1.50")], pa.decimal128(5, 2)), "1.50"),
    ("list of ints", pa.array([[1, 2]]), "[1, 2]"),
    ("list of strings", pa.array([["a", "é"]]), '["a", "é"]'),
    ("struct", pa.array([{"a": 1, "b": "x"}]), '{"a": 1, "b": "x"}'),
    ("nested list in struct", pa.array([{"tags": ["x"], "n": None}]), '{"tags": ["x"], "n": null}'),
]  # fmt: skip

JSON_VALUES: list[tuple[str, str, str | None]] = [
    ("int", "7", "7"),
    ("negative float", "-1.5", "-1.5"),
    ("exponent", "1e3", "1000.0"),
    ("true", "true", "true"),
    ("false", "false", "false"),
    ("null", "null", None),
    ("string", '"s"', "s"),
    ("unicode string", '"\\u00e9 ✓"', "é ✓"),
    ("list", '[1, "a", null]', '[1, "a", null]'),
    ("object", '{"k": {"n": 1}}', '{"k": {"n": 1}}'),
    ("empty object", "{}", "{}"),
]


@pytest.mark.parametrize(
    ("values", "expected"),
    [pytest.param(values, want, id=case) for case, values, want in PARQUET_VALUES],
)
def test_parquet_values_are_stringified(
    tmp_path: Path, values: pa.Array, expected: str | None
) -> None:
    _write(tmp_path, {"items/a.parquet": _parquet({"item_id": ["1"], "text": ["t"], "v": values})})
    [row] = _rows(tmp_path, "items")
    assert row["parse_error"] is None
    assert row["source_format"] == "parquet"
    assert row["metadata"] == {"v": expected}


@pytest.mark.parametrize(
    ("literal", "expected"),
    [pytest.param(literal, want, id=case) for case, literal, want in JSON_VALUES],
)
def test_json_values_are_stringified(tmp_path: Path, literal: str, expected: str | None) -> None:
    line = f'{{"item_id": "1", "text": "t", "v": {literal}}}\n'
    _write(tmp_path, {"items/a.jsonl": line.encode()})
    [row] = _rows(tmp_path, "items")
    assert row["parse_error"] is None
    assert row["metadata"] == {"v": expected}


# --- unusable files: (id, files, kind, the one sentence the error starts with) -----------

ERROR_CASES: list[tuple[str, dict[str, bytes], str, str]] = [
    ("csv missing column", {"items/b.csv": b"item_id,body\n1,x\n"}, "items", "items/b.csv lacks the required column 'text'."),
    ("header only missing column", {"items/h.csv": b"item_id\n"}, "items", "items/h.csv lacks the required column 'text'."),
    ("nested file missing column", {"items/2024/01/b.csv": b"text\n"}, "items", "items/2024/01/b.csv lacks the required column 'item_id'."),
    ("jsonl missing column", {"items/c.jsonl": b'{"item_id": "1"}\n'}, "items", "items/c.jsonl lacks the required column 'text'."),
    ("json array missing column", {"items/c.json": b'[{"text": "x"}]'}, "items", "items/c.json lacks the required column 'item_id'."),
    ("parquet missing column", {"items/p.parquet": _parquet({"item_id": ["1"]})}, "items", "items/p.parquet lacks the required column 'text'."),
    ("annotations missing label", {"annotations/x.csv": b"item_id,annotator_id\n1,a\n"}, "annotations", "annotations/x.csv lacks the required column 'label'."),
    ("reviews missing action", {"reviews/r.csv": b"review_id,item_id\n"}, "reviews", "reviews/r.csv lacks the required column 'action'."),
    ("deletions missing item_id", {"deletions/d.csv": b"id\n1\n"}, "deletions", "deletions/d.csv lacks the required column 'item_id' or 'pseudonym'."),
    ("duplicate header", {"items/d.csv": b"item_id,text,Item ID\n"}, "items", "items/d.csv: column 'Item ID' appears twice in the header."),
    ("duplicate parquet column", {"items/p.parquet": _parquet({"item_id": ["1"], "text": ["x"], "Text": ["y"]})}, "items", "items/p.parquet: column 'Text' appears twice in the header."),
    ("empty column name", {"items/e.csv": b"item_id,,text\n"}, "items", "items/e.csv: the header has an empty column name."),
    ("unsupported extension", {"items/notes.txt": b"hi"}, "items", f"items/notes.txt: {UNSUPPORTED}"),
    ("unsupported nested", {"items/sub/book.xlsx": b""}, "items", f"items/sub/book.xlsx: {UNSUPPORTED}"),
    ("no extension", {"items/README": b""}, "items", f"items/README: {UNSUPPORTED}"),
    ("gzip of unsupported", {"items/a.txt.gz": _gz(b"x")}, "items", f"items/a.txt.gz: {UNSUPPORTED}"),
    ("corrupt parquet", {"items/p.parquet": b"not parquet"}, "items", "items/p.parquet: the Parquet file cannot be read ("),
    ("not gzip", {"items/a.csv.gz": b"item_id,text\n"}, "items", "items/a.csv.gz: the file cannot be read (Not a gzipped file"),
    ("truncated gzip", {"items/a.jsonl.gz": _gz(b'{"item_id": "1"}\n' * 50)[:-12]}, "items", "items/a.jsonl.gz: the file cannot be read ("),
    ("truncated utf16", {"items/a.csv": codecs.BOM_UTF16_LE + b"i\x00d\x00\n"}, "items", "items/a.csv: the file cannot be read ("),
    ("unknown kind", {}, "labels", "unknown landing kind 'labels' (known: items, annotations, reviews, deletions)."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "kind", "message"),
    [pytest.param(files, kind, message, id=case) for case, files, kind, message in ERROR_CASES],
)
def test_unusable_files_raise_one_sentence(
    tmp_path: Path, files: dict[str, bytes], kind: str, message: str
) -> None:
    _write(tmp_path, files)
    with pytest.raises(LandingError) as caught:
        read_landing(tmp_path, kind)
    text = str(caught.value)
    assert text.startswith(message)
    assert text.endswith(".")
    assert "\n" not in text


def test_unusable_label_schema_files_raise_one_sentence(tmp_path: Path) -> None:
    _write(tmp_path, {"labels.xlsx": b"", "schema.csv": b"name\nspam\n"})
    cases = {
        tmp_path / "missing.csv": f"label schema file {tmp_path / 'missing.csv'} does not exist.",
        tmp_path / "labels.xlsx": (
            f"label schema file {tmp_path / 'labels.xlsx'}: use a .csv, .jsonl or .parquet file."
        ),
        tmp_path / "schema.csv": "schema.csv lacks the required column 'label'.",
    }
    for path, message in cases.items():
        with pytest.raises(LandingError) as caught:
            read_label_schema(path)
        assert str(caught.value) == message


def test_ignored_names_are_never_opened(tmp_path: Path) -> None:
    unusable = b"\x00 not a landing file"
    _write(
        tmp_path,
        {
            "items/.upload-1.csv": unusable,
            "items/.tmp/a.csv": unusable,
            "items/_SUCCESS": unusable,
            "items/_staging/a.parquet": unusable,
            "items/2024/_partial.jsonl": unusable,
            "items/2024/a.csv": b"item_id,text\n1,x\n",
        },
    )
    assert [r["source_file"] for r in _rows(tmp_path, "items")] == ["items/2024/a.csv"]


def test_json_keys_that_fold_to_one_column_make_the_row_malformed(tmp_path: Path) -> None:
    items = tmp_path / "items"
    items.mkdir()
    (items / "a.jsonl").write_text(
        '{"item_id": "1", "text": "a", "Item ID": "2"}\n{"item_id": "3", "text": "b"}\n',
        encoding="utf-8",
    )
    table = read_landing(tmp_path, "items").to_pylist()
    assert [row["parse_error"] is None for row in table] == [False, True]
    assert "'Item ID'" in table[0]["parse_error"]
    assert table[0]["item_id"] is None


@pytest.mark.parametrize("kind", KINDS)
def test_cached_reads_equal_uncached_reads(kind: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = read_landing(LANDING, kind, cache)
    assert first.equals(read_landing(LANDING, kind))
    assert first.equals(read_landing(LANDING, kind, cache))  # read back from the cache
    assert len(list((cache / kind).glob("*.parquet"))) == len(list_landing_files(LANDING, kind))


def test_cache_is_read_back_while_a_file_is_unchanged_and_dropped_when_it_changes(
    tmp_path: Path,
) -> None:
    landing, cache = tmp_path / "landing", tmp_path / "cache"
    (landing / "items").mkdir(parents=True)
    batch = landing / "items" / "a.csv"
    batch.write_text("item_id,text\n1,hello\n")
    (landing / "items" / "b.csv").write_text("item_id,text\n2,world\n")
    assert read_landing(landing, "items", cache).column("text").to_pylist() == ["hello", "world"]
    cached_a = next(
        p
        for p in (cache / "items").glob("*.parquet")
        if pq.read_table(p).column("text").to_pylist() == ["hello"]
    )
    # Rows changed in the cache come back: the file was not parsed again.
    marked = pq.read_table(cached_a)
    pq.write_table(
        marked.set_column(marked.schema.get_field_index("text"), "text", pa.array(["marked"])),
        cached_a,
    )
    assert read_landing(landing, "items", cache).column("text").to_pylist() == ["marked", "world"]
    # A changed file is parsed again, and its old rows leave the cache.
    batch.write_text("item_id,text\n1,hello again\n")
    assert read_landing(landing, "items", cache).column("text").to_pylist() == [
        "hello again",
        "world",
    ]
    assert not cached_a.exists()
    # A removed file's rows leave the cache.
    batch.unlink()
    assert read_landing(landing, "items", cache).column("text").to_pylist() == ["world"]
    assert len(list((cache / "items").glob("*.parquet"))) == 1


def test_large_files_parsed_in_worker_processes_give_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, cache = tmp_path / "landing", tmp_path / "cache"
    (landing / "items").mkdir(parents=True)
    for batch in range(3):
        lines = [f"{batch}-{row},text {row} of batch {batch},x{row % 3}" for row in range(400)]
        (landing / "items" / f"b{batch}.csv").write_text("item_id,text,extra\n" + "\n".join(lines))
    (landing / "items" / "bad.csv").write_text('item_id,text\n1,"unterminated\n2,ok\n')
    serial = read_landing(landing, "items")
    monkeypatch.setattr(landing_module, "PARALLEL_MIN_BYTES", 1)
    assert read_landing(landing, "items").equals(serial)
    assert read_landing(landing, "items", cache).equals(serial)  # parsed, then cached
    assert len(list((cache / "items").glob("*.parquet"))) == 4
    assert read_landing(landing, "items", cache).equals(serial)  # read back


def test_a_file_failing_in_a_worker_process_raises_its_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "a.csv").write_text("item_id,text\n1,hello\n")
    (tmp_path / "items" / "b.csv").write_text("item_id\n1\n")
    monkeypatch.setattr(landing_module, "PARALLEL_MIN_BYTES", 1)
    with pytest.raises(LandingError, match=r"^items/b\.csv lacks the required column 'text'"):
        read_landing(tmp_path, "items")
