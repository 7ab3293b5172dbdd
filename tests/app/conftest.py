"""A small serving file with the published tables, in a temporary home folder."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from smartloop.paths import DEMO_LANDING_DIR, serving_path, status_path

SERVING_SQL = """
create table dim_items as
select * from (values
    ('i1', 'buy now', 'buy now', 'ann', timestamp '2024-01-01 10:00:00', 'v1',
     '{"author": "ann"}'::json, 'spam', false, 2, 2, 1.0, true, 'items/a.csv', 1, 1, 'r1', 'b2',
     'c1', 'train'),
    ('i2', 'nice song', 'nice song', 'bob', timestamp '2024-01-02 10:00:00', 'v1',
     '{"author": "bob"}'::json, 'ham', false, 1, 1, 1.0, true, 'items/a.csv', 2, 1, 'r2', 'b2',
     'c1', 'train'),
    ('i3', 'hello', 'hello', 'cy', null, 'v2',
     '{"author": "cy"}'::json, null, false, 0, 0, null, false, 'items/b.csv', 1, 1, 'r3', 'b2',
     'c3', 'test')
) as t(item_id, text, text_key, author, published_at, video, metadata, label, is_label_tied,
       n_annotations, n_annotators, label_agreement, is_labelled, source_file,
       source_row_number, n_deliveries, landed_row_id, build_id, cluster_id, split);

create table rpt_quarantine as
select * from (values
    ('q1', 'items', 'items/a.csv', 'csv', 3, null, 'missing_item_id', 'item_id is empty',
     '{"text": "x"}', 'b2'),
    ('q2', 'items', 'items/b.csv', 'csv', 2, 'i9', 'empty_text', 'text is empty',
     '{"item_id": "i9"}', 'b2'),
    ('q3', 'annotations', 'annotations/a.jsonl', 'jsonl', 1, 'i1', 'unknown_label',
     'label "eggs" is not in the label schema', '{"item_id": "i1", "label": "eggs"}', 'b2'),
    ('q4', 'annotations', 'annotations/a.jsonl', 'jsonl', 4, 'i7', 'unknown_item',
     'item i7 was never accepted', '{"item_id": "i7", "label": "spam"}', 'b2')
) as t(quarantine_id, source_kind, source_file, source_format, source_row_number, item_id,
       reason_code, reason_detail, raw_record, build_id);

create table rpt_pipeline_runs as
select * from (values
    ('b1', 'inv1', timestamp '2024-02-01 09:00:00', timestamp '2024-02-01 09:01:00',
     'success', null, '/landing', 2, 2, 2, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, false),
    ('b2', 'inv2', timestamp '2024-02-02 09:00:00', timestamp '2024-02-02 09:01:00',
     'success', null, '/landing', 3, 5, 3, 2, 3, 1, 2, 0, 0, 0, 0, 0, 0, true)
) as t(build_id, invocation_id, started_at, ended_at, status, message, landing_dir, n_files,
       n_items_landed, n_items_accepted, n_items_quarantined,
       n_annotations_landed, n_annotations_accepted, n_annotations_quarantined,
       n_reviews_landed, n_reviews_accepted, n_reviews_quarantined,
       n_deletions_landed, n_deletions_accepted, n_deletions_quarantined, is_current);

create table fct_source_file_loads as
select * from (values
    ('f1', 'b1', 'inv1', timestamp '2024-02-01 09:00:00', 'items', 'items/a.csv', 'csv', 2, 2, 0),
    ('f2', 'b1', 'inv1', timestamp '2024-02-01 09:00:00', 'annotations', 'annotations/a.jsonl',
     'jsonl', 1, 1, 0),
    ('f3', 'b2', 'inv2', timestamp '2024-02-02 09:00:00', 'items', 'items/a.csv', 'csv', 3, 2, 1),
    ('f4', 'b2', 'inv2', timestamp '2024-02-02 09:00:00', 'items', 'items/b.csv', 'csv', 2, 1, 1),
    ('f5', 'b2', 'inv2', timestamp '2024-02-02 09:00:00', 'annotations', 'annotations/a.jsonl',
     'jsonl', 3, 1, 2)
) as t(file_load_id, build_id, invocation_id, loaded_at, source_kind, source_file,
       source_format, n_landed, n_accepted, n_quarantined);

create table serving_info as
select 'b2' as build_id, timestamp '2024-02-02 09:01:00' as published_at,
       '/landing' as landing_dir;
"""


def write_serving_file(home: Path) -> Path:
    """Write a serving file with a few rows in every table the app reads."""
    home.mkdir(parents=True, exist_ok=True)
    path = serving_path(home)
    with duckdb.connect(str(path)) as con:
        con.execute(SERVING_SQL)
    return path


def write_status(home: Path, **status: object) -> None:
    """Write ``last_build.json`` with the given fields over a successful default."""
    record = {
        "build_id": "b2",
        "status": "success",
        "started_at": "2024-02-02T09:00:00+00:00",
        "ended_at": "2024-02-02T09:01:00+00:00",
        "message": None,
        "landing_dir": "/landing",
        "stage": "publish",
    }
    record.update(status)
    status_path(home).write_text(json.dumps(record), encoding="utf-8")


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder with nothing published, selected through SMARTLOOP_HOME."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SMARTLOOP_HOME", str(home))
    return home


@pytest.fixture
def serving_home(empty_home: Path) -> Path:
    """A home folder holding a published serving file and a successful build status."""
    write_serving_file(empty_home)
    write_status(empty_home)
    return empty_home


@pytest.fixture
def build_status(serving_home: Path) -> Callable[..., None]:
    """Rewrite the serving home's ``last_build.json`` with the given fields."""

    def write(**status: object) -> None:
        write_status(serving_home, **status)

    return write


@pytest.fixture
def demo_landing(tmp_path: Path) -> Path:
    """A private copy of the demo landing folder: reviews written by a test land here."""
    landing = tmp_path / "landing"
    shutil.copytree(DEMO_LANDING_DIR, landing)
    return landing


@pytest.fixture
def demo_app_home(
    demo_home: Path, demo_landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A home with the demo build's serving file, selected with the private landing copy."""
    home = tmp_path / "demo_app_home"
    home.mkdir()
    shutil.copy2(serving_path(demo_home), serving_path(home))
    shutil.copy2(status_path(demo_home), status_path(home))
    monkeypatch.setenv("SMARTLOOP_HOME", str(home))
    monkeypatch.setenv("SMARTLOOP_LANDING_DIR", str(demo_landing))
    return home


@pytest.fixture
def empty_marts_home(
    demo_home: Path, empty_home: Path, demo_landing: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A published serving file with every table of the demo build and no rows in any mart."""
    demo_serving = str(serving_path(demo_home)).replace("'", "''")
    with duckdb.connect(str(serving_path(empty_home))) as con:
        con.execute(f"attach '{demo_serving}' as demo (read_only)")
        tables = con.execute(
            "select table_name from duckdb_tables() where database_name = 'demo'"
        ).fetchall()
        for (table,) in tables:
            rows = "" if table == "serving_info" else " limit 0"
            con.execute(f'create table main."{table}" as select * from demo."{table}"{rows}')
        con.execute("detach demo")
    write_status(empty_home)
    monkeypatch.setenv("SMARTLOOP_LANDING_DIR", str(demo_landing))
    return empty_home
