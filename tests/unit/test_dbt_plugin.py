"""The dbt plugin reads each landing source once per dbt invocation."""

from __future__ import annotations

import json
from pathlib import Path

from dbt.adapters.duckdb.utils import SourceConfig
from dbt_common.invocation import reset_invocation_id

from smartloop.dbt_plugin import Plugin


def write_review(landing: Path, review_id: str) -> None:
    record = {"review_id": review_id, "item_id": "a", "action": "confirm", "label": "ham"}
    (landing / "reviews" / f"{review_id}.jsonl").write_text(json.dumps(record) + "\n")


def review_ids(plugin: Plugin, landing: Path) -> list[str]:
    source = SourceConfig(
        name="landing",
        identifier="reviews",
        schema="landing",
        database=None,
        meta={"plugin": "smartloop", "landing_kind": "reviews", "landing_dir": str(landing)},
        tags=[],
    )
    return plugin.load(source)["review_id"].to_pylist()


def test_a_file_landing_mid_build_waits_for_the_next_build(tmp_path: Path) -> None:
    (tmp_path / "reviews").mkdir()
    write_review(tmp_path, "r1")
    plugin = Plugin("smartloop", {})
    reset_invocation_id()
    assert review_ids(plugin, tmp_path) == ["r1"]

    write_review(tmp_path, "r2")  # saved by the dashboard while the build runs
    assert review_ids(plugin, tmp_path) == ["r1"], "a later node of the same build saw r2"

    reset_invocation_id()  # the next build
    assert review_ids(plugin, tmp_path) == ["r1", "r2"]
