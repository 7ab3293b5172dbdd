"""A build asked not to retrain scores new items with the saved model and keeps the rest."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from smartloop import paths, training
from tests.conftest import query, run_cli

pytestmark = pytest.mark.dbt

NEW_ITEMS = [
    ("late-1", "check out my channel for free gift cards http://example.com/win", "psy"),
    ("late-2", "this song never gets old, still listening in 2026", "eminem"),
]


def probabilities(home) -> dict[tuple[str, str], float]:
    rows = query(home, "select item_id, label, probability from fct_prediction_probabilities")
    return {(item, label): p for item, label, p in rows}


def test_no_retrain_scores_only_the_new_items(tmp_path, demo_home) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(paths.DEMO_LANDING_DIR, landing)
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    before = probabilities(home)
    (trained_in,) = query(home, "select distinct model_run_id from fct_prediction_probabilities")[0]
    assert training.load_model(paths.model_dir(home)).trained_in == trained_in

    with open(landing / "items" / "late_batch.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["item_id", "text", "video", "author", "published_at"])
        for item_id, text, video in NEW_ITEMS:
            writer.writerow([item_id, text, video, "someone", "2026-01-01T00:00:00"])
    result = run_cli("build", "--landing", str(landing), "--home", str(home), "--no-retrain")
    assert result.returncode == 0, result.stdout + result.stderr

    after = probabilities(home)
    assert {key: after[key] for key in before} == before  # nothing else was scored again
    assert {item for item, _ in after} - {item for item, _ in before} == {"late-1", "late-2"}
    runs = query(home, "select model_run_id, params from fct_model_runs order by trained_at")
    assert len(runs) == 2 and runs[1][0] != trained_in
    assert json.loads(runs[1][1])["trained_in_run"] == trained_in
    fresh = query(
        home,
        "select item_id, is_out_of_fold, predicted_label from fct_predictions "
        "where item_id like 'late-%' order by item_id",
    )
    assert [row[:2] for row in fresh] == [("late-1", False), ("late-2", False)]
    assert fresh[0][2] == "spam"


def _parse_messages(home) -> list[str]:
    """dbt's messages about parsing in the last invocation logged in ``home``."""
    events = [
        json.loads(line)["info"]
        for log in sorted((home / "logs").glob("dbt.log*"))
        for line in log.read_text(encoding="utf-8").splitlines()
        if line.startswith("{")
    ]
    last = max(events, key=lambda event: event["ts"])["invocation_id"]
    return [e["msg"] for e in events if e["invocation_id"] == last and "pars" in e["msg"]]


def test_retraining_or_not_reuses_the_last_parse(tmp_path, demo_home) -> None:
    # --no-retrain reaches the model through the environment: were it a var, dbt would
    # parse the whole project again whenever a build retrains after one that did not
    # (the first build parses in full: the copied home's warehouse path is new to dbt)
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    for flags in (["--no-retrain"], []):
        result = run_cli("build", "--home", str(home), *flags)
        assert result.returncode == 0, result.stdout + result.stderr
    messages = _parse_messages(home)
    assert not any("Unable to do partial parsing" in m for m in messages), messages
    assert any("Partial parsing enabled" in m for m in messages), messages
