"""Pipeline runs: what each build landed, accepted and quarantined, and the items it kept."""

from __future__ import annotations

import streamlit as st

from smartloop import queries

st.title("Pipeline runs")

if not queries.has_serving_file():
    st.info(queries.no_build_message())
    st.stop()

runs = queries.pipeline_runs()
if runs.empty:
    st.info("The serving file holds no pipeline runs yet. Run `smartloop build`, then reload.")
    st.stop()

current = runs[runs["is_current"].fillna(False).astype(bool)]
latest = (current if not current.empty else runs).iloc[0]

st.subheader(f"Latest run `{latest['build_id']}`")
st.caption(
    f"Status: {latest['status']} · started {latest['started_at']} · {latest['n_files']} files"
)
for column, kind in zip(st.columns(len(queries.KINDS)), queries.KINDS, strict=True):
    with column:
        st.markdown(f"**{kind.capitalize()}**")
        st.metric("Landed", int(latest[f"n_{kind}_landed"]))
        st.metric("Accepted", int(latest[f"n_{kind}_accepted"]))
        st.metric("Quarantined", int(latest[f"n_{kind}_quarantined"]))

st.subheader("All runs")
st.dataframe(runs, hide_index=True, width="stretch")

st.subheader("Files loaded")
build_ids = runs["build_id"].tolist()
labels = {
    row.build_id: f"{row.build_id} · {row.status} · {row.started_at}"
    for row in runs.itertuples(index=False)
}
selected = st.selectbox("Run", build_ids, format_func=labels.__getitem__, key="overview_build_id")
loads = queries.file_loads(selected)
if loads.empty:
    st.caption("This run recorded no file loads.")
else:
    st.dataframe(loads, hide_index=True, width="stretch")

st.subheader("Items")
n_items = queries.item_count()
labels_by_count = queries.label_counts()
labelled = labels_by_count[labels_by_count["label"].notna()]
n_labelled = int(labelled["n_items"].sum())
items_column, labelled_column = st.columns(2)
items_column.metric("Accepted items", n_items)
labelled_column.metric("Labelled items", n_labelled)
if labelled.empty:
    st.caption("No item has a label yet.")
else:
    st.bar_chart(labelled, x="label", y="n_items", horizontal=True)
