"""`make test-spark`: a landing folder built on DuckDB and on a local Apache Spark
(dbt-spark's session method) gives the same marts, and every SQL model compiled for Spark
passes the portability check. Two folders: the embedded demo, and 2,000 synthetic items
with what the demo lacks (quarantined rows of every kind, PII of every type, several
annotators per item, several batches)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from smartloop import paths, pii_lineage, portability, synth
from tests.conftest import run_cli

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module", params=["demo", "synthetic"])
def spark_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a landing folder built on DuckDB (published) and on Spark, one build id."""
    home = tmp_path_factory.mktemp(f"spark_home_{request.param}")
    if request.param == "demo":
        landing = paths.PROJECT_DIR / "data" / "demo"
    else:
        landing = tmp_path_factory.mktemp("synthetic_landing")
        summary = synth.generate(2000, 7, landing)
        assert summary.n_bad_rows > 0 and summary.n_pii > 0 and summary.n_crowd_items > 0
    duck = run_cli("build", "--landing", str(landing), "--home", str(home))
    assert duck.returncode == 0, duck.stdout + duck.stderr
    build_id = json.loads((home / "last_build.json").read_text())["build_id"]
    spark = run_cli(
        "spark",
        "build",
        "--landing",
        str(landing),
        "--home",
        str(home),
        "--build-id",
        build_id,
        timeout=1200,
    )
    assert spark.returncode == 0, spark.stdout[-4000:] + spark.stderr[-4000:]
    assert "PASS=" in spark.stdout and "ERROR=0" in spark.stdout
    return home


def test_marts_equal_on_duckdb_and_spark(spark_home: Path) -> None:
    result = run_cli("spark", "compare", "--home", str(spark_home))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "22 marts compared, 0 differ" in result.stdout


def test_a_changed_value_is_a_difference(spark_home: Path, tmp_path: Path) -> None:
    """The comparison can fail: one probability moved by 1e-6 in the Spark marts is named."""
    home = tmp_path / "home"
    shutil.copytree(spark_home / "spark" / "marts", home / "spark" / "marts")
    shutil.copy(paths.serving_path(spark_home), paths.serving_path(home))
    parquet = home / "spark" / "marts" / "fct_predictions.parquet"
    frame = pd.read_parquet(parquet)
    frame.loc[frame.index[0], "predicted_probability"] += 1e-6
    frame.to_parquet(parquet, index=False)
    result = run_cli("spark", "compare", "--home", str(home))
    assert result.returncode == 1
    assert "fct_predictions: column predicted_probability: DuckDB" in result.stdout
    assert "22 marts compared, 1 differ" in result.stdout


def test_every_sql_model_compiled_for_spark_is_portable(spark_home: Path) -> None:
    manifest = spark_home / "spark" / "target-spark" / "manifest.json"
    relations = pii_lineage.manifest_relations(manifest)
    sql_models = [r for r in relations.values() if r.sql is not None]
    assert len(sql_models) >= 55
    assert portability.project_problems(manifest) == []
