"""Every query the app runs, against the published serving file only.

Each query opens ``<home>/serving.duckdb`` read-only for that one query and closes it again,
so a build can replace the file at any time. Results are cached for a few seconds; the cache
key carries the file's modification stamp, so a newly published file is read at once.
The app never opens the warehouse file and never writes to DuckDB.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from smartloop.paths import home_dir, serving_path, status_path

CACHE_TTL_SECONDS = 10
KINDS = ("items", "annotations", "reviews", "deletions")
QUARANTINE_COLUMNS = (
    "source_kind",
    "source_file",
    "source_row_number",
    "reason_code",
    "reason_detail",
    "item_id",
    "raw_record",
    "quarantine_id",
)


class NoServingFileError(FileNotFoundError):
    """No build has been published into the home folder yet."""


def home() -> Path:
    """The home folder the app reads from (env SMARTLOOP_HOME, else ./.smartloop)."""
    return home_dir()


def serving_file() -> Path:
    """Path of the published serving file in the home folder (it may not exist yet)."""
    return serving_path(home())


def has_serving_file() -> bool:
    """Whether a build has been published, i.e. the serving file exists."""
    return serving_file().is_file()


def no_build_message() -> str:
    """The instruction shown on every page while nothing has been published."""
    return (
        f"No build has been published yet in `{home()}`. Run `smartloop build` "
        "(or `make demo` for the embedded demo), then reload."
    )


def _file_stamp(path: Path) -> tuple[int, int, int]:
    """Modification time, size and inode: changes whenever a new file is published."""
    try:
        stat = os.stat(path)
    except FileNotFoundError as exc:
        raise NoServingFileError(no_build_message()) from exc
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _read(
    path: str, stamp: tuple[int, int, int], sql: str, params: tuple[Any, ...]
) -> pd.DataFrame:
    """Run one query on a read-only connection; ``stamp`` only keys the cache."""
    del stamp
    with duckdb.connect(path, read_only=True) as con:
        return con.execute(sql, list(params)).df()


def _query(sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    path = serving_file()
    return _read(str(path), _file_stamp(path), sql, tuple(params))


def _in_filter(column: str, values: Iterable[str]) -> tuple[str, list[str]]:
    """A ``column in (?, ...)`` predicate and its parameters; empty values filter nothing.

    >>> _in_filter("reason_code", ["empty_text", "unknown_label"])
    ('reason_code in (?, ?)', ['empty_text', 'unknown_label'])
    >>> _in_filter("reason_code", [])
    ('true', [])
    """
    values = sorted(set(values))
    if not values:
        return "true", []
    return f"{column} in ({', '.join('?' for _ in values)})", values


def serving_info() -> dict[str, Any] | None:
    """The build the serving file holds: build_id, published_at, landing_dir."""
    frame = _query("select build_id, published_at, landing_dir from serving_info limit 1")
    return None if frame.empty else frame.iloc[0].to_dict()


def pipeline_runs() -> pd.DataFrame:
    """All runs from ``rpt_pipeline_runs``, newest first."""
    counts = ", ".join(
        f"n_{kind}_{outcome}" for kind in KINDS for outcome in ("landed", "accepted", "quarantined")
    )
    return _query(
        f"""
        select
            build_id, status, started_at, ended_at, message, n_files, {counts},
            landing_dir, invocation_id, is_current
        from rpt_pipeline_runs
        order by started_at desc nulls last, build_id desc
        """
    )


def file_loads(build_id: str) -> pd.DataFrame:
    """Per-file landed / accepted / quarantined counts of one run."""
    return _query(
        """
        select
            source_kind,
            source_file,
            source_format,
            n_landed,
            n_accepted,
            n_quarantined,
            loaded_at
        from fct_source_file_loads
        where build_id = ?
        order by source_kind, source_file
        """,
        [build_id],
    )


def item_count() -> int:
    """Number of accepted items in ``dim_items``."""
    return int(_query("select count(*) as n_items from dim_items")["n_items"].iloc[0])


def label_counts() -> pd.DataFrame:
    """Items per current label (null label = unlabelled), largest first."""
    return _query(
        """
        select label, count(*) as n_items
        from dim_items
        group by label
        order by n_items desc, label nulls last
        """
    )


def quarantine_counts() -> pd.DataFrame:
    """Quarantined rows per source_kind and reason_code."""
    return _query(
        """
        select source_kind, reason_code, count(*) as n_rows
        from rpt_quarantine
        group by source_kind, reason_code
        order by source_kind, n_rows desc, reason_code
        """
    )


def quarantine_files() -> pd.DataFrame:
    """Quarantined rows per source file."""
    return _query(
        """
        select source_kind, source_file, count(*) as n_rows
        from rpt_quarantine
        group by source_kind, source_file
        order by source_file
        """
    )


def quarantine(
    source_kinds: Iterable[str] = (),
    reason_codes: Iterable[str] = (),
    source_files: Iterable[str] = (),
) -> pd.DataFrame:
    """Quarantined rows, narrowed by any non-empty filter, in file and row order."""
    predicates, params = [], []
    for column, values in (
        ("source_kind", source_kinds),
        ("reason_code", reason_codes),
        ("source_file", source_files),
    ):
        predicate, values_params = _in_filter(column, values)
        predicates.append(predicate)
        params.extend(values_params)
    return _query(
        f"""
        select {", ".join(QUARANTINE_COLUMNS)}
        from rpt_quarantine
        where {" and ".join(predicates)}
        order by source_kind, source_file, source_row_number, quarantine_id
        """,
        params,
    )


def last_build_status() -> dict[str, Any] | None:
    """The latest build attempt from ``last_build.json``, or None before the first build.

    The file is read fresh on every call: it changes while a build runs.
    """
    path = status_path(home())
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        status = json.loads(text)
    except json.JSONDecodeError:
        status = None
    if not isinstance(status, dict):
        return {"status": "unknown", "message": f"{path} is not a valid build status file."}
    if status.get("status") == "running" and not _process_alive(status.get("pid")):
        status = {
            **status,
            "status": "interrupted",
            "message": "the build stopped before it finished (killed or crashed).",
        }
    return status


def _process_alive(pid: object) -> bool:
    """Whether the builder that wrote a running status still runs (True when unknown)."""
    if not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
