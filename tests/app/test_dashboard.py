"""AppTests of the dashboard on the real demo build: every page, every review action, a rebuild.

The demo is built once per session (``demo_home``); every test reads a copy of its serving
file and writes reviews into its own copy of the landing folder. One test rebuilds a copy of
the demo home from the app and checks that the landing reader took the reviews.
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from smartloop import app_actions, custom_slices, queries
from smartloop.landing import read_landing
from smartloop.paths import serving_path
from tests.conftest import query

pytestmark = pytest.mark.dbt

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 60
PAGES = [
    "app_pages/overview.py",
    "app_pages/failing_slices.py",
    "app_pages/review_queue.py",
    "app_pages/rebuild.py",
    "app_pages/annotators.py",
    "app_pages/quarantine.py",
    "app_pages/custom_slice.py",
]
REVIEW_PAGE = "app_pages/review_queue.py"


def open_page(page: str, at: AppTest | None = None) -> AppTest:
    """Run the app (or reuse a session), switch to ``page`` and run it."""
    at = at or AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    return at.switch_page(page).run()


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def current_item(at: AppTest) -> str:
    """The item the review page shows now (its subheader reads ``Item `id` ``)."""
    return at.subheader[0].value.split("`")[1]


def review_files(landing: Path) -> set[Path]:
    return set((landing / "reviews").glob("*.jsonl"))


def review_as(at: AppTest, reviewer: str) -> AppTest:
    return at.text_input(key="review_reviewer_input").input(reviewer).run()


# --- every page on the demo, on empty marts ------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_demo(demo_app_home: Path, page: str) -> None:
    at = open_page(page)
    assert not at.exception
    assert at.title[0].value
    assert at.metric or at.dataframe or at.success


EMPTY_MESSAGES = {
    "app_pages/overview.py": "holds no pipeline runs",
    "app_pages/failing_slices.py": "No slice has been tested",
    "app_pages/review_queue.py": "The review queue is empty",
    "app_pages/rebuild.py": "This build trained no model.",
    "app_pages/annotators.py": "No annotation has been accepted yet",
    "app_pages/quarantine.py": "No row was quarantined",
    "app_pages/custom_slice.py": "Write a condition over the columns of `dim_items`",
}


@pytest.mark.parametrize("page", PAGES)
def test_page_says_so_on_empty_marts(empty_marts_home: Path, page: str) -> None:
    at = open_page(page)
    assert not at.exception
    shown = " ".join(texts(at.main.info) + texts(at.main.success) + texts(at.main.caption))
    assert EMPTY_MESSAGES[page] in shown


def test_page_says_so_when_the_serving_file_lacks_marts(serving_home: Path) -> None:
    """A serving file from an older build (the small fixture) names the missing marts."""
    at = open_page("app_pages/failing_slices.py")
    assert not at.exception
    [info] = at.info
    assert "`rpt_failing_slices`" in info.value
    assert "smartloop build" in info.value


# --- overview, slices, annotators on the demo -----------------------------------------------


def test_overview_shows_funnel_model_agreement_and_pii(demo_app_home: Path) -> None:
    at = open_page("app_pages/overview.py")
    shown = metrics(at)
    [(n_items, n_clusters)] = query(
        demo_app_home, "select count(*), count(distinct cluster_id) from dim_items"
    )
    assert shown["Accepted items"] == str(n_items)
    for split, n_split, n_split_clusters in query(
        demo_app_home,
        "select split, count(*), count(distinct cluster_id) from dim_items group by 1",
    ):
        assert shown[f"{split} items"] == str(n_split)
        assert f"{n_split_clusters} clusters" in texts(at.caption)
    [(accuracy,)] = query(demo_app_home, "select validation_accuracy from fct_model_runs")
    assert shown["Validation accuracy"] == f"{accuracy:.3f}"
    assert shown["Krippendorff's alpha"] == "n/a"  # one annotator per item in the demo
    [(n_redactions,)] = query(demo_app_home, "select sum(n_redactions) from fct_pii_redactions")
    assert shown["Redactions"] == str(int(n_redactions))
    assert n_clusters < n_items


def test_failing_slices_table_drill_down_and_split(demo_app_home: Path) -> None:
    at = open_page("app_pages/failing_slices.py")
    expected = query(
        demo_app_home,
        "select slice_id, slice_name, n_items, n_errors, excess_errors from rpt_failing_slices "
        "where split = 'train' order by excess_errors desc",
    )
    table, examples, matrix, history = at.dataframe
    assert table.value["slice_name"].tolist() == [row[1] for row in expected]

    slice_id, _, n_items, n_errors, _ = expected[0]
    assert at.selectbox(key="slices_slice_id").value == slice_id
    assert examples.value["is_correct"].eq(False).sum() == n_errors
    assert int(matrix.value.to_numpy().sum()) == n_items
    assert history.value["build_id"].tolist() == [queries.serving_info()["build_id"]]

    at.toggle(key="slices_only_problems").set_value(False).run()
    assert len(at.dataframe[1].value) == n_items

    at.selectbox(key="slices_split").select("validation").run()
    validation = query(
        demo_app_home,
        "select slice_id, n_items from rpt_failing_slices where split = 'validation' "
        "order by excess_errors desc",
    )
    # the demo fails in validation too (cluster_size = 1); the drill-down follows the split
    assert validation and len(at.dataframe[0].value) == len(validation)
    assert not at.exception
    assert at.selectbox(key="slices_slice_id").value == validation[0][0]
    assert int(at.dataframe[2].value.to_numpy().sum()) == validation[0][1]


def test_failing_slices_sort_by_q_value(demo_app_home: Path) -> None:
    at = open_page("app_pages/failing_slices.py")
    at.radio(key="slices_sort").set_value("q-value").run()
    q_values = at.dataframe[0].value["q_value"].tolist()
    assert q_values == sorted(q_values)


SPAM_WITH_LINKS = "label = 'spam' and text like '%http%'"


def measure(at: AppTest, predicate: str) -> AppTest:
    at.text_area(key="custom_slice_predicate").input(predicate)
    return at.button[0].click().run()


def test_custom_slice_measures_a_condition_like_the_command(demo_app_home: Path) -> None:
    at = measure(open_page("app_pages/custom_slice.py"), SPAM_WITH_LINKS)
    assert not at.exception and not at.error
    metrics_table, examples = at.dataframe[1], at.dataframe[2]
    shown = metrics_table.value.set_index("split")
    expected = {
        row["split"]: row for row in custom_slices.slice_metrics(demo_app_home, SPAM_WITH_LINKS)
    }
    for split, row in expected.items():
        assert shown.loc[split, "evaluated"] == row["n_items"]
        assert shown.loc[split, "errors"] == row["n_errors"]
    [(n_matched,)] = query(demo_app_home, f"select count(*) from dim_items where {SPAM_WITH_LINKS}")
    assert shown.loc["all", "matched"] == n_matched
    assert len(examples.value) == min(n_matched, 200)
    assert set(examples.value["split"]) <= {"train", "validation", "test"}


@pytest.mark.parametrize(
    ("predicate", "reason"),
    [
        ("read_csv('/etc/passwd') is not null", "function read_csv is not allowed"),
        ("label = 'spam'; drop table dim_items", "only one"),
        ("labl = 'spam'", "unknown column 'labl'"),
    ],
)
def test_custom_slice_rejects_unsafe_conditions(
    demo_app_home: Path, predicate: str, reason: str
) -> None:
    at = measure(open_page("app_pages/custom_slice.py"), predicate)
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("Rejected: ") and reason in error.value
    assert len(at.dataframe) == 1  # only the column list: nothing was measured


def test_annotators_page_explains_a_single_annotator(demo_app_home: Path) -> None:
    at = open_page("app_pages/annotators.py")
    [info] = at.info
    assert "Only one annotator (`dataset_authors`)" in info.value
    matrix = at.dataframe[3].value
    assert matrix.loc["spam", "spam"] + matrix.loc["ham", "ham"] == 1953
    assert matrix.loc["spam", "ham"] == 0
    assert "No two annotators labelled the same item." in texts(at.caption)


# --- review actions ----------------------------------------------------------------------


def test_review_needs_a_reviewer_name(demo_app_home: Path, demo_landing: Path) -> None:
    at = open_page(REVIEW_PAGE)
    actions = ["review_confirm", "review_relabel", "review_ambiguous", "review_unusable"]
    assert all(at.button(key=key).disabled for key in actions)
    assert "Enter your name as reviewer first." in texts(at.warning)

    review_as(at, "ana@example.com")
    assert all(at.button(key=key).disabled for key in actions)
    assert any("not an e-mail address" in text for text in texts(at.warning))

    review_as(at, "ana")
    assert not any(at.button(key=key).disabled for key in actions)
    assert review_files(demo_landing) == set()


@pytest.mark.parametrize(
    ("action", "new_label", "note"),
    [
        ("confirm", None, "clearly spam"),
        ("relabel", "ham", ""),
        ("ambiguous", None, "could be either"),
        ("unusable", None, ""),
    ],
)
def test_review_action_writes_exactly_one_file(
    demo_app_home: Path, demo_landing: Path, action: str, new_label: str | None, note: str
) -> None:
    queue = queries.review_queue()
    first = queue.iloc[0]
    at = review_as(open_page(REVIEW_PAGE), "ana")
    assert current_item(at) == first["item_id"]
    assert metrics(at)["Left in queue"] == str(len(queue))
    if note:
        at.text_input(key="review_note").input(note).run()
    if new_label:
        at.selectbox(key="review_new_label").select(new_label).run()

    before = datetime.now(UTC)
    at.button(key=f"review_{action}").click().run()
    after = datetime.now(UTC)
    assert not at.exception

    [path] = review_files(demo_landing)
    assert path.name.startswith(app_actions.REVIEW_FILE_PREFIX)
    [line] = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert list(record) == list(app_actions.REVIEW_FIELDS)
    assert uuid.UUID(record.pop("review_id")).version == 4
    created_at = datetime.fromisoformat(record.pop("created_at"))
    assert created_at.utcoffset().total_seconds() == 0
    assert before <= created_at <= after
    assert record == {
        "item_id": first["item_id"],
        "action": action,
        "label": {"confirm": first["label"], "relabel": new_label}.get(action),
        "reviewer": "ana",
        "reason": note or f"queue: {first['reason']}",
    }

    # the landing reader accepts the file as it is
    [landed] = read_landing(demo_landing, "reviews").to_pylist()
    assert landed["parse_error"] is None
    assert landed["item_id"] == first["item_id"]
    assert landed["action"] == action

    # the item is pending: out of the queue, listed as pending, counted
    shown = metrics(at)
    assert shown["Pending (saved, not built)"] == "1"
    assert shown["Reviewed this session"] == "1"
    assert shown["Left in queue"] == str(len(queue) - 1)
    assert current_item(at) == queue.iloc[1]["item_id"]
    pending = at.dataframe[-1].value
    assert pending["item_id"].tolist() == [first["item_id"]]
    assert at.text_input(key="review_note").value == ""


def test_skip_writes_nothing_and_moves_the_item_last(
    demo_app_home: Path, demo_landing: Path
) -> None:
    queue = queries.review_queue()
    at = review_as(open_page(REVIEW_PAGE), "ana")
    at.button(key="review_skip").click().run()
    assert review_files(demo_landing) == set()
    assert current_item(at) == queue.iloc[1]["item_id"]
    shown = metrics(at)
    assert shown["Skipped"] == "1"
    assert shown["Left in queue"] == str(len(queue))
    assert at.dataframe[0].value["item_id"].iloc[-1] == queue.iloc[0]["item_id"]


def test_reviewer_name_survives_a_page_switch(demo_app_home: Path) -> None:
    at = review_as(open_page(REVIEW_PAGE), "ana")
    at = open_page(REVIEW_PAGE, open_page("app_pages/overview.py", at))
    assert at.text_input(key="review_reviewer_input").value == "ana"
    assert not at.button(key="review_confirm").disabled


# --- one rebuild from the app ------------------------------------------------------------


def test_rebuild_from_the_app_applies_the_reviews(
    demo_home: Path, demo_landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review four items, rebuild from the Rebuild page, and find the reviews in the marts."""
    home = tmp_path / "rebuild_home"
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns("logs", "build.lock"))
    monkeypatch.setenv("SMARTLOOP_HOME", str(home))
    monkeypatch.setenv("SMARTLOOP_LANDING_DIR", str(demo_landing))
    first_build = queries.serving_info()["build_id"]

    queue = queries.review_queue()
    decisions = [("confirm", None), ("relabel", "ham"), ("ambiguous", None), ("unusable", None)]
    at = review_as(open_page(REVIEW_PAGE), "ana")
    expected = {}
    for (action, new_label), item in zip(decisions, queue.itertuples(), strict=False):
        assert current_item(at) == item.item_id
        if new_label:
            at.selectbox(key="review_new_label").select(new_label).run()
        at.button(key=f"review_{action}").click().run()
        expected[item.item_id] = (action, {"confirm": item.label, "relabel": new_label}.get(action))
    assert metrics(at)["Pending (saved, not built)"] == "4"
    written = {
        json.loads(path.read_text())["item_id"]: json.loads(path.read_text())["review_id"]
        for path in review_files(demo_landing)
    }
    assert set(written) == set(expected)

    at = open_page("app_pages/rebuild.py", at)
    at.button(key="rebuild_start").click().run()
    assert not at.exception
    process = at.session_state["rebuild_process"]
    assert process.wait(timeout=300) == 0, app_actions.build_log_tail(home)
    at.run()
    assert not at.exception
    new_build = queries.serving_info()["build_id"]
    assert new_build != first_build
    assert f"New build `{new_build}` published (before: `{first_build}`)." in texts(at.success)

    # the marts hold every review, as written
    rows = query(
        home,
        "select item_id, review_id, review_action, label, reviewed_by, is_trainable "
        "from fct_item_labels where review_id is not null order by item_id",
    )
    assert {row[0]: row[1] for row in rows} == written
    for item_id, _, action, label, reviewed_by, is_trainable in rows:
        expected_action, expected_label = expected[item_id]
        assert (action, reviewed_by) == (expected_action, "ana")
        assert is_trainable == (action in ("confirm", "relabel"))
        if expected_label:
            assert label == expected_label
    assert query(home, "select count(*) from rpt_quarantine where source_kind = 'reviews'") == [
        (0,)
    ]

    # the Rebuild page shows what changed: the relabel, and the slice comparison
    relabelled = next(item for item, (action, _) in expected.items() if action == "relabel")
    changes = at.dataframe[0].value
    assert relabelled in changes.loc[changes["cause"] == "review", "item_id"].tolist()
    shown = metrics(at)
    [(n_new,)] = query(
        home, "select count(*) from rpt_failing_slices where is_new_since_previous_run"
    )
    assert shown["Newly failing"] == str(n_new)
    assert "Recovered" in shown
    assert f"Compared with build `{first_build}`." in texts(at.caption)

    # nothing is pending any more, and reviewed items left the queue
    at = open_page(REVIEW_PAGE, at)
    assert metrics(at)["Pending (saved, not built)"] == "0"
    assert not set(expected) & set(queries.review_queue()["item_id"])
    assert serving_path(home).is_file()
