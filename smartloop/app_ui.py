"""Small pieces the dashboard's pages share."""

from __future__ import annotations

import streamlit as st

from smartloop import queries


def require_serving_file(*tables: str) -> None:
    """Stop the page with one plain message when nothing is published yet, or when the
    serving file lacks any of ``tables`` (an older build)."""
    if not queries.has_serving_file():
        st.info(queries.no_build_message())
        st.stop()
    missing = queries.missing_tables(*tables)
    if missing:
        st.info(queries.missing_tables_message(missing))
        st.stop()
