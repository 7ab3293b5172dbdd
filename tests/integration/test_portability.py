"""The Spark portability check over the demo project's compiled SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartloop import pii_lineage, portability

pytestmark = pytest.mark.dbt


def test_every_sql_model_parses_and_is_checked(demo_home: Path) -> None:
    manifest = demo_home / "target" / "manifest.json"
    sql_models = {
        f"{r.schema}.{r.name}"
        for r in pii_lineage.manifest_relations(manifest).values()
        if r.sql is not None
    }
    assert len(sql_models) > 50
    problems = portability.project_problems(manifest)
    assert not [p for p in problems if p.construct == "unparseable as DuckDB SQL"]
    assert {p.model for p in problems} <= sql_models
