"""dbt-duckdb plugin: landing folders as sources, and the text functions the SQL calls.

Registered in ``profiles.yml``; a source whose config ``meta`` names ``plugin: smartloop``
and a ``landing_kind`` is read by :func:`smartloop.landing.read_landing`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from duckdb import DuckDBPyConnection
from duckdb.sqltypes import VARCHAR

from smartloop.landing import LandingError, read_label_schema, read_landing
from smartloop.text import clean_text_arrow


class Plugin(BasePlugin):
    """Loads landing folders and registers ``smartloop_clean_text`` on every connection."""

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        conn.create_function(
            "smartloop_clean_text", clean_text_arrow, [VARCHAR], VARCHAR, type="arrow"
        )

    def load(self, source_config: SourceConfig, cursor: Any = None) -> Any:
        kind = source_config.get("landing_kind")
        if kind == "label_schema":
            return read_label_schema(source_config.get("label_schema_file"))
        landing_dir = source_config.get("landing_dir")
        if not kind or not landing_dir:
            raise ValueError(
                f"source {source_config.name}.{source_config.identifier} needs meta "
                "'landing_kind' and 'landing_dir'."
            )
        if not Path(landing_dir).is_dir():
            raise LandingError(f"landing folder {Path(landing_dir).resolve()} does not exist.")
        return read_landing(landing_dir, kind)
