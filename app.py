"""smartloop dashboard: navigation, the shared sidebar and session defaults."""

from __future__ import annotations

import streamlit as st

from smartloop import queries

SESSION_DEFAULTS: dict[str, object] = {
    "quarantine_source_kinds": [],
    "quarantine_reason_codes": [],
    "quarantine_source_files": [],
    "review_reviewer": "",
    "review_skipped": [],
    "review_session_count": 0,
    "review_message": None,
    "rebuild_process": None,
    "rebuild_from_build_id": None,
}


def build_status_sidebar() -> None:
    """Where the app reads from, which build it shows, and how the latest build attempt went."""
    st.sidebar.caption(f"Home folder: `{queries.home()}`")
    if queries.has_serving_file():
        st.sidebar.caption(f"Serving file: `{queries.serving_file()}`")
        info = queries.serving_info()
        if info:
            st.sidebar.caption(
                f"Showing build `{info['build_id']}`, published {info['published_at']}."
            )
    else:
        st.sidebar.caption("Serving file: not published yet.")

    status = queries.last_build_status()
    if status is None:
        st.sidebar.caption("No build has been started in this home folder.")
        return
    state = status.get("status")
    build_id = status.get("build_id") or "unknown"
    message = status.get("message")
    detail = f" {message}" if message else ""
    if state == "success":
        st.sidebar.success(f"Last build `{build_id}` succeeded at {status.get('ended_at')}.")
    elif state == "running":
        stage = status.get("stage") or "starting"
        st.sidebar.info(
            f"Build `{build_id}` is running ({stage}) since {status.get('started_at')}."
        )
    elif state == "failed":
        stage = status.get("stage")
        where = f" during {stage}" if stage else ""
        shown = (
            "The dashboard shows the last good build."
            if queries.has_serving_file()
            else "No good build has been published yet."
        )
        st.sidebar.warning(f"Last build `{build_id}` failed{where}.{detail} {shown}")
    elif state == "interrupted":
        st.sidebar.warning(
            f"Build `{build_id}` was interrupted: {message} The dashboard shows the last "
            "good build; run `smartloop build` again."
        )
    else:
        st.sidebar.warning(f"Last build status is {state!r}.{detail}")


st.set_page_config(page_title="smartloop", layout="wide")
for key, value in SESSION_DEFAULTS.items():
    st.session_state.setdefault(key, value)

navigation = st.navigation(
    [
        st.Page("app_pages/overview.py", title="Overview", icon=":material/timeline:"),
        st.Page(
            "app_pages/failing_slices.py", title="Failing slices", icon=":material/troubleshoot:"
        ),
        st.Page("app_pages/review_queue.py", title="Review queue", icon=":material/rate_review:"),
        st.Page("app_pages/custom_slice.py", title="Custom slice", icon=":material/filter_alt:"),
        st.Page("app_pages/rebuild.py", title="Rebuild", icon=":material/autorenew:"),
        st.Page("app_pages/annotators.py", title="Annotators", icon=":material/groups:"),
        st.Page("app_pages/quarantine.py", title="Quarantine", icon=":material/block:"),
    ]
)
build_status_sidebar()
navigation.run()
