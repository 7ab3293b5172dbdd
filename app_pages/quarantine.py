"""Quarantine: the landed rows a build refused, why, and where they came from."""

from __future__ import annotations

import streamlit as st

from smartloop import app_ui, queries

st.title("Quarantine")

app_ui.require_serving_file()

counts = queries.quarantine_counts()
if counts.empty:
    st.success("No row was quarantined in the published build.")
    st.stop()

n_total = int(counts["n_rows"].sum())
st.caption(f"{n_total} quarantined rows in the published build.")
by_reason, by_kind = st.columns(2)
with by_reason:
    st.markdown("**By reason**")
    st.bar_chart(counts, x="reason_code", y="n_rows", color="source_kind", horizontal=True)
with by_kind:
    st.markdown("**By source kind and reason**")
    st.dataframe(counts, hide_index=True, width="stretch")

files = queries.quarantine_files()
options = {
    "quarantine_source_kinds": sorted(counts["source_kind"].unique()),
    "quarantine_reason_codes": sorted(counts["reason_code"].unique()),
    "quarantine_source_files": sorted(files["source_file"].unique()),
}
for key, valid in options.items():
    st.session_state[key] = [value for value in st.session_state.get(key, []) if value in valid]

kind_filter, reason_filter, file_filter = st.columns(3)
source_kinds = kind_filter.multiselect(
    "Source kind", options["quarantine_source_kinds"], key="quarantine_source_kinds"
)
reason_codes = reason_filter.multiselect(
    "Reason", options["quarantine_reason_codes"], key="quarantine_reason_codes"
)
source_files = file_filter.multiselect(
    "Source file", options["quarantine_source_files"], key="quarantine_source_files"
)

rows = queries.quarantine(source_kinds, reason_codes, source_files)
st.caption(f"Showing {len(rows)} of {n_total} rows.")
st.dataframe(rows, hide_index=True, width="stretch")
st.download_button(
    "Download these rows as CSV",
    data=rows.to_csv(index=False).encode("utf-8"),
    file_name="quarantine.csv",
    mime="text/csv",
    disabled=rows.empty,
    key="quarantine_download",
)
