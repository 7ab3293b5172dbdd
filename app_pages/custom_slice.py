"""Custom slice: any condition over dim_items, measured like the slices the build finds.

The condition is validated (smartloop.predicate: known columns, literals, operators and an
allow-list of pure functions, one expression) and runs on a sandboxed, read-only connection
(smartloop.custom_slices). ``smartloop slice "<condition>"`` does the same in a terminal.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from smartloop import app_ui, custom_slices, queries
from smartloop.predicate import PredicateError

EXAMPLES = (
    "label = 'spam' and text like '%http%'",
    "lower(text) like '%subscribe%'",
    "length(text) between 20 and 60",
    "published_at is null",
)
SHOWN_COLUMNS = {
    "split": "split",
    "n_matched_items": "matched",
    "n_items": "evaluated",
    "n_errors": "errors",
    "error_rate": "error rate",
    "wilson_lower": "95% lower",
    "wilson_upper": "95% upper",
    "rest_error_rate": "rest rate",
    "error_rate_difference": "difference",
    "p_value": "p-value",
}


def interval_chart(metrics: pd.DataFrame) -> None:
    """Each split's error rate with its Wilson interval, and the rest's rate as a tick."""
    measured = metrics.dropna(subset=["error_rate"])
    if measured.empty:
        return
    chart = pd.DataFrame(
        {
            "split": measured["split"],
            "error rate": measured["error_rate"],
            "lower": measured["wilson_lower"],
            "upper": measured["wilson_upper"],
            "rest": measured["rest_error_rate"],
        }
    )
    st.vega_lite_chart(
        chart,
        {
            "layer": [
                {
                    "mark": {"type": "rule"},
                    "encoding": {
                        "y": {"field": "split", "type": "nominal", "sort": None},
                        "x": {"field": "lower", "type": "quantitative", "title": "error rate"},
                        "x2": {"field": "upper"},
                    },
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 80},
                    "encoding": {
                        "y": {"field": "split", "type": "nominal", "sort": None},
                        "x": {"field": "error rate", "type": "quantitative"},
                    },
                },
                {
                    "mark": {"type": "tick", "color": "gray"},
                    "encoding": {
                        "y": {"field": "split", "type": "nominal", "sort": None},
                        "x": {"field": "rest", "type": "quantitative"},
                    },
                },
            ]
        },
        use_container_width=True,
    )
    st.caption("Dot: the slice's error rate; line: its Wilson 95% interval; tick: the rest's.")


st.title("Custom slice")
st.caption(
    "Write a condition over the columns of `dim_items`: it is measured like the slices the "
    "build finds (evaluated items, Wilson interval, one-sided Fisher exact test against the "
    "rest of the split). Examples: " + " · ".join(f"`{example}`" for example in EXAMPLES)
)

app_ui.require_serving_file("dim_items", "fct_predictions")

with st.expander("Columns of dim_items"):
    st.dataframe(queries.dim_items_columns(), hide_index=True)

with st.form("custom_slice_form"):
    predicate = st.text_area(
        "Condition", key="custom_slice_predicate", placeholder=EXAMPLES[0], height=80
    )
    st.form_submit_button("Measure")

if not (predicate or "").strip():
    st.stop()
try:
    rows = custom_slices.slice_metrics(queries.home(), predicate)
except PredicateError as exc:
    st.error(f"Rejected: {exc}")
    st.stop()
except custom_slices.SliceError as exc:
    st.info(str(exc))
    st.stop()

metrics = pd.DataFrame(rows)
st.markdown(f"**Slice:** `{metrics['predicate'].iloc[0]}`")
st.dataframe(
    metrics[list(SHOWN_COLUMNS)].rename(columns=SHOWN_COLUMNS),
    hide_index=True,
    column_config={
        name: st.column_config.NumberColumn(format="percent")
        for name in ("error rate", "95% lower", "95% upper", "rest rate", "difference")
    },
)
interval_chart(metrics[metrics["split"] != custom_slices.ALL_SPLITS])

st.subheader("Items")
examples = pd.DataFrame(custom_slices.slice_examples(queries.home(), predicate))
st.caption(f"The first {len(examples)} items the condition selects, model errors first.")
st.dataframe(examples, hide_index=True)
