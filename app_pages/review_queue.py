"""Review queue: the items most worth a human decision, one at a time.

Each decision is written as one new file in the landing folder's ``reviews/``; it counts
from the next build. Until then it is pending: the item leaves the queue at once.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from smartloop import app_actions, app_ui, queries

TABLES = (
    "dim_items",
    "fct_item_labels",
    "fct_predictions",
    "fct_label_issues",
    "fct_label_changes",
    "rpt_annotation_queue",
    "rpt_failing_slices",
)
QUEUE_COLUMNS = ["queue", "item_id", "reason", "text", "label", "predicted_label"]


def record(item: dict[str, Any], action: str) -> None:
    """Button callback: write the review of ``item`` as a new file in ``reviews/``."""
    if action == "skip":
        st.session_state["review_skipped"] = [
            *st.session_state["review_skipped"],
            item["item_id"],
        ]
        st.session_state["review_message"] = ("info", f"Skipped item `{item['item_id']}`.")
        return
    label = item["label"] if action == "confirm" else st.session_state.get("review_new_label")
    note = (st.session_state.get("review_note") or "").strip()
    try:
        review = app_actions.new_review(
            item["item_id"],
            action,
            label if action in ("confirm", "relabel") else None,
            st.session_state.get("review_reviewer_input") or "",
            note or f"queue: {item['reason']}",
        )
        path = app_actions.write_review(item["landing"], review)
    except (app_actions.ReviewError, OSError) as exc:
        st.session_state["review_message"] = ("error", f"Not saved: {exc}")
        return
    st.session_state["review_session_count"] += 1
    st.session_state["review_note"] = ""
    st.session_state["review_message"] = (
        "success",
        f"Saved `{action}` of item `{item['item_id']}` as `reviews/{path.name}`; "
        "it counts from the next build.",
    )


def show_message() -> None:
    message = st.session_state.get("review_message")
    if message:
        kind, text = message
        {"success": st.success, "error": st.error, "info": st.caption}[kind](text)


def item_context(item: pd.Series) -> None:
    st.subheader(f"Item `{item['item_id']}`")
    st.markdown(f"**In the queue because:** {item['reason']}")
    st.text(item["text"])
    label, predicted, votes, split = st.columns(4)
    label.metric(
        "Label",
        item["label"] if pd.notna(item["label"]) else "(none)",
        help=f"method {item['label_method']}, confidence {item['label_confidence']}",
    )
    probability = item["predicted_probability"]
    predicted.metric(
        "Predicted",
        item["predicted_label"] if pd.notna(item["predicted_label"]) else "(none)",
        help=None if pd.isna(probability) else f"probability {probability:.2f}",
    )
    n_annotators = 0 if pd.isna(item["n_annotators"]) else int(item["n_annotators"])
    votes.metric("Annotators", n_annotators)
    split.metric("Split", item["split"] or "(none)")
    details = [
        f"predicted probability {probability:.2f}" if pd.notna(probability) else None,
        f"majority vote {item['majority_label']} ({item['majority_share']:.0%} of "
        f"{int(item['n_annotations'])} annotations)"
        if pd.notna(item["majority_label"])
        else None,
        f"Dawid-Skene {item['dawid_skene_label']}"
        if pd.notna(item["dawid_skene_label"]) and n_annotators > 1
        else None,
        f"file {item['source_file']}",
    ]
    st.caption(" · ".join(detail for detail in details if detail))
    if item["metadata"]:
        with st.expander("Metadata"):
            st.json(item["metadata"])


st.title("Review queue")

app_ui.require_serving_file(*TABLES)

landing = app_actions.landing_dir((queries.serving_info() or {}).get("landing_dir"))
if landing is None or not landing.is_dir():
    st.info(
        f"The landing folder `{landing}` of the published build is not here, so reviews "
        f"cannot be saved. Set `{app_actions.LANDING_ENV}` to the landing folder, then reload."
    )
    st.stop()

if "review_reviewer_input" not in st.session_state:  # widget state is dropped off this page
    st.session_state["review_reviewer_input"] = st.session_state["review_reviewer"]
reviewer = st.text_input(
    "Reviewer", key="review_reviewer_input", placeholder="your name (required)"
)
st.session_state["review_reviewer"] = reviewer
reviewer_problem = app_actions.reviewer_problem(reviewer)
st.caption(
    f"Decisions are saved as new files in `{landing / 'reviews'}` and count from the next "
    "build (Rebuild page)."
)

pending = app_actions.pending_reviews(
    app_actions.read_app_reviews(landing),
    queries.current_build_started_at(),
    queries.known_review_ids(),
)
pending_items = {review["item_id"] for review in pending}
queue = queries.review_queue()
queue = queue[~queue["item_id"].isin(pending_items)].copy()
queue["queue"] = queue["tier"].map(queries.QUEUE_TIERS)
skipped = [item for item in st.session_state["review_skipped"] if item in set(queue["item_id"])]
queue["skip_order"] = queue["item_id"].map({item: n for n, item in enumerate(skipped)})
queue = queue.sort_values("skip_order", na_position="first", kind="stable")

done, waiting, left, skipped_column = st.columns(4)
done.metric("Reviewed this session", st.session_state["review_session_count"])
waiting.metric("Pending (saved, not built)", len(pending))
left.metric("Left in queue", len(queue))
skipped_column.metric("Skipped", len(skipped))
if len(pending) + len(queue):
    st.progress(len(pending) / (len(pending) + len(queue)))
show_message()

if queue.empty:
    st.success("The review queue is empty: no unreviewed item is waiting for a decision.")
else:
    item = queue.iloc[0]
    item_context(item)
    known = set(queries.known_labels()) | set(app_actions.schema_labels(landing))
    labels = sorted(known - {item["label"]})
    note_column, label_column = st.columns(2)
    note_column.text_input("Note (optional)", key="review_note", placeholder="why you decided so")
    label_column.selectbox("New label (for relabel)", labels, key="review_new_label")
    if reviewer_problem:
        st.warning(reviewer_problem)
    context = {
        "item_id": item["item_id"],
        "label": None if pd.isna(item["label"]) else item["label"],
        "reason": item["reason"],
        "landing": landing,
    }
    buttons = [
        ("Confirm label", "confirm", "Alt+K", bool(reviewer_problem) or context["label"] is None),
        ("Relabel", "relabel", "Alt+L", bool(reviewer_problem) or not labels),
        ("Ambiguous", "ambiguous", "Alt+A", bool(reviewer_problem)),
        ("Unusable", "unusable", "Alt+U", bool(reviewer_problem)),
        ("Skip", "skip", "Alt+S", False),
    ]
    columns = st.columns(len(buttons))
    for column, (title, action, shortcut, disabled) in zip(columns, buttons, strict=True):
        column.button(
            title,
            key=f"review_{action}",
            on_click=record,
            args=(context, action),
            disabled=disabled,
            width="stretch",
            shortcut=shortcut,
        )

    st.subheader("Up next")
    st.dataframe(queue[QUEUE_COLUMNS].iloc[1:51], hide_index=True, width="stretch")
    if len(queue) > 51:
        st.caption(f"… and {len(queue) - 51} more.")

st.subheader("Pending reviews")
if pending:
    st.dataframe(
        pd.DataFrame(pending)[list(app_actions.REVIEW_FIELDS)], hide_index=True, width="stretch"
    )
else:
    st.caption("None: every saved review is in the published build.")
