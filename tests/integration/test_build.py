"""`smartloop build` end to end: dbt on fixture landing folders, quarantine, publishing."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from smartloop import paths
from tests.conftest import FIXTURES, query, run_cli

pytestmark = pytest.mark.dbt

DEFECTS = FIXTURES / "landing_defects"
MARTS = {"dim_items", "rpt_quarantine", "rpt_pipeline_runs", "fct_source_file_loads"}


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_serving_file_holds_the_marts(defects_home: Path) -> None:
    tables = {row[0] for row in query(defects_home, "select table_name from duckdb_tables()")}
    assert tables >= MARTS | {"serving_info"}


def run_results(home: Path) -> dict[str, str]:
    """unique_id -> status of every node of the home's last dbt invocation."""
    payload = json.loads((home / "target" / "run_results.json").read_text(encoding="utf-8"))
    return {result["unique_id"]: result["status"] for result in payload["results"]}


def test_unit_tests_run_only_when_asked(defects_home: Path, demo_home: Path) -> None:
    # defects_home was built with --unit-tests: every unit test of the project ran and passed
    asked = {node: status for node, status in run_results(defects_home).items()
             if node.startswith("unit_test.")}  # fmt: skip
    manifest = json.loads((defects_home / "target" / "manifest.json").read_text(encoding="utf-8"))
    assert set(asked) == set(manifest["unit_tests"]) and len(asked) >= 30
    assert set(asked.values()) == {"pass"}
    # a plain build skips them, and runs every data test
    plain = run_results(demo_home)
    assert not [node for node in plain if node.startswith("unit_test.")]
    assert sum(node.startswith("test.") for node in plain) >= 200


def test_one_quarantine_row_per_planted_defect(defects_home: Path) -> None:
    expected = {
        (row["source_file"], int(row["source_row_number"]), row["reason_code"])
        for row in read_csv(DEFECTS / "expected_quarantine.csv")
    }
    rows = query(
        defects_home, "select source_file, source_row_number, reason_code from rpt_quarantine"
    )
    assert len(rows) == len(expected)
    assert set(rows) == expected
    # every defect kind of the contract is planted exactly once
    assert Counter(code for _, _, code in rows) == Counter({code: 1 for _, _, code in expected})


def test_landed_equals_accepted_plus_quarantined_per_file(defects_home: Path) -> None:
    expected = {
        row["source_file"]: (
            int(row["n_landed"]),
            int(row["n_accepted"]),
            int(row["n_quarantined"]),
        )
        for row in read_csv(DEFECTS / "expected_file_loads.csv")
    }
    rows = query(
        defects_home,
        "select source_file, n_landed, n_accepted, n_quarantined from fct_source_file_loads",
    )
    got = {file: (landed, accepted, quarantined) for file, landed, accepted, quarantined in rows}
    assert got == expected
    assert all(landed == accepted + quarantined for landed, accepted, quarantined in got.values())


def test_quarantine_keeps_the_raw_values(defects_home: Path) -> None:
    raw, detail = query(
        defects_home,
        "select raw_record, reason_detail from rpt_quarantine where reason_code = 'malformed_row'",
    )[0]
    assert json.loads(raw) == ["mal1", "too", "many", "fields", "here"]
    assert "5 fields" in detail


def test_items_are_cleaned_typed_and_labelled(defects_home: Path) -> None:
    rows = dict(
        (row[0], row[1:])
        for row in query(
            defects_home,
            "select item_id, text, text_key, published_at, label, is_label_tied, n_deliveries "
            "from dim_items",
        )
    )
    assert set(rows) == {"ok1", "ok2", "ok3", "conflict1"}
    text, key, published_at, *_ = rows["ok2"]
    assert text == "Nice & bold second line"
    assert key == "nice bold second line"
    assert published_at.isoformat() == "2024-01-02T03:04:05.250000"
    # a zoned ISO timestamp is stored in UTC
    assert rows["ok3"][2].isoformat() == "2024-03-01T08:00:00"
    # ok1 landed twice with the same content: one item, two deliveries, a tied vote
    assert rows["ok1"][5] == 2 and rows["ok1"][4] is True
    # the first version of a conflicting id is the one kept
    assert rows["conflict1"][0] == "first version"


def test_pipeline_run_is_recorded_as_success(defects_home: Path) -> None:
    (status, ended_at, landed, accepted, quarantined, current) = query(
        defects_home,
        "select status, ended_at, n_items_landed, n_items_accepted, n_items_quarantined, "
        "is_current from rpt_pipeline_runs",
    )[0]
    assert (status, landed, accepted, quarantined, current) == ("success", 10, 5, 5, True)
    assert ended_at is not None
    status_file = json.loads(paths.status_path(defects_home).read_text())
    assert status_file["status"] == "success"


def test_demo_lands_every_comment(demo_home: Path) -> None:
    raw = [
        row
        for path in sorted((paths.PROJECT_DIR / "data" / "raw" / "youtube_spam").glob("*.csv"))
        for row in read_csv(path)
    ]
    distinct_ids = {row["COMMENT_ID"] for row in raw}
    n_items, n_spam, n_quarantined = query(
        demo_home,
        "select count(*), count(*) filter (where label = 'spam'), "
        "(select count(*) from rpt_quarantine) from dim_items",
    )[0]
    assert n_items == len(distinct_ids)
    assert n_quarantined == 0
    spam_ids = {row["COMMENT_ID"] for row in raw if row["CLASS"] == "1"}
    assert n_spam == len(spam_ids)
    videos = query(demo_home, "select video, count(*) from dim_items group by video")
    assert len(videos) == 5
    # the Eminem video's spam has no date: kept as NULL, not quarantined
    eminem = read_csv(paths.PROJECT_DIR / "data" / "raw" / "youtube_spam" / "Youtube04-Eminem.csv")
    empty_dates = query(
        demo_home, "select count(*) from dim_items where video = 'eminem' and published_at is null"
    )[0][0]
    assert empty_dates == len({row["COMMENT_ID"] for row in eminem if row["DATE"] == ""}) > 0


def test_empty_landing_folder_builds(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    home = tmp_path / "home"
    result = run_cli("build", "--landing", str(landing), "--home", str(home))
    assert result.returncode == 0, result.stderr
    assert query(home, "select count(*) from dim_items") == [(0,)]
    assert query(home, "select count(*) from rpt_pipeline_runs") == [(1,)]


def test_missing_required_column_stops_with_one_sentence(
    tmp_path: Path, defects_home: Path
) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(DEFECTS, landing)
    (landing / "items" / "batch_c.csv").write_text("item_id,body\nx1,hello\n", encoding="utf-8")
    home = tmp_path / "home"
    shutil.copytree(defects_home, home)
    before = paths.serving_path(home).read_bytes()

    result = run_cli("build", "--landing", str(landing), "--home", str(home))

    assert result.returncode == 1
    message = result.stderr.strip()
    assert message == (
        "smartloop: build failed: items/batch_c.csv lacks the required column 'text'."
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert paths.serving_path(home).read_bytes() == before
    status = json.loads(paths.status_path(home).read_text())
    assert status["status"] == "failed" and "batch_c.csv" in status["message"]


def test_every_landing_error_reads_as_one_sentence(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "items").mkdir(parents=True)
    (landing / "items" / "a.csv").write_text("item_id,text,Text\n1,x,y\n", encoding="utf-8")
    result = run_cli("build", "--landing", str(landing), "--home", str(tmp_path / "home"))
    assert result.returncode == 1
    assert result.stderr == (
        "smartloop: build failed: items/a.csv: column 'Text' appears twice in the header.\n"
    )


def test_failed_build_is_listed_after_the_next_success(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(DEFECTS, landing)
    bad = landing / "annotations" / "bad.jsonl"
    bad.write_text('{"item_id": "ok1"}\n', encoding="utf-8")
    home = tmp_path / "home"
    assert run_cli("build", "--landing", str(landing), "--home", str(home)).returncode == 1
    bad.unlink()
    assert run_cli("build", "--landing", str(landing), "--home", str(home)).returncode == 0
    statuses = query(home, "select status, message from rpt_pipeline_runs order by started_at")
    assert [s for s, _ in statuses] == ["failed", "success"]
    assert "annotations/bad.jsonl lacks the required column 'label'" in statuses[0][1]


def test_label_schema_from_the_landing_folder(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(DEFECTS, landing)
    (landing / "schema.csv").write_text(
        "label,description,is_active,replaced_by\n"
        "unwanted,Unwanted content,true,\n"
        "spam,Old name,false,unwanted\n"
        "ham,Fine,true,\n"
        "eggs,Merged into ham,false,ham\n",
        encoding="utf-8",
    )
    (landing / "smartloop.yml").write_text("label_schema_file: schema.csv\n", encoding="utf-8")
    home = tmp_path / "home"
    result = run_cli("build", "--landing", str(landing), "--home", str(home))
    assert result.returncode == 0, result.stderr
    labels = dict(query(home, "select item_id, label from dim_items where label is not null"))
    # 'eggs' is known now and maps forward to 'ham'; 'spam' maps to 'unwanted'
    assert labels["ok2"] == "ham"
    assert query(
        home, "select count(*) from rpt_quarantine where reason_code = 'unknown_label'"
    ) == [(0,)]
    # ok1 has one 'spam' (now 'unwanted') and one 'ham' vote: a tie, broken by label name
    assert labels["ok1"] == "ham"


def test_unknown_setting_is_named(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(DEFECTS, landing)
    (landing / "smartloop.yml").write_text("min_slice_sise: 10\n", encoding="utf-8")
    result = run_cli("build", "--landing", str(landing), "--home", str(tmp_path / "home"))
    assert result.returncode == 1
    assert "unknown setting 'min_slice_sise'" in result.stderr
    assert result.stderr.count("\n") == 1


def test_vars_command_prints_the_settings(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(DEFECTS, landing)
    (landing / "smartloop.yml").write_text("personal_columns: [author, email]\n", encoding="utf-8")
    result = run_cli("vars", "--landing", str(landing))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "landing_dir": str(landing.resolve()),
        "personal_columns": ["author", "email"],
    }


def test_docs_generate(defects_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(defects_home, home)
    result = run_cli("docs", "--landing", str(DEFECTS), "--home", str(home))
    assert result.returncode == 0, result.stdout + result.stderr
    catalog = json.loads((home / "target" / "catalog.json").read_text())
    assert "model.smartloop.dim_items" in catalog["nodes"]
