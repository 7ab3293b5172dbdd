"""Landing files with defects, for the fuzz tests: what was written, and how many records.

A :class:`Written` file knows how many records its writer put in it, so a reader can be held
to "every record is a row (accepted or quarantined), or the file is refused with a sentence
that names it". Corruptions keep record boundaries (bytes go inside values), except those
marked ``file_level`` (the whole file must be refused) and ``truncate`` (the count may drop
by the cut record).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import random
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

BAD_BYTES_MARK = "\u2603BAD\u2603"  # replaced by bytes that are not UTF-8 after encoding
FORMATS = ("csv", "tsv", "jsonl", "json", "parquet")
ROW_LEVEL = ("none", "bom", "utf16", "latin1", "bad_bytes", "nul", "gzip", "extra_columns")
FILE_LEVEL = ("duplicate_header", "missing_text_column", "empty_header_name")
CORRUPTIONS = (*ROW_LEVEL, *FILE_LEVEL, "empty", "truncate")


@dataclass(frozen=True)
class Written:
    path: Path
    n_records: int
    corruption: str

    @property
    def file_level(self) -> bool:
        return self.corruption in FILE_LEVEL


def records(rng: random.Random, n: int, *, huge: bool = False) -> list[dict[str, object]]:
    """``n`` items: ids, texts with quotes, commas, newlines, tabs and any Unicode."""
    pieces = ['hello', 'a "quoted" word', 'comma, here', 'new\nline', 'tab\there', 'emoji 🎉',
              'ünïcödé', '   spaced   ', 'back\\slash', "it's", '{braces}', '', 'RTL שלום',
              ]  # fmt: skip
    out = []
    for i in range(n):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
        out.append({"item_id": f"f{rng.randrange(10**6)}-{i}", "text": text})
    if huge and out:
        out[0]["text"] = "x" * 1_000_000
    return out


def _corrupt_values(rows: list[dict[str, object]], corruption: str, rng: random.Random) -> None:
    if not rows:
        return
    target = rows[rng.randrange(len(rows))]
    if corruption == "bad_bytes":
        target["text"] = f"{target['text']}{BAD_BYTES_MARK}"
    elif corruption == "nul":
        target["text"] = f"{target['text']}\x00after"
    elif corruption == "extra_columns":
        for row in rows:
            row["Device Name"] = rng.choice(["android", "ios", None])
            row["score"] = rng.choice([1, 2.5, None, "n/a"])


def _csv_bytes(rows: list[dict[str, object]], delimiter: str, corruption: str) -> bytes:
    columns = list(rows[0]) if rows else ["item_id", "text"]
    header = list(columns)
    if corruption == "duplicate_header":
        header[-1] = header[0]
    elif corruption == "missing_text_column":
        header = [c for c in header if c != "text"]
    elif corruption == "empty_header_name":
        header.append("")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        values = ["" if row.get(c) is None else str(row.get(c)) for c in columns]
        writer.writerow(values[: len(header)] if corruption == "missing_text_column" else values)
    return buffer.getvalue().encode("utf-8")


def _json_bytes(rows: list[dict[str, object]], fmt: str, corruption: str) -> bytes:
    if corruption == "missing_text_column":
        rows = [{k: v for k, v in row.items() if k != "text"} for row in rows]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False).encode("utf-8")
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def write(
    folder: Path, name: str, fmt: str, corruption: str, rows: list[dict[str, object]], seed: int
) -> Written:
    """Write ``rows`` as one landing file of ``fmt`` with one ``corruption``."""
    rng = random.Random(seed)
    rows = [dict(r) for r in rows]
    if corruption == "empty":
        rows = []
    _corrupt_values(rows, corruption, rng)
    suffix = {
        "csv": ".csv",
        "tsv": ".tsv",
        "jsonl": ".jsonl",
        "json": ".json",
        "parquet": ".parquet",
    }
    path = folder / f"{name}{suffix[fmt]}"
    if fmt == "parquet":
        if corruption in ("bad_bytes",):  # Parquet strings are UTF-8 by type
            rows = [{**r, "text": str(r["text"]).replace(BAD_BYTES_MARK, "")} for r in rows]
        columns = list(rows[0]) if rows else ["item_id", "text"]
        if corruption == "missing_text_column":
            columns.remove("text")
        table = pa.table(
            {c: pa.array([None if r.get(c) is None else str(r.get(c)) for r in rows],
                         type=pa.string()) for c in columns}
        )  # fmt: skip
        if corruption == "duplicate_header" and len(columns) >= 2:
            table = table.rename_columns([columns[0], columns[0], *columns[2:]])
        elif corruption == "empty_header_name":
            table = table.append_column("", pa.array([None] * len(rows), type=pa.string()))
        sink = io.BytesIO()
        pq.write_table(table, sink)
        data = sink.getvalue()
    elif fmt in ("csv", "tsv"):
        data = _csv_bytes(rows, "\t" if fmt == "tsv" else ",", corruption)
    else:
        data = _json_bytes(rows, fmt, corruption)
    if corruption == "empty":
        data = b""
    elif fmt != "parquet":
        if corruption == "bom":
            data = codecs.BOM_UTF8 + data
        elif corruption == "utf16":
            data = data.decode("utf-8").encode("utf-16")  # with its BOM
        elif corruption == "latin1":
            data = data.decode("utf-8").encode("latin-1", errors="replace")
        data = data.replace(BAD_BYTES_MARK.encode("utf-8"), b"\xff\xc3(")
    if corruption == "truncate" and data:
        data = data[: rng.randrange(len(data))]
    if corruption == "gzip":
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data, mtime=0)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Written(path, len(rows), corruption)
