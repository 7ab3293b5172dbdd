"""Read a landing folder into one raw table per kind, losing nothing.

A landing folder has sub-folders ``items/``, ``annotations/``, ``reviews/`` and
``deletions/``; each may hold any mix of CSV (``.csv``, ``.tsv``), JSON lines
(``.jsonl``, ``.ndjson``, ``.json``) and Parquet (``.parquet``, ``.pq``) files, optionally
gzip-compressed (``.gz``), in nested folders. Every record of every file becomes one row:
rows that cannot be parsed keep their raw content and a ``parse_error``, so the warehouse
can quarantine them with a reason instead of dropping them.

The output schema is fixed per kind (source columns, the contract columns as text, and a
``metadata`` JSON object holding every other column), so the SQL downstream never depends
on which columns a particular batch happened to carry.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


class LandingError(ValueError):
    """A landing file the pipeline cannot use at all; the message is one sentence."""


# Marks a landing error inside dbt's error message, so the builder can show it as it is.
LANDING_ERROR_PREFIX = "landing error: "


@dataclass(frozen=True)
class Contract:
    """The columns one landing folder promises."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    # At least one of these must be present (on top of every required column).
    required_any: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.required_any + self.optional


CONTRACTS: dict[str, Contract] = {
    "items": Contract(required=("item_id", "text")),
    "annotations": Contract(
        required=("item_id", "label"), optional=("annotator_id", "annotated_at")
    ),
    "reviews": Contract(
        required=("review_id", "item_id", "action"),
        optional=("label", "reviewer", "reason", "created_at"),
    ),
    "deletions": Contract(
        required=(), required_any=("item_id", "pseudonym"), optional=("requested_at", "reason")
    ),
}

SOURCE_COLUMNS = ("source_file", "source_format", "source_row_number", "parse_error", "raw_record")
FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_NAME_RE = re.compile(r"[^0-9a-z]+")

csv.field_size_limit(sys.maxsize)


def normalise_column_name(name: str) -> str:
    """Fold a header to snake_case so ``Item ID`` and ``item_id`` mean the same column.

    >>> normalise_column_name("  Item ID ")
    'item_id'
    >>> normalise_column_name("\\ufeffCreated-At")
    'created_at'
    >>> normalise_column_name("2nd label")
    'c_2nd_label'
    """
    out = _NAME_RE.sub("_", name.replace("\ufeff", "").strip().lower()).strip("_")
    if out and out[0].isdigit():
        out = f"c_{out}"
    return out


def file_format(path: Path) -> str | None:
    """The reader for a file name, or None when the extension is not supported."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return FORMATS.get(suffixes[-1]) if suffixes else None


def list_landing_files(landing_dir: Path, kind: str) -> list[Path]:
    """Every landed file of a kind, sorted by path; hidden and ``_``-prefixed names are skipped.

    Writers put a batch in place with a temporary hidden name and an atomic rename, so
    skipping hidden names never reads a half-written file.
    """
    folder = Path(landing_dir) / kind
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.rglob("*")):
        rel_parts = path.relative_to(folder).parts
        if any(p.startswith((".", "_")) for p in rel_parts) or not path.is_file():
            continue
        if file_format(path) is None:
            raise LandingError(
                f"{kind}/{path.relative_to(folder).as_posix()}: unsupported file type "
                f"(use .csv, .tsv, .jsonl, .ndjson, .json, .parquet or .pq, optionally .gz)."
            )
        files.append(path)
    return files


# json.dumps(value, ensure_ascii=False[, sort_keys=True]) without a new encoder per row
_JSON = json.JSONEncoder(ensure_ascii=False)
_SORTED_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


@dataclass
class _Rows:
    """Column-wise accumulator for the raw table of one kind."""

    contract: Contract
    data: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.columns = self.contract.columns
        for name in (*SOURCE_COLUMNS, *self.columns, "metadata"):
            self.data[name] = []

    def extra_names(self, header: Sequence[str]) -> tuple[str, ...]:
        """The names of ``header`` that are not the contract's: the metadata columns."""
        return tuple(name for name in header if name not in self.columns)

    def add(
        self,
        source: tuple[str, str],
        row_number: int,
        record: dict[str, str | None] | None,
        raw: Any,
        error: str | None,
        extra_names: tuple[str, ...] | None = None,
    ) -> None:
        """One landed row; ``extra_names`` (the record's metadata keys, when every record of
        the file has the same keys) saves finding them row by row."""
        d = self.data
        d["source_file"].append(source[0])
        d["source_format"].append(source[1])
        d["source_row_number"].append(row_number)
        d["parse_error"].append(error)
        d["raw_record"].append(_JSON.encode(raw))
        record = record or {}
        for name in self.columns:
            d[name].append(record.get(name))
        if extra_names is None or not record:
            extra = {k: v for k, v in record.items() if k not in self.columns}
        else:
            extra = {k: record[k] for k in extra_names}
        # Sorted keys: the same metadata from a CSV and a JSON file compares equal.
        d["metadata"].append(_SORTED_JSON.encode(extra) if extra else None)

    def table(self) -> pa.Table:
        types = {"source_row_number": pa.int64()}
        return pa.table(
            {
                name: pa.array(values, type=types.get(name, pa.string()))
                for name, values in self.data.items()
            }
        )


def _stringify(value: Any) -> str | None:
    """One landed value as text: strings as they are, everything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _read_bytes(path: Path) -> bytes:
    if path.suffix.lower() == ".gz":
        with gzip.open(path, "rb") as fh:
            return fh.read()
    return path.read_bytes()


def _decode(data: bytes) -> str:
    """Decode landed bytes; invalid UTF-8 survives as surrogates so the row can be flagged."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    return data.decode("utf-8", errors="surrogateescape")


_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_DEFECT_RE = re.compile("[\ud800-\udfff\x00]")


def _has_surrogates(text: str) -> bool:
    """Undecodable bytes (escaped by ``surrogateescape``) or lone surrogates from JSON escapes."""
    return _SURROGATE_RE.search(text) is not None


def _may_have_defects(texts: Iterable[str]) -> bool:
    """Whether any of ``texts`` holds a character :func:`_row_defect` refuses (checked once
    for a whole file or column, so clean data skips the check per row)."""
    return any(_DEFECT_RE.search(text) is not None for text in texts)


_LONE_SURROGATE_RE = re.compile("[\ud800-\udc7f\udd00-\udfff]")


def _repair(text: str) -> str:
    """Show undecodable bytes and lone surrogates as U+FFFD so the raw record can be stored."""
    text = _LONE_SURROGATE_RE.sub("\ufffd", text)
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def _row_defect(values: list[str]) -> str | None:
    if any(_has_surrogates(v) for v in values):
        return "the row holds bytes that are not valid UTF-8"
    if any("\x00" in v for v in values):
        return "the row holds a NUL byte"
    return None


def _header(names: list[str], rel: str) -> list[str]:
    header = [normalise_column_name(n) for n in names]
    seen: set[str] = set()
    for original, name in zip(names, header, strict=True):
        if not name:
            raise LandingError(f"{rel}: the header has an empty column name.")
        if name in seen:
            raise LandingError(f"{rel}: column '{original.strip()}' appears twice in the header.")
        seen.add(name)
    return header


def _require(columns: set[str], contract: Contract, rel: str) -> None:
    for name in contract.required:
        if name not in columns:
            raise LandingError(f"{rel} lacks the required column '{name}'.")
    if contract.required_any and not columns.intersection(contract.required_any):
        names = " or ".join(f"'{name}'" for name in contract.required_any)
        raise LandingError(f"{rel} lacks the required column {names}.")


def _csv_records(text: str, delimiter: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    yield from reader


def _read_csv(path: Path, rel: str, contract: Contract, rows: _Rows) -> None:
    text = _decode(_read_bytes(path))
    delimiter = "\t" if file_format(path) == "csv" and ".tsv" in path.name.lower() else ","
    records = _csv_records(text, delimiter)
    try:
        first = next(records, None)
        if first is None:
            return  # an empty file holds no rows and promises nothing
        header = _header([_repair(n) for n in first], rel)
        _require(set(header), contract, rel)
        check_rows = _may_have_defects([text])
        extra_names = rows.extra_names(header)
        number = 0
        for fields in records:
            if not fields:
                continue  # blank line
            number += 1
            error = _row_defect(fields) if check_rows else None
            if error is None and len(fields) != len(header):
                error = f"the row has {len(fields)} fields and the header has {len(header)}"
            if error:
                rows.add((rel, "csv"), number, None, [_repair(f) for f in fields], error)
                continue
            record = dict(zip(header, fields, strict=True))
            rows.add((rel, "csv"), number, record, record, None, extra_names)
    except csv.Error as exc:
        raise LandingError(f"{rel}: the CSV cannot be parsed ({_reason(exc)}).") from exc


def _json_values(text: str, path: Path) -> Iterator[tuple[str, Any, str | None]]:
    """Yield (raw text, parsed value, error) for each record of a JSON lines or JSON array file."""
    stripped = text.lstrip()
    if path.name.lower().removesuffix(".gz").endswith(".json") and stripped.startswith("["):
        try:
            values = json.loads(stripped)
        except json.JSONDecodeError:
            values = None
        if isinstance(values, list):
            for value in values:
                yield _repair(json.dumps(value, ensure_ascii=False)), value, None
            return
    for line in text.split("\n"):
        if not line.strip():
            continue
        if _has_surrogates(line):
            yield _repair(line), None, "the line holds bytes that are not valid UTF-8"
            continue
        try:
            yield line, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield line, None, f"the line is not valid JSON ({exc.msg} at column {exc.colno})"


def _read_jsonl(path: Path, rel: str, contract: Contract, rows: _Rows) -> None:
    text = _decode(_read_bytes(path))
    parsed: list[tuple[str, dict[str, str | None] | None, str | None]] = []
    seen_columns: set[str] = set()
    n_objects = 0
    for raw, value, error in _json_values(text, path):
        if error is None and not isinstance(value, dict):
            error = "the line is not a JSON object"
        if error:
            parsed.append((raw, None, error))
            continue
        n_objects += 1
        record: dict[str, str | None] = {}
        clashes: list[str] = []
        for key, item in value.items():
            name = normalise_column_name(str(key))
            if name in record or not name:
                clashes.append(str(key))
            record[name] = _stringify(item)
        seen_columns.update(record)
        defect = _row_defect([v for v in record.values() if v is not None])
        if clashes and defect is None:
            defect = f"the keys {', '.join(repr(k) for k in clashes)} repeat or empty a column name"
        parsed.append((raw, None if defect else record, defect))
    if n_objects:  # lines that are not objects are quarantined, not held against the columns
        _require(seen_columns, contract, rel)
    for number, (raw, record, error) in enumerate(parsed, start=1):
        raw_value: Any = record if record is not None else raw
        rows.add((rel, "jsonl"), number, record, raw_value, error)


def _reason(exc: BaseException) -> str:
    """An exception's message as one clause: its first line, without a closing full stop."""
    lines = str(exc).strip().splitlines()
    return (lines[0].rstrip(".") if lines else "") or type(exc).__name__


def _read_parquet(path: Path, rel: str, contract: Contract, rows: _Rows) -> None:
    gzipped = path.suffix.lower() == ".gz"
    data = _read_bytes(path) if gzipped else None
    if (data == b"") if gzipped else path.stat().st_size == 0:
        return  # an empty file holds no rows and promises nothing (as an empty CSV)
    try:
        # the header first: pyarrow cannot even read a file whose column names repeat
        names = pq.read_schema(pa.BufferReader(data) if gzipped else path).names
    except Exception as exc:
        raise LandingError(f"{rel}: the Parquet file cannot be read ({_reason(exc)}).") from exc
    header = _header(names, rel)
    _require(set(header), contract, rel)
    try:
        table = pq.read_table(pa.BufferReader(data) if gzipped else path)
    except Exception as exc:
        raise LandingError(f"{rel}: the Parquet file cannot be read ({_reason(exc)}).") from exc
    columns = [
        # text columns are already what _stringify makes of them
        col.to_pylist()
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
        else [_stringify(v) for v in col.to_pylist()]
        for col in table.columns
    ]
    check_rows = _may_have_defects(v for col in columns for v in col if v is not None)
    extra_names = rows.extra_names(header)
    for number, values in enumerate(zip(*columns, strict=True), start=1):
        record = dict(zip(header, values, strict=True))
        error = _row_defect([v for v in values if v is not None]) if check_rows else None
        rows.add((rel, "parquet"), number, None if error else record, record, error, extra_names)


_READERS = {"csv": _read_csv, "jsonl": _read_jsonl, "parquet": _read_parquet}


LABEL_SCHEMA = Contract(required=("label",), optional=("description", "is_active", "replaced_by"))


def read_label_schema(path: str | Path | None) -> pa.Table:
    """Read a dataset's own label schema file (same columns as the ``label_schema`` seed).

    No path gives an empty table: the project's seed is used instead.
    """
    rows = _Rows(LABEL_SCHEMA)
    if path:
        file = Path(path)
        if not file.is_file():
            raise LandingError(f"label schema file {file} does not exist.")
        fmt = file_format(file)
        if fmt is None:
            raise LandingError(f"label schema file {file}: use a .csv, .jsonl or .parquet file.")
        _READERS[fmt](file, file.name, LABEL_SCHEMA, rows)
    return rows.table()


def empty_landing_table(kind: str) -> pa.Table:
    """The raw table of a kind with no rows: the schema every landing source has."""
    return _Rows(CONTRACTS[kind]).table()


def read_landing(
    landing_dir: str | Path, kind: str, cache_dir: str | Path | None = None
) -> pa.Table:
    """Read every file of one kind under a landing folder into the raw table for that kind.

    A missing or empty folder gives an empty table with the same columns. With ``cache_dir``
    each file's rows are kept there (Parquet, named by a hash of the file's bytes, its path
    and this module's code) and read back while the file is unchanged, so a build after a
    new batch parses only the new files; cached files of the kind that no longer match a
    landed file are deleted.
    """
    if kind not in CONTRACTS:
        raise LandingError(f"unknown landing kind '{kind}' (known: {', '.join(CONTRACTS)}).")
    root = Path(landing_dir)
    cache = Path(cache_dir) / kind if cache_dir else None
    files = [(path, path.relative_to(root).as_posix()) for path in list_landing_files(root, kind)]
    tables: list[pa.Table | None] = []
    # (position in tables, path, rel, where its rows are to be cached)
    to_parse: list[tuple[int, Path, str, Path | None]] = []
    kept: set[str] = set()
    for path, rel in files:
        tables.append(None)
        cached = None
        if cache is not None:
            try:
                cached = cache / f"{_file_key(path, rel, kind)}.parquet"
                kept.add(cached.name)
                if cached.is_file():
                    tables[-1] = pq.read_table(cached)
                    continue
            except OSError as exc:
                raise LandingError(f"{rel}: the file cannot be read ({_reason(exc)}).") from exc
        to_parse.append((len(tables) - 1, path, rel, cached))
    parsed = _parse_files([(path, rel) for _, path, rel, _ in to_parse], kind)
    for (position, _, rel, cached), table in zip(to_parse, parsed, strict=True):
        tables[position] = table
        if cached is not None:
            _cache_rows(cached, table, rel)
    if cache is not None and cache.is_dir():
        for stale in cache.glob("*.parquet"):
            if stale.name not in kept:
                stale.unlink(missing_ok=True)
    return pa.concat_tables([empty_landing_table(kind), *tables])


# Below this many bytes to parse, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 16 * 2**20


def _parse_files(to_parse: list[tuple[Path, str]], kind: str) -> list[pa.Table]:
    """The rows of each file, in order; several large files are parsed in joblib's worker
    processes (loky: started afresh, not forked from the dbt process and its threads), one
    file per task, as parsing is pure Python."""
    total = sum(path.stat().st_size for path, _ in to_parse if path.is_file())
    workers = min(os.cpu_count() or 1, len(to_parse))
    if workers < 2 or total < PARALLEL_MIN_BYTES:
        return [parse_file(path, rel, kind) for path, rel in to_parse]
    # here, not at the top: joblib is not needed by most readers of this module
    from joblib import Parallel, delayed

    return Parallel(n_jobs=workers, backend="loky")(
        delayed(parse_file)(path, rel, kind) for path, rel in to_parse
    )


def parse_file(path: Path, rel: str, kind: str) -> pa.Table:
    """The raw rows of one landed file of ``kind`` (``rel``: its path in the landing folder)."""
    try:
        return _read_file(path, rel, CONTRACTS[kind])
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise LandingError(f"{rel}: the file cannot be read ({_reason(exc)}).") from exc


def _cache_rows(cached: Path, table: pa.Table, rel: str) -> None:
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # here, not at the top: smartloop.build imports this module
        from smartloop.build import write_file_atomic

        write_file_atomic(cached, lambda tmp: pq.write_table(table, tmp))
    except OSError as exc:
        raise LandingError(
            f"{rel}: its rows cannot be cached in {cached.parent} ({_reason(exc)})."
        ) from exc


def _read_file(path: Path, rel: str, contract: Contract) -> pa.Table:
    rows = _Rows(contract)
    _READERS[file_format(path)](path, rel, contract, rows)
    return rows.table()


# Cached rows are valid for the code that parsed them: any change to this module makes new keys.
_CODE_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _file_key(path: Path, rel: str, kind: str) -> str:
    """A hash of a landed file's bytes, its path in the landing folder, its kind and the parser."""
    digest = hashlib.sha256(f"{_CODE_HASH}\0{kind}\0{rel}\0".encode())
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:32]
