"""dbt-duckdb plugin: landing folders as sources, and the Python functions the SQL calls.

Registered in ``profiles.yml``; a source whose config ``meta`` names ``plugin: smartloop``
and a ``landing_kind`` is read by :func:`smartloop.landing.read_landing`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from dbt_common.invocation import get_invocation_id
from duckdb import DuckDBPyConnection
from duckdb.sqltypes import VARCHAR

from smartloop.landing import (
    CONTRACTS,
    LANDING_ERROR_PREFIX,
    LandingError,
    empty_landing_table,
    read_label_schema,
    read_landing,
)
from smartloop.privacy import pseudonymise_arrow
from smartloop.text import clean_text_arrow


class Plugin(BasePlugin):
    """Loads landing folders and registers ``smartloop_clean_text`` on every connection.

    With the plugin config ``landing_cache_dir`` (set by ``smartloop build``), each landed
    file's parsed rows are cached there and read back while the file is unchanged.

    dbt resolves a source each time a node renders it, and each time dbt-duckdb replaces the
    source's table. The first read of a source in a dbt invocation is therefore kept and
    returned for the rest of that invocation: a build reads each file once however many
    models and tests use the source, and every model and test of one build sees the same
    files. Re-reading instead would let a file that lands mid-build (a review saved by the
    dashboard) reach the views and the marts built after it but not the tables built before
    it, so one published build would disagree with itself (or a reconciliation test fail).
    """

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._cache: dict[tuple[str, str, str], tuple[str, Any]] = {}
        self._landing_cache_dir = plugin_config.get("landing_cache_dir") or None

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        # Empty landing tables exist from the start (unit tests read their columns before
        # any source is loaded); loading a source replaces its table.
        conn.execute("create schema if not exists landing")
        empties = {kind: empty_landing_table(kind) for kind in CONTRACTS}
        empties["label_schema"] = read_label_schema(None)
        for kind, empty in empties.items():
            conn.register("smartloop_empty_landing", empty)
            conn.execute(
                f"create table if not exists landing.{kind} as "
                "select * from smartloop_empty_landing"
            )
            conn.unregister("smartloop_empty_landing")
        conn.create_function(
            "smartloop_pseudonymise",
            pseudonymise_arrow,
            [VARCHAR],
            VARCHAR,
            type="arrow",
            null_handling="special",
        )
        conn.create_function(
            "smartloop_clean_text",
            clean_text_arrow,
            [VARCHAR],
            VARCHAR,
            type="arrow",
            null_handling="special",
        )

    def load(self, source_config: SourceConfig, cursor: Any = None) -> Any:
        try:
            return self._load(source_config)
        except LandingError as exc:
            raise LandingError(f"{LANDING_ERROR_PREFIX}{exc}") from exc

    def _load(self, source_config: SourceConfig) -> Any:
        kind = source_config.get("landing_kind")
        if kind == "label_schema":
            path = source_config.get("label_schema_file")
            return self._cached(("label_schema", "", str(path)), lambda: read_label_schema(path))
        landing_dir = source_config.get("landing_dir")
        if not kind or not landing_dir:
            raise ValueError(
                f"source {source_config.name}.{source_config.identifier} needs meta "
                "'landing_kind' and 'landing_dir'."
            )
        if not Path(landing_dir).is_dir():
            raise LandingError(f"landing folder {Path(landing_dir).resolve()} does not exist.")
        return self._cached(
            (kind, str(landing_dir), ""),
            lambda: read_landing(landing_dir, kind, self._landing_cache_dir),
        )

    def _cached(self, key: tuple[str, str, str], read: Any) -> Any:
        """The table ``read`` returned at the first load of ``key`` in this dbt invocation."""
        invocation_id = get_invocation_id()
        hit = self._cache.get(key)
        if hit is not None and hit[0] == invocation_id:
            return hit[1]
        table = read()
        self._cache[key] = (invocation_id, table)
        return table
