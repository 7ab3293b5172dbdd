"""`smartloop export`: a versioned training set with a dataset card, from the serving file."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from smartloop import paths
from tests.conftest import run_cli

pytestmark = pytest.mark.dbt


def test_export_writes_the_trainable_items_of_a_split(demo_home: Path, tmp_path: Path) -> None:
    result = run_cli("export", "--home", str(demo_home), "--split", "train", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    table = pq.read_table(tmp_path / "train.parquet")
    with duckdb.connect(str(paths.serving_path(demo_home)), read_only=True) as con:
        expected = con.execute(
            "select item_id, text, label from dim_items where split = 'train' and is_trainable "
            "order by item_id"
        ).fetchall()
    rows = list(
        zip(*(table.column(c).to_pylist() for c in ("item_id", "text", "label")), strict=True)
    )
    assert rows == expected
    card = json.loads((tmp_path / "dataset_card.json").read_text(encoding="utf-8"))
    assert card["n_items"] == len(expected)
    assert card["label_distribution"] == dict(sorted(Counter(r[2] for r in expected).items()))
    assert sum(card["sources"].values()) == len(expected)
    assert card["dataset_version"] in (tmp_path / "dataset_card.md").read_text(encoding="utf-8")
    assert "author" in table.schema.names  # metadata columns, pseudonymised
    assert all(value.startswith("anon") for value in table.column("author").to_pylist() if value)


def test_the_version_is_the_content(demo_home: Path, tmp_path: Path) -> None:
    versions = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert (
            run_cli(
                "export", "--home", str(demo_home), "--split", "test", "--out", str(out)
            ).returncode
            == 0
        )
        versions.append(json.loads((out / "dataset_card.json").read_text())["dataset_version"])
    assert versions[0] == versions[1]
    out = tmp_path / "balanced"
    assert (
        run_cli(
            "export", "--home", str(demo_home), "--split", "test", "--out", str(out), "--balanced"
        ).returncode
        == 0
    )
    card = json.loads((out / "dataset_card.json").read_text())
    assert card["dataset_version"] != versions[0]
    assert len(set(card["label_distribution"].values())) == 1


def test_export_without_a_build_is_one_sentence(tmp_path: Path) -> None:
    result = run_cli(
        "export", "--home", str(tmp_path / "none"), "--split", "train", "--out", str(tmp_path)
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"smartloop: no serving file in {tmp_path / 'none'}: run `smartloop build` first."
    )
    assert "Traceback" not in result.stderr
