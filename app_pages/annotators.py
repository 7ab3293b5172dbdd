"""Annotators: how far they agree, overall and per batch, and how each one labels."""

from __future__ import annotations

import streamlit as st

from smartloop import app_ui, queries

TABLES = ("rpt_label_agreement", "dim_annotators", "fct_annotator_confusion", "fct_annotator_pairs")


st.title("Annotators")

app_ui.require_serving_file(*TABLES)

annotators = queries.annotators()
if annotators.empty:
    st.info("No annotation has been accepted yet: add files to `annotations/`, then rebuild.")
    st.stop()
if len(annotators) == 1:
    st.info(
        f"Only one annotator (`{annotators['annotator_id'].iloc[0]}`) labelled this dataset: "
        "agreement, accuracy against the consensus and pairwise kappa need items labelled by "
        "two or more annotators."
    )

st.subheader("Agreement")
agreement = queries.agreement()
overall = agreement[agreement["scope"] == "overall"]
if overall.empty:
    st.caption("No overall agreement was computed.")
else:
    app_ui.agreement_metrics(overall)

st.markdown("**By batch** (annotation file)")
batches = agreement[agreement["scope"] == "batch"]
if batches.empty:
    st.caption("No batch agreement was computed.")
else:
    by_batch = batches.pivot_table(
        index="scope_value", columns="metric", values="value", aggfunc="first", dropna=False
    )
    sizes = batches.groupby("scope_value")[["n_items", "n_annotators"]].max()
    st.dataframe(by_batch.join(sizes), width="stretch")
with st.expander("Every scope (batch, label, metadata value)"):
    st.dataframe(agreement, hide_index=True, width="stretch")

st.subheader("Annotators against the consensus")
st.caption(
    "consensus_agreement: share of an annotator's labels equal to the consensus; "
    "loo_accuracy: the same against a consensus of the other annotators only."
)
st.dataframe(annotators, hide_index=True, width="stretch")

st.subheader("Confusion")
ids = annotators["annotator_id"].tolist()
if st.session_state.get("annotators_annotator_id") not in ids:
    st.session_state["annotators_annotator_id"] = ids[0]
annotator_id = st.selectbox("Annotator", ids, key="annotators_annotator_id")
confusion = queries.annotator_confusion(annotator_id)
if confusion.empty:
    st.caption("This annotator has no label on an item with a consensus.")
else:
    matrix = confusion.pivot_table(
        index="consensus_label", columns="given_label", values="n_annotations", fill_value=0
    )
    st.caption("Rows: consensus label; columns: the label this annotator gave.")
    st.dataframe(matrix, width="stretch")

st.subheader("Pairs")
pairs = queries.annotator_pairs()
if pairs.empty:
    st.caption("No two annotators labelled the same item.")
else:
    st.dataframe(pairs, hide_index=True, width="stretch")
