"""Small pieces the dashboard's pages share."""

from __future__ import annotations

import pandas as pd
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


AGREEMENT_TITLES = {"krippendorff_alpha": "Krippendorff's alpha", "fleiss_kappa": "Fleiss' kappa"}


def agreement_metrics(overall: pd.DataFrame) -> None:
    """One metric per agreement coefficient (rows of rpt_label_agreement), with its support,
    or n/a and the reason it does not apply."""
    for column, row in zip(st.columns(len(overall)), overall.itertuples(index=False), strict=True):
        title = AGREEMENT_TITLES.get(row.metric, row.metric)
        if pd.isna(row.value):
            column.metric(title, "n/a")
            column.caption(f"Not applicable: {row.not_applicable_reason}.")
        else:
            column.metric(title, f"{row.value:.3f}")
            column.caption(
                f"{int(row.n_items)} items, {int(row.n_annotations)} annotations, "
                f"{int(row.n_annotators)} annotators"
            )
