"""Failing slices: where the model errs more than on the rest of the split, and why."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from smartloop import app_ui, queries

TABLES = (
    "rpt_failing_slices",
    "fct_slice_metrics",
    "fct_slice_metrics_history",
    "dim_items",
    "fct_predictions",
    "fct_item_labels",
    "fct_label_issues",
)
SORTS = {
    "excess errors": ("excess_errors", False),
    "error rate": ("error_rate", False),
    "q-value": ("q_value", True),
    "items": ("n_items", False),
}
TABLE_COLUMNS = [
    "slice_rank",
    "slice_name",
    "n_items",
    "n_errors",
    "error_rate",
    "wilson_lower",
    "wilson_upper",
    "rest_error_rate",
    "excess_errors",
    "q_value",
    "is_new_since_previous_run",
    "is_regressed",
]


def interval_chart(slices: pd.DataFrame) -> alt.LayerChart:
    """Error rate with its Wilson 95% interval per slice, and the rest of the split's rate."""
    order = slices["slice_name"].tolist()
    y = alt.Y("slice_name:N", sort=order, title=None)
    base = alt.Chart(slices)
    interval = base.mark_rule(strokeWidth=2).encode(
        y=y,
        x=alt.X("wilson_lower:Q", title="error rate (Wilson 95% interval)"),
        x2="wilson_upper:Q",
    )
    rate = base.mark_point(filled=True, size=70).encode(
        y=y,
        x="error_rate:Q",
        tooltip=[
            "slice_name",
            "n_items",
            "n_errors",
            alt.Tooltip("error_rate:Q", format=".3f"),
            alt.Tooltip("wilson_lower:Q", format=".3f"),
            alt.Tooltip("wilson_upper:Q", format=".3f"),
            alt.Tooltip("rest_error_rate:Q", format=".3f"),
            alt.Tooltip("excess_errors:Q", format=".1f"),
        ],
    )
    rest = base.mark_tick(color="gray", thickness=2).encode(
        y=y, x="rest_error_rate:Q", tooltip=[alt.Tooltip("rest_error_rate:Q", format=".3f")]
    )
    return interval + rate + rest


def history_chart(history: pd.DataFrame) -> alt.LayerChart:
    base = alt.Chart(history).encode(x=alt.X("recorded_at:T", title="build"))
    band = base.mark_area(opacity=0.25).encode(
        y=alt.Y("wilson_lower:Q", title="error rate"), y2="wilson_upper:Q"
    )
    line = base.mark_line(point=True).encode(
        y="error_rate:Q", tooltip=["build_id", "n_items", "n_errors", "error_rate", "is_failing"]
    )
    rest = base.mark_line(strokeDash=[4, 4], color="gray").encode(y="rest_error_rate:Q")
    return band + line + rest


def drill_down(split: str, row: pd.Series) -> None:
    st.subheader(f"Slice `{row['slice_name']}`")
    st.caption(f"Predicate over `dim_items`: `{row['slice_predicate']}`")
    items, errors, rate, rest = st.columns(4)
    items.metric("Items", int(row["n_items"]))
    errors.metric("Errors", int(row["n_errors"]), help=f"{row['excess_errors']:.1f} in excess")
    rate.metric(
        "Error rate",
        f"{row['error_rate']:.1%}",
        help=f"Wilson 95% interval {row['wilson_lower']:.1%} to {row['wilson_upper']:.1%}",
    )
    rest.metric("Rest of the split", f"{row['rest_error_rate']:.1%}")
    st.caption(
        f"Wilson 95% interval {row['wilson_lower']:.1%} to {row['wilson_upper']:.1%} · "
        f"q-value {row['q_value']:.2g} · recall by label {row['recall_by_label']}"
    )

    st.markdown("**Examples**")
    examples = queries.slice_examples(split, row["slice_predicate"])
    only_problems = st.toggle(
        "Only model errors and label issues", value=True, key="slices_only_problems"
    )
    if only_problems:
        examples = examples[~examples["is_correct"].fillna(True) | examples["is_label_issue"]]
    st.caption(
        f"{len(examples)} items; the label is the consensus, majority_label the annotators' vote."
    )
    st.dataframe(examples, hide_index=True, width="stretch")

    st.markdown("**Confusion matrix** (label × predicted label)")
    confusion = queries.slice_confusion(split, row["slice_predicate"])
    if confusion.empty:
        st.caption("No item of this slice has a prediction.")
    else:
        matrix = confusion.pivot_table(
            index="label", columns="predicted_label", values="n_items", fill_value=0
        )
        st.dataframe(matrix, width="stretch")

    st.markdown("**History across builds**")
    history = queries.slice_history(split, row["slice_id"])
    if len(history) > 1:
        st.altair_chart(history_chart(history), width="stretch")
    else:
        st.caption("Only one build has recorded this slice so far.")
    st.dataframe(history, hide_index=True, width="stretch")


st.title("Failing slices")

app_ui.require_serving_file(*TABLES)

splits = queries.slice_splits()
if not splits:
    st.info(
        "No slice has been tested: slices need labelled, scored items (at least "
        "`min_slice_size` per slice). Add labels, run `smartloop build`, then reload."
    )
    st.stop()

all_failing = queries.failing_slices()
failing_splits = [split for split in splits if split in set(all_failing["split"])]
if st.session_state.get("slices_split") not in splits:
    st.session_state["slices_split"] = (failing_splits or splits)[0]
split_column, sort_column = st.columns(2)
split = split_column.selectbox(
    "Split",
    splits,
    key="slices_split",
    format_func=lambda name: f"{name} ({(all_failing['split'] == name).sum()} failing)",
)
sort_by = sort_column.radio("Sort by", list(SORTS), horizontal=True, key="slices_sort")

slices = all_failing[all_failing["split"] == split]
if slices.empty:
    st.success(
        f"No slice fails in the {split} split: none errs significantly more than the rest "
        "(see `fdr_q` and `min_slice_effect`)."
    )
    st.stop()

column, ascending = SORTS[sort_by]
slices = slices.sort_values([column, "slice_rank"], ascending=[ascending, True])
st.caption(
    f"{len(slices)} failing slices in {split}, sorted by {sort_by}. Dot: error rate; line: "
    "Wilson 95% interval; gray tick: error rate of the rest of the split."
)
st.altair_chart(interval_chart(slices), width="stretch")
st.dataframe(slices[TABLE_COLUMNS], hide_index=True, width="stretch")

by_id = {row.slice_id: row.slice_name for row in slices.itertuples(index=False)}
if st.session_state.get("slices_slice_id") not in by_id:
    st.session_state["slices_slice_id"] = next(iter(by_id))
selected = st.selectbox(
    "Drill down into", list(by_id), format_func=by_id.__getitem__, key="slices_slice_id"
)
drill_down(split, slices[slices["slice_id"] == selected].iloc[0])
