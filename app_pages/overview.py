"""Overview: the last build, the item funnel, labels, model metrics, agreement, PII, runs."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from smartloop import app_ui, queries

MODEL_METRICS = {
    "validation_accuracy": "Validation accuracy",
    "validation_macro_f1": "Validation macro F1",
    "test_accuracy": "Test accuracy",
    "test_macro_f1": "Test macro F1",
    "train_accuracy": "Train accuracy (out of fold)",
}


def missing_caption(*tables: str) -> bool:
    """Write a caption and return True when the serving file lacks one of ``tables``."""
    missing = queries.missing_tables(*tables)
    if missing:
        st.caption(queries.missing_tables_message(missing))
    return bool(missing)


def last_build_section() -> None:
    info = queries.serving_info() or {}
    status = queries.last_build_status() or {}
    st.markdown(
        f"**Showing build** `{info.get('build_id', 'unknown')}`, "
        f"published {info.get('published_at', 'at an unknown time')}."
    )
    if status:
        ended = status.get("ended_at") or status.get("started_at")
        message = f" {status['message']}" if status.get("message") else ""
        st.markdown(
            f"**Last build attempt** `{status.get('build_id', 'unknown')}`: "
            f"{status.get('status', 'unknown')} ({ended}).{message}"
        )


def funnel_section(latest: pd.Series) -> None:
    st.subheader("Funnel")
    for column, kind in zip(st.columns(len(queries.KINDS)), queries.KINDS, strict=True):
        with column:
            st.markdown(f"**{kind.capitalize()}**")
            st.metric("Landed", int(latest[f"n_{kind}_landed"]))
            st.metric("Accepted", int(latest[f"n_{kind}_accepted"]))
            st.metric("Quarantined", int(latest[f"n_{kind}_quarantined"]))
    if missing_caption("dim_items"):
        return
    splits = queries.split_counts()
    stages = pd.DataFrame(
        {
            "stage": [
                "1 items landed",
                "2 accepted",
                "2 quarantined",
                "3 items kept",
                "4 unique clusters",
            ],
            "n": [
                int(latest["n_items_landed"]),
                int(latest["n_items_accepted"]),
                int(latest["n_items_quarantined"]),
                int(splits["n_items"].sum()),
                int(splits["n_clusters"].sum()),
            ],
        }
    )
    stage_column, split_column = st.columns(2)
    with stage_column:
        st.markdown("**Items through the pipeline**")
        st.caption(
            "Kept items exclude re-deliveries and deletion requests; duplicates share a cluster."
        )
        st.bar_chart(stages, x="stage", y="n", horizontal=True)
    with split_column:
        st.markdown("**Per split**")
        if splits.empty:
            st.caption("No item was kept.")
        for column, row in zip(
            st.columns(max(len(splits), 1)), splits.itertuples(index=False), strict=False
        ):
            column.metric(f"{row.split} items", int(row.n_items), help="items in the split")
            column.caption(f"{int(row.n_clusters)} clusters")


def labels_section() -> None:
    st.subheader("Labels")
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


def model_section() -> None:
    st.subheader("Model")
    if missing_caption("fct_model_runs"):
        return
    runs = queries.model_runs()
    if runs.empty:
        st.caption("No model has been trained yet: it needs labelled items in the train split.")
        return
    latest = runs.iloc[-1]
    shown = [metric for metric in MODEL_METRICS if metric in runs.columns]
    for column, metric in zip(st.columns(len(shown)), shown, strict=True):
        value = latest[metric]
        delta = None
        if len(runs) > 1 and pd.notna(runs.iloc[-2][metric]) and pd.notna(value):
            delta = f"{value - runs.iloc[-2][metric]:+.3f}"
        column.metric(MODEL_METRICS[metric], "n/a" if pd.isna(value) else f"{value:.3f}", delta)
    trend = runs.melt(
        id_vars=["model_run_id", "trained_at"], value_vars=shown, var_name="metric"
    ).dropna(subset=["value"])
    trend["metric"] = trend["metric"].map(MODEL_METRICS)
    chart = (
        alt.Chart(trend)
        .mark_line(point=True)
        .encode(
            x=alt.X("trained_at:T", title="model run"),
            y=alt.Y("value:Q", title="metric", scale=alt.Scale(zero=False)),
            color=alt.Color("metric:N", title=None),
            tooltip=["model_run_id", "metric", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    st.altair_chart(chart, width="stretch")
    st.caption(f"{len(runs)} model run(s); train metrics are out of fold.")


def agreement_section() -> None:
    st.subheader("Annotator agreement")
    if missing_caption("rpt_label_agreement"):
        return
    overall = queries.agreement("overall")
    if overall.empty:
        st.caption("No agreement has been computed: no item has an annotation.")
        return
    app_ui.agreement_metrics(overall)


def pii_section() -> None:
    st.subheader("Personal data redacted")
    if missing_caption("fct_pii_redactions"):
        return
    counts = queries.pii_counts()
    total, items = st.columns(2)
    total.metric("Redactions", int(counts["n_redactions"].sum()))
    items.metric("Items with redactions", queries.pii_item_count())
    if counts.empty:
        st.caption("No personal data was found in the published items.")
    else:
        st.bar_chart(counts, x="pii_type", y="n_redactions", color="column_name", horizontal=True)


st.title("Overview")

app_ui.require_serving_file()

runs = queries.pipeline_runs()
if runs.empty:
    st.info("The serving file holds no pipeline runs yet. Run `smartloop build`, then reload.")
    st.stop()

current = runs[runs["is_current"].fillna(False).astype(bool)]
latest = (current if not current.empty else runs).iloc[0]

last_build_section()
funnel_section(latest)
labels_section()
model_section()
agreement_section()
pii_section()

st.subheader("Pipeline runs")
st.caption(
    f"Latest run `{latest['build_id']}` · status: {latest['status']} · "
    f"started {latest['started_at']} · {latest['n_files']} files"
)
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
