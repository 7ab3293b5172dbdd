"""What the dashboard writes: review records, their files, and which ones are pending."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smartloop import app_actions
from smartloop.landing import read_landing

NOW = datetime(2026, 11, 27, 21, 35, 12, 123456, tzinfo=UTC)


def test_new_review_fills_the_landing_contract() -> None:
    review = app_actions.new_review("i1", "relabel", "ham", " ana ", "", now=NOW)
    assert list(review) == list(app_actions.REVIEW_FIELDS)
    assert review["label"] == "ham"
    assert review["reviewer"] == "ana"
    assert review["reason"] is None
    assert review["created_at"] == "2026-11-27T21:35:12.123456+00:00"


@pytest.mark.parametrize(
    ("action", "label", "reviewer", "message"),
    [
        ("delete", "ham", "ana", "Unknown review action 'delete'"),
        ("confirm", "ham", "", "Enter your name as reviewer first."),
        ("confirm", "ham", "ana@example.com", "not an e-mail address"),
        ("relabel", None, "ana", "A relabel review needs a label."),
        ("confirm", "", "ana", "A confirm review needs a label."),
    ],
)
def test_new_review_refuses_what_the_build_would_quarantine(
    action: str, label: str | None, reviewer: str, message: str
) -> None:
    with pytest.raises(app_actions.ReviewError, match=message):
        app_actions.new_review("i1", action, label, reviewer, None, now=NOW)


def test_ambiguous_and_unusable_carry_no_label() -> None:
    for action in ("ambiguous", "unusable"):
        assert app_actions.new_review("i1", action, "spam", "ana", None)["label"] is None


def test_written_review_is_one_atomic_file_the_landing_reader_accepts(tmp_path: Path) -> None:
    review = app_actions.new_review("i1", "confirm", "spam", "ana", "sure", now=NOW)
    path = app_actions.write_review(tmp_path, review)
    assert path.parent == tmp_path / "reviews"
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind
    assert json.loads(path.read_text(encoding="utf-8")) == review
    [row] = read_landing(tmp_path, "reviews").to_pylist()
    assert row["parse_error"] is None
    assert {field: row[field] for field in app_actions.REVIEW_FIELDS} == review
    assert app_actions.read_app_reviews(tmp_path) == [{**review, "file": path.name}]


def test_review_files_sort_in_time_order(tmp_path: Path) -> None:
    later = app_actions.new_review("i1", "confirm", "spam", "ana", None, now=NOW)
    earlier = app_actions.new_review(
        "i2", "confirm", "spam", "ana", None, now=NOW - timedelta(microseconds=1)
    )
    for review in (later, earlier):
        app_actions.write_review(tmp_path, review)
    read = app_actions.read_app_reviews(tmp_path)
    assert [review["item_id"] for review in read] == ["i2", "i1"]


def test_pending_reviews_are_newer_than_the_build_and_unknown_to_it() -> None:
    started = datetime(2026, 11, 27, 21, 0, 0)  # naive UTC, as the marts store it
    reviews = [
        {"review_id": "before", "created_at": "2026-11-27T20:59:59+00:00"},
        {"review_id": "after", "created_at": "2026-11-27T21:00:01+00:00"},
        {"review_id": "after_but_built", "created_at": "2026-11-27T21:00:02+00:00"},
        {"review_id": "other_zone", "created_at": "2026-11-27T22:30:00+01:00"},
    ]
    pending = app_actions.pending_reviews(reviews, started, {"after_but_built"})
    assert [review["review_id"] for review in pending] == ["after", "other_zone"]


def test_landing_dir_prefers_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv(app_actions.LANDING_ENV, raising=False)
    assert app_actions.landing_dir(None) is None
    assert app_actions.landing_dir(str(tmp_path)) == tmp_path.resolve()
    monkeypatch.setenv(app_actions.LANDING_ENV, str(tmp_path / "other"))
    assert app_actions.landing_dir(str(tmp_path)) == (tmp_path / "other").resolve()


def test_schema_labels_reads_the_landing_folders_schema(tmp_path: Path) -> None:
    assert app_actions.schema_labels(None) == ["ham", "spam"]  # the project's seed
    (tmp_path / "labels.csv").write_text(
        "label,description,is_active,replaced_by\n"
        "positive,,true,\nnegative,,true,\nneutral,,false,negative\n",
        encoding="utf-8",
    )
    (tmp_path / "smartloop.yml").write_text("label_schema_file: labels.csv\n", encoding="utf-8")
    assert app_actions.schema_labels(tmp_path) == ["negative", "positive"]


def test_smartloop_app_binds_to_localhost(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from smartloop import cli

    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda args, env: calls.append(args) or 0)
    assert cli.main(["app", "--home", str(tmp_path), "--port", "8599"]) == 0
    [args] = calls
    assert args[args.index("--server.address") + 1] == "localhost"
    assert args[args.index("--server.port") + 1] == "8599"
