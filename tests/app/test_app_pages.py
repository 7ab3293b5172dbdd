"""AppTests of the dashboard pages, with and without a published serving file."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from smartloop import queries

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = ["app_pages/overview.py", "app_pages/quarantine.py"]
ALL_PAGES = [
    *PAGES,
    "app_pages/failing_slices.py",
    "app_pages/review_queue.py",
    "app_pages/rebuild.py",
    "app_pages/annotators.py",
    "app_pages/custom_slice.py",
]
TIMEOUT = 30


def open_page(page: str) -> AppTest:
    """Run the app, switch to ``page`` and run it."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    return at.switch_page(page).run()


def sidebar_text(at: AppTest) -> str:
    return " ".join(
        element.value
        for kind in ("caption", "success", "info", "warning")
        for element in getattr(at.sidebar, kind)
    )


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_serving_file(serving_home: Path, page: str) -> None:
    at = open_page(page)
    assert not at.exception
    assert not at.info
    assert at.dataframe
    assert str(serving_home / "serving.duckdb") in sidebar_text(at)


@pytest.mark.parametrize("page", ALL_PAGES)
def test_page_says_what_to_do_without_serving_file(empty_home: Path, page: str) -> None:
    at = open_page(page)
    assert not at.exception
    [info] = at.info
    assert "No build has been published yet" in info.value
    assert str(empty_home) in info.value
    assert "smartloop build" in info.value
    assert not at.dataframe


def test_overview_shows_latest_run_and_items(serving_home: Path) -> None:
    at = open_page("app_pages/overview.py")
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Accepted items"] == "3"
    assert metrics["Labelled items"] == "2"
    assert [metric.value for metric in at.metric if metric.label == "Landed"] == [
        "5",
        "3",
        "0",
        "0",
    ]
    runs, loads = at.dataframe
    assert runs.value["build_id"].tolist() == ["b2", "b1"]
    assert len(loads.value) == 3


def test_overview_run_selection_changes_file_loads(serving_home: Path) -> None:
    at = open_page("app_pages/overview.py")
    at.selectbox(key="overview_build_id").select("b1").run()
    assert not at.exception
    loads = at.dataframe[1].value
    assert loads["source_file"].tolist() == ["annotations/a.jsonl", "items/a.csv"]


def test_quarantine_filter_narrows_table(serving_home: Path) -> None:
    at = open_page("app_pages/quarantine.py")
    table = at.dataframe[-1]
    assert len(table.value) == 4

    at.multiselect(key="quarantine_source_kinds").select("annotations").run()
    assert not at.exception
    assert at.dataframe[-1].value["quarantine_id"].tolist() == ["q3", "q4"]

    at.multiselect(key="quarantine_reason_codes").select("unknown_label").run()
    assert at.dataframe[-1].value["quarantine_id"].tolist() == ["q3"]

    at.multiselect(key="quarantine_source_kinds").unselect("annotations").run()
    at.multiselect(key="quarantine_reason_codes").unselect("unknown_label").run()
    at.multiselect(key="quarantine_source_files").select("items/b.csv").run()
    assert at.dataframe[-1].value["quarantine_id"].tolist() == ["q2"]


def test_quarantine_offers_filtered_rows_as_csv(serving_home: Path) -> None:
    at = open_page("app_pages/quarantine.py")
    at.multiselect(key="quarantine_reason_codes").select("empty_text").run()
    [button] = at.download_button
    assert not button.disabled
    assert "Showing 1 of 4 rows." in [caption.value for caption in at.caption]


def test_sidebar_warns_after_a_failed_build(build_status: Callable[..., None]) -> None:
    build_status(
        build_id="b3",
        status="failed",
        stage="dbt build",
        message="Model dim_items failed.",
    )
    at = open_page("app_pages/overview.py")
    assert not at.exception
    [warning] = at.sidebar.warning
    assert "failed during dbt build" in warning.value
    assert "Model dim_items failed." in warning.value
    assert "shows the last good build" in warning.value


def test_sidebar_shows_a_running_build(build_status: Callable[..., None]) -> None:
    build_status(build_id="b3", status="running", stage="dbt build", ended_at=None)
    at = open_page("app_pages/quarantine.py")
    assert not at.exception
    [info] = at.sidebar.info
    assert "is running (dbt build)" in info.value


def test_sidebar_shows_a_killed_build_as_interrupted(build_status: Callable[..., None]) -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()  # reaped: its pid names no process now
    dead_pid = finished.pid
    build_status(build_id="b4", status="running", stage="dbt build", ended_at=None, pid=dead_pid)
    at = open_page("app_pages/overview.py")
    assert not at.exception
    [warning] = at.sidebar.warning
    assert "`b4` was interrupted" in warning.value


def test_queries_pick_up_a_newly_published_file(serving_home: Path) -> None:
    assert queries.item_count() == 3
    serving = serving_home / "serving.duckdb"
    staged = serving_home / "serving.next.duckdb"
    staged.write_bytes(serving.read_bytes())
    with duckdb.connect(str(staged)) as con:
        con.execute("delete from dim_items where item_id = 'i3'")
    staged.replace(serving)
    assert queries.item_count() == 2
