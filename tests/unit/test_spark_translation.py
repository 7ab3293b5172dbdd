"""smartloop.spark without a Spark: the translation of marked DuckDB SQL, the stages of a
Spark build, and the comparison of marts. `make test-spark` runs them on a real Spark."""

from __future__ import annotations

import pandas as pd
import pytest

from smartloop import spark
from smartloop.spark import BEGIN, END


def translated(sql: str) -> str:
    return spark.to_spark_sql(BEGIN + sql + END)


def test_only_marked_regions_are_translated() -> None:
    sql = "create table `t` using parquet as " + BEGIN + "select strpos(a, 'b') from x" + END
    assert translated("select 1") == "SELECT 1"
    assert (
        spark.to_spark_sql(sql) == "create table `t` using parquet as SELECT LOCATE('b', a) FROM x"
    )
    assert spark.to_spark_sql("show tables in `marts`") == "show tables in `marts`"


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        (
            "select list(x order by k) from t",
            "SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(k AS k0, x AS v))), s -> s.v) FROM t",
        ),
        (
            "select list(x order by k) filter (where x > 1) from t",
            "SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(k AS k0, x AS v)) "
            "FILTER(WHERE x > 1)), s -> s.v) FROM t",
        ),
        ("select avg(x order by k) from t", "SELECT AVG(x) FROM t"),
        (
            r"select regexp_replace(a, '(x)', '<\1>$', 'g') from t",
            r"SELECT REGEXP_REPLACE(a, '(x)', '<$1>\\$') FROM t",
        ),
        (
            "select not regexp_matches(a, 'x') is null from t",
            "SELECT NOT (a RLIKE 'x') IS NULL FROM t",
        ),
        (
            "select regexp_full_match(a, 'x+') from t",
            "SELECT a RLIKE CONCAT('^(?:', 'x+', ')$') FROM t",
        ),
        ("select list_intersect(a, b) from t", "SELECT ARRAY_INTERSECT(a, b) FROM t"),
        (
            "select cast(m as json) ->> k from t",
            "SELECT GET_JSON_OBJECT(m, CONCAT('$[\\'', k, '\\']')) FROM t",
        ),
        ("select m ->> 'k' from t", "SELECT GET_JSON_OBJECT(m, '$.k') FROM t"),
        (
            "select avg(case when a then 1.0 else 0 end) from t",
            "SELECT AVG(CASE WHEN a THEN CAST(1.0 AS DOUBLE) ELSE 0 END) FROM t",
        ),
        (
            "select json_type(cast(r as json)) = 'OBJECT' from t",
            "SELECT CASE WHEN LTRIM(r) LIKE '{%' THEN 'OBJECT' WHEN LTRIM(r) LIKE '[%' "
            "THEN 'ARRAY' ELSE 'VALUE' END = 'OBJECT' FROM t",
        ),
        (
            "with a as (select * from (with a as (select 1 as x) select * from a) as q) "
            "select * from a",
            "WITH a AS (SELECT * FROM (WITH a AS (SELECT 1 AS x) SELECT * FROM a) AS q) "
            "SELECT * FROM a",
        ),
        ('select "a b", `c` from t', "SELECT `a b`, `c` FROM t"),
    ],
)
def test_rewrites(duckdb_sql: str, spark_sql: str) -> None:
    assert translated(duckdb_sql) == spark_sql


@pytest.mark.parametrize(
    ("duckdb_sql", "message"),
    [
        ("select regexp_replace(a, 'x', 'y') from t", "only regexp_replace(..., 'g')"),
        ("select list(x order by k desc) from t", "a descending list order"),
    ],
)
def test_sql_without_a_spark_form_is_refused(duckdb_sql: str, message: str) -> None:
    with pytest.raises(spark.SparkSqlError, match=message.replace("(", r"\(").replace(")", r"\)")):
        translated(duckdb_sql)


def _node(name: str, deps: list[str], *, resource_type: str = "model", schema: str = "s") -> dict:
    return {
        "name": name,
        "schema": schema,
        "resource_type": resource_type,
        "depends_on": {"nodes": [f"model.p.{dep}" for dep in deps]},
    }


def test_a_python_model_runs_between_the_stages_it_needs() -> None:
    """a -> py1 (Python) -> b -> py2 (Python) -> c; d needs only a. The Spark manifest
    holds the SQL twins py1 and py2, which read the Python models' Parquet."""
    spark_nodes = {
        f"model.p.{n['name']}": n
        for n in [
            _node("a", []),
            _node("py1", []),
            _node("b", ["py1"]),
            _node("py2", []),
            _node("c", ["py2", "b"]),
            _node("d", ["a"]),
        ]
    }
    python_nodes = {
        "model.p.py1": {**_node("py1", ["a"]), "language": "python"},
        "model.p.py2": {**_node("py2", ["b"]), "language": "python"},
    }
    steps = spark.plan({"nodes": spark_nodes}, {"nodes": python_nodes})
    assert [node["name"] for node in steps.python_models] == ["py1", "py2"]
    assert steps.stages == [["a"], ["b", "py1"], ["c", "d", "py2"]]
    assert steps.relations["c"] == "s.c"


def test_marts_within_the_tolerance_are_equal_and_others_are_named() -> None:
    duck = pd.DataFrame({"id": ["b", "a"], "p": [0.5, 0.25], "tags": [["x"], []]})
    same = pd.DataFrame({"tags": [[], ["x"]], "id": ["a", "b"], "p": [0.25 + 1e-12, 0.5]})
    assert spark.compare_frames("m", duck, same) == []
    moved = same.assign(p=[0.25 + 1e-6, 0.5])
    assert [str(d) for d in spark.compare_frames("m", duck, moved)] == [
        "m: column p: DuckDB 0.25, Spark 0.250001"
    ]
    assert [str(d) for d in spark.compare_frames("m", duck, same.head(1))] == [
        "m: 2 rows on DuckDB, 1 on Spark"
    ]
    assert spark.compare_frames("m", duck, moved, ignore=["p"]) == []
