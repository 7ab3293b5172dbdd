"""Which compiled SQL Spark cannot run: a fast check of the project's translation.

Every SQL model's compiled code (from dbt's manifest) is parsed as DuckDB SQL by sqlglot and
checked for DuckDB syntax that has no Spark form; then it is translated as a Spark build
translates it (:func:`smartloop.spark.to_spark_sql`: sqlglot and the project's rewrites),
and every function the Spark SQL calls must be one of Spark's built-in functions
(smartloop/spark_functions.txt: ``SHOW FUNCTIONS`` of the Spark named in its first line) or
a function the project registers itself. sqlglot translates what it knows
(``list_transform`` becomes ``TRANSFORM``, ``strpos`` ``LOCATE``) and passes other names
through unchanged, which is what this check catches.

Run on SQL compiled for the spark target (``HOME/spark/target-spark`` after
``smartloop spark build``), where the ``spark__`` macros apply, it must find nothing; on
SQL compiled for DuckDB it lists what those macros replace. It does not prove that Spark
computes the same values: building the demo on both engines and comparing the marts does
(``make test-spark``). ``python -m smartloop.portability TARGET_DIR`` lists the problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

from smartloop import spark as spark_sql
from smartloop.pii_lineage import manifest_relations

SPARK_FUNCTIONS_FILE = Path(__file__).with_name("spark_functions.txt")

# Functions the project registers itself: on DuckDB through the dbt plugin, on Spark by
# smartloop.spark (the last two on Spark only).
PROJECT_FUNCTIONS = frozenset(
    {"smartloop_pseudonymise", "smartloop_clean_text", "smartloop_duckdb_text", "smartloop_lgamma"}
)

# Spark syntax written like a call but not listed by SHOW FUNCTIONS.
SPARK_SYNTAX = frozenset({"try_cast"})

# Functions Spark has under the same name but that return other values than DuckDB's:
# a key or bucket made with them differs between the engines.
ENGINE_SPECIFIC_VALUES = frozenset({"hash"})

_UNSIGNED = {
    exp.DataType.Type.UTINYINT,
    exp.DataType.Type.USMALLINT,
    exp.DataType.Type.UINT,
    exp.DataType.Type.UBIGINT,
    exp.DataType.Type.UINT128,
    exp.DataType.Type.UINT256,
}


@dataclass(frozen=True, order=True)
class Problem:
    """One construct of one model that Spark cannot run, or runs differently."""

    model: str
    construct: str
    detail: str

    def __str__(self) -> str:
        return f"{self.model}: {self.construct} ({self.detail})"


def spark_functions(path: Path = SPARK_FUNCTIONS_FILE) -> frozenset[str]:
    """Spark's built-in function names, lower case (comment lines start with #)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    return node.sql_name().lower()


_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\(")


def _spark_call(node: exp.Func) -> str | None:
    """The name a function node is called by in Spark SQL (None: written as syntax, such as
    an operator or CASE)."""
    match = _CALL.match(node.sql(dialect=spark_sql.SparkKeepingNestedCtes))
    return match.group(1).lower() if match else None


def _syntax_problems(tree: exp.Expr) -> Iterable[tuple[str, str]]:
    """DuckDB syntax that Spark has no form of, found in the DuckDB parse."""
    for node in tree.walk():
        if isinstance(node, exp.Slice):
            yield "list slice", node.parent.sql(dialect="duckdb")[:80]
        elif isinstance(node, exp.Star) and node.args.get("replace"):
            # * EXCLUDE is written * EXCEPT, which Spark 4 runs; REPLACE has no Spark form
            yield "* REPLACE", node.sql(dialect="duckdb")[:80]
        elif isinstance(node, exp.DataType) and node.this in _UNSIGNED:
            yield "unsigned integer type", node.sql(dialect="duckdb")
        elif isinstance(node, (exp.PercentileCont, exp.PercentileDisc)) and not isinstance(
            node.parent, exp.WithinGroup
        ):
            yield "quantile with DuckDB's argument order", node.sql(dialect="duckdb")[:80]
        elif isinstance(node, exp.Func) and _function_name(node) in ENGINE_SPECIFIC_VALUES:
            yield "engine-specific values", _function_name(node).upper()


def sql_problems(model: str, sql: str, known: frozenset[str] | None = None) -> list[Problem]:
    """The problems of one model's compiled SQL when a Spark build translates and runs it.

    >>> known = frozenset({"transform", "locate", "array_intersect"})
    >>> sql_problems("m", "select list_transform(a, lambda x: x + 1), strpos(a, 'b') from t", known)
    []
    >>> [str(p) for p in sql_problems("m", "select a[1:2], list_sum(a) from t", known)]
    ['m: function Spark lacks (LIST_SUM)', 'm: list slice (a[1:2])']
    """
    known = spark_functions() if known is None else known
    allowed = known | PROJECT_FUNCTIONS
    try:
        tree = sqlglot.parse_one(sql, read=spark_sql.DuckDBQuotedBySpark)
    except sqlglot.errors.ParseError as exc:
        return [Problem(model, "unparseable as DuckDB SQL", str(exc).splitlines()[0][:120])]
    found = [Problem(model, construct, detail) for construct, detail in _syntax_problems(tree)]
    try:
        translated = spark_sql.for_spark(tree)
    except spark_sql.SparkSqlError as exc:
        return sorted({*found, Problem(model, "no Spark form", str(exc)[:160])})
    called = {_spark_call(node) for node in translated.find_all(exp.Func)}
    missing = sorted(name for name in called if name and name not in allowed | SPARK_SYNTAX)
    found += [Problem(model, "function Spark lacks", name.upper()) for name in missing]
    return sorted(set(found))


def project_problems(manifest: Path, known: frozenset[str] | None = None) -> list[Problem]:
    """Every problem of every SQL model and snapshot of a compiled project."""
    known = spark_functions() if known is None else known
    found: list[Problem] = []
    for relation in manifest_relations(manifest).values():
        if relation.sql is not None:
            found += sql_problems(f"{relation.schema}.{relation.name}", relation.sql, known)
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    """``python -m smartloop.portability TARGET_DIR``: list the problems of a compiled project
    (HOME/spark/target-spark after ``smartloop spark build``; HOME/target for DuckDB's)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m smartloop.portability TARGET_DIR (dbt's target folder)")
        return 2
    manifest = Path(args[0]) / "manifest.json"
    if not manifest.exists():
        print(f"{manifest} does not exist: compile the project first.")
        return 2
    problems = project_problems(manifest)
    for problem in problems:
        print(problem)
    models = len({problem.model for problem in problems})
    print(f"{len(problems)} problems in {models} models.")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
