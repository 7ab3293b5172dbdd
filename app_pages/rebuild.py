"""Rebuild: run `smartloop build` from the app, follow it, and see what the new build changed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import streamlit as st

from smartloop import app_actions, app_ui, paths, queries

POLL_SECONDS = 2


def process_running() -> bool:
    process: subprocess.Popen[bytes] | None = st.session_state.get("rebuild_process")
    return process is not None and process.poll() is None


def build_running() -> bool:
    status = queries.last_build_status() or {}
    return process_running() or status.get("status") == "running"


def start(landing: Path, home: Path, from_build_id: str | None) -> None:
    """Button callback: start the build in the background and remember what was shown."""
    st.session_state["rebuild_from_build_id"] = from_build_id
    st.session_state["rebuild_process"] = app_actions.start_build(landing, home)


def progress(home: Path, was_running: bool) -> None:
    """The build's state from ``last_build.json``; reruns the page once the build ends."""
    status = queries.last_build_status() or {}
    process: subprocess.Popen[bytes] | None = st.session_state.get("rebuild_process")
    running = build_running()
    if running:
        stage = status.get("stage") or "starting"
        st.info(
            f"Build `{status.get('build_id', '…')}` is running ({stage}) since "
            f"{status.get('started_at', 'just now')}. This page follows it."
        )
        done = app_actions.build_progress(home) if process is not None else None
        if done:
            st.progress(done[0] / done[1], text=f"{done[0]} of {done[1]} dbt nodes done")
    elif status:
        message = f" {status['message']}" if status.get("message") else ""
        text = (
            f"Last build `{status.get('build_id')}`: {status.get('status')} at "
            f"{status.get('ended_at') or status.get('started_at')}.{message}"
        )
        (st.error if status.get("status") in ("failed", "interrupted") else st.caption)(text)
    else:
        st.caption("No build has been started in this home folder.")
    if process is not None and process.poll() not in (None, 0):
        st.error(f"The build started from the dashboard exited with code {process.returncode}.")
        st.code(app_actions.build_log_tail(home) or "(no output)", language="text")
    if was_running and not running:
        st.rerun()  # the build ended: reload every section from the new serving file


def new_build_notice(current_build_id: str | None) -> None:
    before = st.session_state.get("rebuild_from_build_id")
    if st.session_state.get("rebuild_process") is None or current_build_id is None:
        return
    if current_build_id != before:
        st.success(
            f"New build `{current_build_id}` published"
            + (f" (before: `{before}`)." if before else ".")
        )


def model_changes(build_id: str) -> None:
    st.markdown("**Model**")
    runs = queries.model_runs()
    current = runs[runs["build_id"] == build_id]
    if current.empty:
        st.caption("This build trained no model.")
        return
    run = current.iloc[-1]
    accuracy, macro_f1, reviewed = st.columns(3)
    for column, metric, change, title in (
        (accuracy, "validation_accuracy", "validation_accuracy_change", "Validation accuracy"),
        (macro_f1, "validation_macro_f1", "validation_macro_f1_change", "Validation macro F1"),
    ):
        value, delta = run[metric], run[change]
        column.metric(
            title,
            "n/a" if pd.isna(value) else f"{value:.3f}",
            None if pd.isna(delta) else f"{delta:+.3f}",
        )
    new_reviews = run["n_new_reviewed_items"]
    reviewed.metric("Newly reviewed items", 0 if pd.isna(new_reviews) else int(new_reviews))


def label_changes(build_id: str) -> None:
    st.markdown("**Labels changed by this build**")
    counts = queries.label_change_counts(build_id)
    if counts.empty:
        st.caption("No label changed.")
        return
    for column, row in zip(st.columns(len(counts)), counts.itertuples(index=False), strict=True):
        column.metric(row.cause.replace("_", " "), int(row.n_items))
    changes = queries.label_changes(build_id)
    if changes.empty:
        st.caption("Only first labels of new items.")
    else:
        st.dataframe(changes, hide_index=True, width="stretch")


def slice_changes(build_id: str) -> None:
    st.markdown("**Slices**")
    previous = queries.previous_build_id(build_id)
    if previous is None:
        st.caption("The first build with slice metrics: nothing to compare with yet.")
        return
    new_failing = queries.newly_failing_slices()
    recovered = queries.recovered_slices(build_id, previous)
    failing_column, recovered_column = st.columns(2)
    failing_column.metric("Newly failing", len(new_failing))
    recovered_column.metric("Recovered", len(recovered))
    st.caption(f"Compared with build `{previous}`.")
    if not new_failing.empty:
        st.markdown("Newly failing slices")
        st.dataframe(new_failing, hide_index=True, width="stretch")
    if not recovered.empty:
        st.markdown("Recovered slices (failed in the previous build)")
        st.dataframe(recovered, hide_index=True, width="stretch")


st.title("Rebuild")

home = queries.home()
info = (queries.serving_info() or {}) if queries.has_serving_file() else {}
landing = app_actions.landing_dir(info.get("landing_dir")) or paths.landing_dir()
st.caption(f"`smartloop build --landing {landing} --home {home}` runs in the background.")

was_running = build_running()
if not landing.is_dir():
    st.info(
        f"The landing folder `{landing}` does not exist here. Set "
        f"`{app_actions.LANDING_ENV}` to the landing folder, then reload."
    )
else:
    st.button(
        "Rebuild now",
        key="rebuild_start",
        type="primary",
        disabled=was_running,
        on_click=start,
        args=(landing, home, info.get("build_id")),
    )
st.fragment(run_every=POLL_SECONDS if was_running else None)(progress)(home, was_running)

app_ui.require_serving_file()

new_build_notice(info.get("build_id"))
st.subheader(f"What build `{info.get('build_id')}` changed")
st.caption(f"Published {info.get('published_at')}.")
missing = queries.missing_tables(
    "fct_model_runs", "fct_label_changes", "rpt_failing_slices", "fct_slice_metrics_history"
)
if missing:
    st.info(queries.missing_tables_message(missing))
    st.stop()
model_changes(info["build_id"])
label_changes(info["build_id"])
slice_changes(info["build_id"])
