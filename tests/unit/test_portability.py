"""The Spark portability check on SQL snippets: DuckDB-only constructs are named, the
ones sqlglot or the project's rewrites translate pass."""

from __future__ import annotations

import pytest

from smartloop import portability


@pytest.fixture(scope="module")
def spark() -> frozenset[str]:
    return portability.spark_functions()


def test_the_catalogue_is_spark_s_function_list(spark) -> None:
    assert len(spark) > 400
    assert {"transform", "array_intersect", "regexp_extract_all", "xxhash64", "md5"} <= spark
    assert not {"list_intersect", "regexp_full_match", "strpos", "list_transform"} & spark


@pytest.mark.parametrize(
    ("sql", "construct", "detail"),
    [
        ("select a[1:2] from t", "list slice", "a[1:2]"),
        ("select * replace (a + 1 as a) from t", "* REPLACE", "* REPLACE (a + 1 AS a)"),
        ("select cast(a as ubigint) from t", "unsigned integer type", "UBIGINT"),
        ("select lgamma(a) from t", "function Spark lacks", "LGAMMA"),
        ("select list_sum(a) from t", "function Spark lacks", "LIST_SUM"),
        (
            "select list(a order by b desc) from t",
            "no Spark form",
            "a ORDER BY b DESC: a descending list order has no Spark form here.",
        ),
        (
            "select regexp_replace(a, 'x', 'y') from t",
            "no Spark form",
            "REGEXP_REPLACE(a, 'x', 'y'): only regexp_replace(..., 'g') has a Spark form "
            "(Spark replaces every match).",
        ),
        ("select hash(a) from t", "engine-specific values", "HASH"),
        (
            "select quantile_cont(a, 0.9) from t",
            "quantile with DuckDB's argument order",
            "QUANTILE_CONT(a, 0.9)",
        ),
    ],
)
def test_duckdb_only_constructs_are_named(spark, sql: str, construct: str, detail: str) -> None:
    found = portability.sql_problems("m", sql, spark)
    assert [(p.construct, p.detail) for p in found] == [(construct, detail)]


@pytest.mark.parametrize(
    "sql",
    [
        "select list_transform(a, lambda x: x + 1) from t",
        "select strpos(a, 'b'), a ->> 'k', json_keys(a) from t",
        "select count(*) filter (where a > 1), string_agg(a, ',' order by b) from t group by c",
        "select try_cast(a as integer), md5(a), unnest(range(1, 3)) from t",
        "select smartloop_clean_text(a) from t",
        "select a from t qualify row_number() over (partition by b order by c) = 1",
        # written * EXCEPT (a), which Spark 4 runs
        "select * exclude (a) from t",
        # the project's rewrites (smartloop.spark): sorted structs, anchored RLIKE, renames
        "select list(a order by b) filter (where a > 0) from t group by c",
        "select regexp_full_match(a, 'x+'), list_intersect(a, b), json_type(a) from t",
        r"select regexp_replace(a, '(x)', '<\1>', 'g'), a ->> k from t",
    ],
)
def test_constructs_sqlglot_translates_pass(spark, sql: str) -> None:
    assert portability.sql_problems("m", sql, spark) == []


def test_unparseable_sql_is_a_problem_not_a_crash(spark) -> None:
    found = portability.sql_problems("m", "select from where", spark)
    assert [p.construct for p in found] == ["unparseable as DuckDB SQL"]
