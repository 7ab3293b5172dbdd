"""The PII lineage gate: no mart column derives from raw personal data without passing
through redaction or pseudonymisation, and no text in the serving file holds PII."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from smartloop import paths, pii_lineage
from smartloop.build import run_dbt
from smartloop.settings import build_vars

pytestmark = pytest.mark.dbt

# Machine-made keys the dbt no_pii test does not scan either (tests/dbt/generic/no_pii.sql).
GENERATED_KEYS = {
    "build_id",
    "invocation_id",
    "landed_row_id",
    "quarantine_id",
    "file_load_id",
    "redaction_id",
    "deletion_id",
    "pair_id",
}


@pytest.fixture(scope="module")
def traced(demo_home: Path):
    """The demo project's relations, columns and traced column inputs (traced once)."""
    relations = pii_lineage.manifest_relations(demo_home / "target" / "manifest.json")
    columns = pii_lineage.warehouse_columns(paths.warehouse_path(demo_home))
    return relations, columns, pii_lineage.trace(relations.values(), columns)


def test_every_mart_column_is_traced_and_none_derives_from_raw_personal_data(traced) -> None:
    _, columns, inputs = traced
    tainted = pii_lineage.taint(inputs)
    mart_columns = {
        (schema, table, column)
        for (schema, table), names in columns.items()
        if schema == "marts"
        for column in names
    }
    assert mart_columns <= set(tainted)  # every column of every mart was traced
    assert len(mart_columns) > 300
    assert pii_lineage.violations(tainted) == []
    # upstream of the redaction, the same columns are tainted: the gate sees the raw data
    assert tainted[("staging", "stg_landing__items", "text")] == {("landing", "items", "text")}
    assert ("landing", "items", "metadata") in tainted[
        ("intermediate", "int_items_accepted", "metadata")
    ]


def violations_with(traced, name: str, sql: str | None, reads=()) -> list:
    """The gate's findings once a made-up mart ``name`` is added to the demo project."""
    _, columns, inputs = traced
    fake = pii_lineage.Relation("marts", name, sql, list(reads))
    fake_columns = {**columns, ("marts", name): ["leak"]}
    extra = pii_lineage.trace([fake], fake_columns)
    return pii_lineage.violations(pii_lineage.taint({**inputs, **extra}))


@pytest.mark.parametrize(
    "sql",
    [
        # raw text copied, transformed, or concatenated
        'select s.text as leak from "warehouse"."staging"."stg_landing__items" as s',
        "select upper(v.text) || '!' as leak "
        'from "warehouse"."intermediate"."int_items_validated" as v',
        # a personal metadata value read from the unredacted JSON
        "select json_extract_string(a.metadata, '$.author') as leak "
        'from "warehouse"."intermediate"."int_items_accepted" as a',
        # through a CTE and a CASE branch value
        'with x as (select a.text as t from "warehouse"."intermediate"."int_items_accepted" as a) '
        "select case when length(x.t) > 3 then x.t else 'short' end as leak from x",
        # a raw reason of a review
        'select r.reason as leak from "warehouse"."staging"."stg_landing__reviews" as r',
        # through correlated scalar subqueries (sqlglot leaves the outer column a placeholder)
        'select (select a.text) as leak from "warehouse"."intermediate"."int_items_accepted" as a',
        "select coalesce((select a.text || 'x'), 'y') as leak "
        'from "warehouse"."intermediate"."int_items_accepted" as a',
        "select case when a.text like '%x%' then (select upper(a.text)) else 'n' end as leak "
        'from "warehouse"."intermediate"."int_items_accepted" as a',
    ],
)
def test_the_gate_catches_a_mart_column_copied_from_raw_data(traced, sql: str) -> None:
    found = violations_with(traced, "fct_leaky", sql)
    assert [str(v).split(" derives")[0] for v in found] == ["marts.fct_leaky.leak"]


@pytest.mark.parametrize(
    "sql",
    [
        'select r.text as leak from "warehouse"."intermediate"."int_items_redacted" as r',
        'select count(a.text) as leak from "warehouse"."intermediate"."int_items_accepted" as a',
        'select a.text is null as leak from "warehouse"."intermediate"."int_items_accepted" as a',
        # raw text only in the condition of a CASE whose value is a subquery
        "select case when a.text like '%x%' then (select 1) else 0 end as leak "
        'from "warehouse"."intermediate"."int_items_accepted" as a',
    ],
)
def test_redacted_and_value_free_columns_pass(traced, sql: str) -> None:
    assert violations_with(traced, "fct_fine", sql) == []


def test_an_opaque_python_model_reading_raw_data_is_caught(traced) -> None:
    found = violations_with(traced, "fct_py", None, reads=[("staging", "stg_landing__items")])
    assert found and all(v.column[1] == "fct_py" for v in found)


def _declared_exclusions(manifest: Path) -> dict[str, set[str]]:
    """Per model, the identifier columns its no_pii test was told not to scan."""
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    out: dict[str, set[str]] = {}
    for node in nodes.values():
        meta = node.get("test_metadata") or {}
        if meta.get("name") != "no_pii":
            continue
        kwargs = meta.get("kwargs", {})
        excluded = (kwargs.get("arguments") or kwargs).get("exclude_columns") or []
        model = node["attached_node"].split(".")[-1]
        out.setdefault(model, set()).update(excluded)
    return out


def test_no_text_anywhere_in_the_serving_file_holds_pii(demo_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    lines: list[str] = []
    code, _ = run_dbt(
        [
            "compile",
            "--log-format-file",
            "json",
            "--inline",
            "select {{ pii_found('value') }} as found from scanned",
        ],
        home=home,
        dbt_vars=build_vars(paths.DEMO_LANDING_DIR, paths.PROJECT_DIR, "scan"),
        echo=lines.append,
    )
    assert code == 0, "\n".join(lines)
    compiled = [
        json.loads(line)["data"]["compiled"]
        for line in (home / "logs" / "dbt.log").read_text(encoding="utf-8").splitlines()
        if '"CompiledNode"' in line
    ][-1]
    excluded = _declared_exclusions(home / "target" / "manifest.json")
    probe = (
        "with scanned as (select unnest(['mail bob@example.com', 'call +44 7935 454150', "
        "'a fine comment']) as value) "
        f"select count(*) filter (where len(found) > 0) from ({compiled}) as detected"
    )
    assert duckdb.connect().execute(probe).fetchone() == (2,)  # the scan can fail

    findings: dict[str, int] = {}
    n_values = 0
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        tables = [
            row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()
        ]
        assert len(tables) >= 20
        for table in tables:
            for name, dtype, *_ in con.execute(f'describe "{table}"').fetchall():
                if dtype not in ("VARCHAR", "JSON", "VARCHAR[]"):
                    continue
                if name in GENERATED_KEYS or name in excluded.get(table, set()):
                    continue
                values = f'select cast("{name}" as varchar) as value from "{table}"'
                (count, hits) = con.execute(
                    f"with scanned as ({values}) select count(*), "
                    f"count(*) filter (where len(found) > 0) from ({compiled}) as detected"
                ).fetchone()
                n_values += count
                if hits:
                    findings[f"{table}.{name}"] = hits
    assert n_values > 10_000  # the demo's texts, metadata, labels, reasons ... were scanned
    assert findings == {}
