"""Two builds of the same landing data publish the same marts, whatever the thread count."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from smartloop import paths, synth
from tests.conftest import run_cli

pytestmark = pytest.mark.dbt

# Columns that record the build itself (when it ran, how long it took, the dbt invocation,
# keys hashed from the build id); every other value must be the same. Build ids in any text
# are replaced by one token first.
BUILD_RECORDS = {
    "serving_info": {"published_at"},
    "rpt_pipeline_runs": {"started_at", "ended_at", "invocation_id"},
    "fct_source_file_loads": {"loaded_at", "invocation_id", "file_load_id"},
    "fct_label_changes": {"changed_at", "label_change_id"},
    "fct_model_runs": {"trained_at", "train_seconds"},
    "fct_prediction_probabilities": {"train_seconds"},
    "fct_slice_metrics_history": {"recorded_at", "slice_history_id"},
    "fct_split_assignments": {"assigned_at", "assignment_id"},
}


def table_checksums(serving: Path) -> dict[str, tuple[int, str]]:
    """Per table: its row count and an md5 of its sorted rows (doubles as exact text)."""
    out = {}
    with duckdb.connect(str(serving), read_only=True) as con:
        (build_id,) = con.execute("select build_id from serving_info").fetchone()
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        for table in sorted(tables):
            columns = [
                name
                for name, *_ in con.execute(f'describe "{table}"').fetchall()
                if name not in BUILD_RECORDS.get(table, set())
            ]
            row = " || '|' || ".join(
                f"""coalesce(replace(cast("{c}" as varchar), $1, '<build>'), '<null>')"""
                for c in columns
            )
            out[table] = con.execute(
                f"select count(*), md5(coalesce(string_agg(r, chr(10) order by r), '')) "
                f'from (select {row} as r from "{table}")',
                [build_id],
            ).fetchone()
    return out


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 synthetic items with a crowd of annotators (Dawid-Skene, agreement), PII,
    duplicates, bad rows and a failing slice."""
    out = tmp_path_factory.mktemp("determinism") / "landing"
    synth.generate(1500, 11, out, crowd_share=0.3)
    return out


def test_two_builds_on_one_and_two_threads_publish_identical_marts(
    landing: Path, tmp_path: Path
) -> None:
    checksums = []
    for threads in ("1", "2"):
        home = tmp_path / f"home_{threads}"
        result = run_cli(
            "build", "--landing", str(landing), "--home", str(home), "--threads", threads
        )
        assert result.returncode == 0, result.stdout + result.stderr
        checksums.append(table_checksums(paths.serving_path(home)))
    one, two = checksums
    assert len(one) >= 20
    assert one["dim_items"][0] > 1000 and one["dim_annotators"][0] >= 5
    assert one["fct_slice_metrics"][0] > 100
    assert {t for t in one if one[t] != two.get(t)} == set()
