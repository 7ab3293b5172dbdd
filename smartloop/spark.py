"""The project on Apache Spark: dbt-spark's session method on a local ``pyspark``.

The project's SQL is written once, in DuckDB's dialect. On Spark, each model's, test's and
introspection query's SQL is marked by the ``smartloop_sql`` macros (``macros/spark/``) and
translated to Spark SQL just before Spark runs it (:func:`to_spark_sql`: sqlglot, plus the
rewrites of :func:`for_spark` where sqlglot's Spark SQL would compute something else); what
neither can translate sits behind ``adapter.dispatch`` macros with a ``spark__`` version.
dbt-spark's own statements (DDL, catalog queries) are Spark SQL already and pass unchanged.

A Spark build (:func:`build`) runs in one process, on one Spark session:

1. the landing folder is read by the same reader as on DuckDB (:mod:`smartloop.landing`)
   and written to Spark tables ``landing.<kind>``;
2. dbt runs the SQL models in stages. dbt-spark cannot run Python models outside
   Databricks, so each Python model runs here instead, between two stages, on Spark
   DataFrames (:class:`PythonModelContext` is the ``dbt`` object it receives), and its rows
   are written to Parquet under ``HOME/spark/python_outputs``. The source ``python_outputs``
   reads that Parquet, and a SQL model of the same name (``models/spark/``, enabled on
   Spark only) hands it to the models downstream;
3. ``dbt test`` runs every data test, and the marts are written to
   ``HOME/spark/marts/<mart>.parquet``, which :func:`compare_with_duckdb` compares with the
   published DuckDB build of the same home.

The snapshot (``snp_item_labels``) needs a table format with MERGE (Delta, Iceberg), which a
plain local Spark lacks, so it and the one mart that reads it (``fct_label_changes``) are
disabled on Spark.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.spark import Spark

from smartloop import paths

BEGIN = "/*smartloop:duckdb*/"
END = "/*smartloop:end*/"
_MARKED = re.compile(re.escape(BEGIN) + r"(.*?)" + re.escape(END), re.DOTALL)

Echo = Callable[[str], None]


class SparkBuildError(RuntimeError):
    """A Spark build step failed; the message names the step."""


class SparkSqlError(ValueError):
    """DuckDB SQL that has no Spark form here; the message names the construct."""


def _java_replacement(text: str) -> str:
    r"""A DuckDB (RE2) replacement string as Java's: ``\1`` becomes ``$1``, ``$`` ``\$``.

    >>> _java_replacement(r"<\1> costs $5")
    '<$1> costs \\$5'
    """
    return re.sub(r"\\(\d)|\$", lambda m: f"${m.group(1)}" if m.group(1) else "\\$", text)


class DuckDBQuotedBySpark(DuckDB):
    """DuckDB's dialect, where a name may also be quoted `so`, as dbt-spark's own macros
    (``adapter.quote``) quote it inside the project's SQL."""

    class Tokenizer(DuckDB.Tokenizer):
        IDENTIFIERS: ClassVar[list[str]] = ['"', "`"]


class SparkKeepingNestedCtes(Spark):
    """Spark's dialect, keeping a CTE in the subquery that defines it: Spark 3 and later
    accept nested CTEs, and moving them to the top level merges two CTEs of one name."""

    class Generator(Spark.Generator):
        EXPRESSIONS_WITHOUT_NESTED_CTES: ClassVar[set[type[exp.Expression]]] = set()


def to_spark_sql(sql: str) -> str:
    """``sql`` with every region between the markers translated from DuckDB SQL to Spark SQL.

    >>> to_spark_sql("create view v as " + BEGIN + "select strpos(t, 'a') as p from x" + END)
    "create view v as SELECT LOCATE('a', t) AS p FROM x"
    """

    def translate_region(match: re.Match[str]) -> str:
        trees = sqlglot.parse(match.group(1), read=DuckDBQuotedBySpark)
        return ";\n".join(
            for_spark(tree).sql(dialect=SparkKeepingNestedCtes) for tree in trees if tree
        )

    return _MARKED.sub(translate_region, sql)


# DuckDB functions sqlglot passes through unchanged, and their Spark names (same semantics)
_RENAMED = {"list_intersect": "array_intersect"}


def for_spark(tree: exp.Expression) -> exp.Expression:
    """A parsed DuckDB statement rewritten where sqlglot's Spark SQL
    (``SparkKeepingNestedCtes``) would not do the same:

    - functions of another name (``_RENAMED``); ``regexp_full_match(x, p)``: ``x rlike ^(?:p)$``.
    - ``list(x order by k)``: Spark has no ordered aggregate, so the list of (k, x) structs,
      sorted, with k dropped; in ``sum``/``avg`` (ordered on DuckDB to fix the float
      rounding), the order is dropped: their values may differ in the last bits.
    - ``x rlike p``, parenthesised: sqlglot writes ``NOT x RLIKE p IS NULL``, which Spark
      reads as ``x RLIKE (p IS NULL)``.
    - ``json_type(x)``: 'OBJECT', 'ARRAY' or 'VALUE' by the first character of the text.
    - ``cast(x as json)``: Spark has no JSON type; JSON is text, so the text itself.
    - a number with a point (``1.0``) as a double: both engines read it as a decimal, but
      DuckDB's avg and division of decimals give doubles and Spark's give decimals.
    - ``j ->> k`` with a key column k: ``get_json_object(j, '$['k']')`` (sqlglot passes k
      as the path itself); a key holding ' or ] cannot be read so.
    - ``regexp_replace(x, p, r, 'g')``: Spark replaces every match (DuckDB only with 'g') and
      writes a group as ``$1`` where DuckDB writes ``\\1``.
    """

    # sqlglot does not visit the children of a node a rewrite returns, so a rewrite that
    # builds a new node translates the parts it reuses itself (for_spark on a copy)
    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.lower() in _RENAMED:
            node.set("this", _RENAMED[node.name.lower()])
            return node
        if isinstance(node, exp.RegexpFullMatch):
            text, pattern = (for_spark(arg.copy()) for arg in (node.this, node.expression))
            anchored = exp.func(
                "concat", exp.Literal.string("^(?:"), pattern, exp.Literal.string(")$")
            )
            return exp.RegexpLike(this=text, expression=anchored)
        if isinstance(node, exp.JSONType):
            return _json_type(node.this)
        if (
            isinstance(node, exp.Filter)
            and isinstance(node.this, exp.ArrayAgg)
            and isinstance(node.this.this, exp.Order)
        ):
            return _sorted_list(node.this.this, node.expression)
        if isinstance(node, exp.AggFunc) and isinstance(node.this, exp.Order):
            if isinstance(node, exp.ArrayAgg):
                return _sorted_list(node.this)
            if not isinstance(node, exp.GroupConcat):
                node.set("this", node.this.this)
                return node
        if (
            isinstance(node, exp.RegexpLike)
            and node.parent is not None
            and not isinstance(node.parent, exp.Paren | exp.Where)
        ):
            return exp.Paren(this=for_spark(node.copy()))
        if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.JSON):
            return for_spark(node.this.copy())
        if (
            isinstance(node, exp.Literal)
            and not node.is_string
            and any(mark in node.this.lower() for mark in ".e")
        ):
            return exp.cast(node.copy(), exp.DataType.build("double"))
        if isinstance(node, exp.JSONExtractScalar) and not isinstance(
            node.expression, exp.JSONPath | exp.Literal
        ):
            key = for_spark(node.expression.copy())
            path = exp.func("concat", exp.Literal.string("$['"), key, exp.Literal.string("']"))
            document = for_spark(node.this.copy())
            return exp.Anonymous(this="GET_JSON_OBJECT", expressions=[document, path])
        if isinstance(node, exp.RegexpReplace):
            modifiers = node.args.get("modifiers")
            if modifiers is None or modifiers.name != "g":
                raise SparkSqlError(
                    f"{node.sql('duckdb')[:120]}: only regexp_replace(..., 'g') has a Spark "
                    "form (Spark replaces every match)."
                )
            node.set("modifiers", None)
            node.set("single_replace", None)
            replacement = node.args["replacement"]
            for literal in replacement.find_all(exp.Literal):  # the node itself included
                if literal.is_string:
                    literal.set("this", _java_replacement(literal.this))
        return node

    return tree.transform(rewrite)


def _spark(node: exp.Expression) -> str:
    return for_spark(node.copy()).sql(dialect=SparkKeepingNestedCtes)


def _sorted_list(order: exp.Order, where: exp.Expression | None = None) -> exp.Expression:
    """``list(x order by k1, k2) [filter (where c)]`` in Spark: the x of the (k1, k2, x)
    structs, sorted."""
    keys = []
    for position, ordered in enumerate(order.expressions):
        if ordered.args.get("desc"):
            raise SparkSqlError(
                f"{order.sql('duckdb')[:120]}: a descending list order has no Spark form here."
            )
        keys.append(f"{_spark(ordered.this)} AS k{position}")
    collected = f"COLLECT_LIST(STRUCT({', '.join(keys)}, {_spark(order.this)} AS v))"
    if where is not None:
        collected += f" FILTER ({_spark(where)})"
    return sqlglot.parse_one(f"TRANSFORM(ARRAY_SORT({collected}), s -> s.v)", read="spark")


def _json_type(text: exp.Expression) -> exp.Expression:
    trimmed = f"LTRIM({_spark(text)})"
    return sqlglot.parse_one(
        f"CASE WHEN {trimmed} LIKE '{{%' THEN 'OBJECT' WHEN {trimmed} LIKE '[%' THEN 'ARRAY' "
        "ELSE 'VALUE' END",
        read="spark",
    )


def install_translation() -> None:
    """Translate the marked regions of every statement dbt-spark's session cursor runs."""
    from dbt.adapters.spark import session

    cursor = session.Cursor
    if getattr(cursor.execute, "_smartloop", False):
        return
    original = cursor.execute

    def execute(self: Any, sql: str, *parameters: Any) -> None:
        return original(self, to_spark_sql(sql), *parameters)

    execute._smartloop = True  # type: ignore[attr-defined]
    cursor.execute = execute  # type: ignore[method-assign]
    # dbt-spark 1.11's session method writes a seed's empty cell as the text 'None' and
    # does not escape quotes or backslashes in a cell
    session.SessionConnectionWrapper._fix_binding = classmethod(  # type: ignore[method-assign]
        lambda cls, value: _spark_literal(value)
    )


def _spark_literal(value: Any) -> str | float:
    r"""A seed cell as a Spark SQL literal.

    >>> [_spark_literal(v) for v in (None, "it's", 2)]
    ['NULL', "'it\\'s'", 2.0]
    """
    import datetime as dt
    import decimal

    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return f"'{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def spark_session(home: Path, *, cores: int = 2) -> Any:
    """The local Spark session of ``home``: its warehouse folder and metastore live there."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkBuildError(
            "a Spark build needs the spark extra (pip install -e '.[spark]': dbt-spark and "
            "pyspark) and Java 17."
        ) from exc

    spark_dir = (home / "spark").resolve()
    spark_dir.mkdir(parents=True, exist_ok=True)
    # Python functions run in worker processes: this interpreter, with smartloop installed
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    metastore = spark_dir / "metastore_db"
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("smartloop")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(spark_dir / "warehouse"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(2 * cores))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={spark_dir}")
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={metastore};create=true",
        )
        .enableHiveSupport()
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    register_functions(spark)
    return spark


def register_functions(spark: Any) -> None:
    """The Python functions the SQL calls, as on DuckDB (smartloop.dbt_plugin)."""
    import pandas as pd
    import pyarrow as pa
    from pyspark.sql.functions import pandas_udf

    from smartloop.privacy import pseudonymise_arrow
    from smartloop.text import clean_text_arrow

    def vectorised(function: Callable[[pa.Array], pa.Array]) -> Any:
        def call(values: pd.Series) -> pd.Series:
            result = function(pa.array(values, type=pa.string(), from_pandas=True))
            return pd.Series(result.to_pylist(), index=values.index, dtype=object)

        # pandas_udf reads the hints as objects; this module's annotations are strings
        call.__annotations__ = {"values": pd.Series, "return": pd.Series}
        return pandas_udf(call, "string")

    spark.udf.register("smartloop_pseudonymise", vectorised(pseudonymise_arrow))
    spark.udf.register("smartloop_clean_text", vectorised(clean_text_arrow))

    def duckdb_text(sql: pd.Series, values: pd.Series) -> pd.Series:
        return pd.Series(
            evaluate_in_duckdb(sql.iloc[0] if len(sql) else "", list(values)),
            index=values.index,
            dtype=object,
        )

    duckdb_text.__annotations__ = {"sql": pd.Series, "values": pd.Series, "return": pd.Series}

    def lgamma(values: pd.Series) -> pd.Series:
        from scipy.special import gammaln

        return pd.Series(gammaln(values.to_numpy(dtype=float)), index=values.index)

    lgamma.__annotations__ = {"values": pd.Series, "return": pd.Series}
    spark.udf.register("smartloop_lgamma", pandas_udf(lgamma, "double"))
    spark.udf.register("smartloop_duckdb_text", pandas_udf(duckdb_text, "string"))


_WORKER_DUCKDB: list[Any] = []


def evaluate_in_duckdb(sql: str, values: list[str | None]) -> list[str | None]:
    """``sql`` (a DuckDB expression of the column ``smartloop_value``) of each value, in order.

    Spark calls this (as ``smartloop_duckdb_text``) for the PII detectors: their regexes are
    RE2's, and Java's regex engine differs in corner cases, so both engines run them in
    DuckDB and redact alike.

    >>> evaluate_in_duckdb("upper(smartloop_value)", ["a", None])
    ['A', None]
    """
    import duckdb
    import pyarrow as pa

    if not values:
        return []
    if not _WORKER_DUCKDB:
        _WORKER_DUCKDB.append(duckdb.connect())
    con = _WORKER_DUCKDB[0]
    batch = pa.table(
        {
            "smartloop_row": pa.array(range(len(values)), type=pa.int64()),
            "smartloop_value": pa.array(values, type=pa.string(), from_pandas=True),
        }
    )
    con.register("smartloop_batch", batch)
    try:
        result = con.execute(
            f"select ({sql}) as value from smartloop_batch order by smartloop_row"
        ).fetchall()
    finally:
        con.unregister("smartloop_batch")
    return [row[0] for row in result]


def load_landing(spark: Any, landing: Path, label_schema_file: str | None) -> dict[str, int]:
    """Write every landing table (as smartloop.landing reads it) to ``landing.<kind>``."""
    from smartloop.landing import CONTRACTS, read_label_schema, read_landing

    spark.sql("create database if not exists landing")
    tables = {kind: read_landing(landing, kind) for kind in CONTRACTS}
    tables["label_schema"] = read_label_schema(label_schema_file or None)
    counts = {}
    for kind, table in tables.items():
        frame = spark.createDataFrame(table)
        frame.write.mode("overwrite").format("parquet").saveAsTable(f"landing.{kind}")
        counts[kind] = table.num_rows
    return counts


class _Config:
    """``dbt.config`` of a Python model: a call sets nothing here, ``get`` reads its config."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __call__(self, **_: Any) -> None:
        return None

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)


@dataclass
class PythonModelContext:
    """The ``dbt`` object a Python model receives, on Spark tables instead of dbt's."""

    spark: Any
    relations: dict[str, str]
    values: dict[str, Any]
    this: str
    config: _Config = field(init=False)

    def __post_init__(self) -> None:
        self.config = _Config(self.values)

    def ref(self, name: str) -> Any:
        return self.spark.table(self.relations[name])


def _load_python_model(path: Path) -> Callable[[Any, Any], Any]:
    namespace: dict[str, Any] = {"__name__": f"smartloop_python_model_{path.stem}"}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace["model"]


@dataclass(frozen=True)
class Plan:
    """What a Spark build runs: SQL models in stages, a Python model after each stage."""

    stages: list[list[str]]
    python_models: list[dict[str, Any]]
    relations: dict[str, str]


def plan(manifest: dict[str, Any], python_manifest: dict[str, Any]) -> Plan:
    """Stages of a Spark build from dbt's manifest parsed for the spark target.

    The Python models are disabled there, and dbt neither resolves the refs nor applies the
    properties of a disabled node, so they are read from ``python_manifest``, parsed for the
    DuckDB target, where they are enabled. Each has an enabled SQL twin of the same name on
    Spark that reads its Parquet. Stage k holds every SQL model the k-th Python model needs
    (directly or not) that no earlier stage holds; the last stage holds the rest.
    """
    nodes = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed")
    }
    relations = {
        node["name"]: f"{node['schema']}.{node.get('alias') or node['name']}"
        for node in nodes.values()
    }
    python = [
        node
        for node in python_manifest["nodes"].values()
        if node["resource_type"] == "model" and node.get("language") == "python"
    ]
    by_name = {node["name"]: uid for uid, node in nodes.items()}

    def ancestors(uids: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = [uid for uid in uids if uid in nodes]
        while todo:
            uid = todo.pop()
            if uid in seen:
                continue
            seen.add(uid)
            todo.extend(dep for dep in nodes[uid]["depends_on"].get("nodes", []) if dep in nodes)
        return seen

    # a Python model's twin is downstream of the Python models its inputs need
    order: list[dict[str, Any]] = []
    pending = {node["name"]: node for node in python}
    while pending:
        for name, node in sorted(pending.items()):
            needs = ancestors(node["depends_on"]["nodes"])
            if not any(by_name.get(other) in needs for other in pending if other != name):
                order.append(node)
                del pending[name]
                break
        else:
            raise SparkBuildError("the Python models depend on each other in a cycle.")
    built: set[str] = set()
    stages = []
    for node in order:
        needs = ancestors(node["depends_on"]["nodes"]) - built
        stages.append(sorted(nodes[uid]["name"] for uid in needs if uid.startswith("model.")))
        built |= needs  # its twin runs in a later stage, after the Python model
    rest = {uid for uid in nodes if uid.startswith("model.")} - built
    stages.append(sorted(nodes[uid]["name"] for uid in rest))
    return Plan(stages=stages, python_models=order, relations=relations)


def run_python_model(
    spark: Any, node: dict[str, Any], relations: dict[str, str], out_dir: Path
) -> int:
    """Run one Python model on Spark tables; its rows go to Parquet and to the source
    table ``python_outputs.<name>``. Returns the row count."""
    from smartloop import frames

    model = _load_python_model(paths.PROJECT_DIR / node["original_file_path"])
    context = PythonModelContext(
        spark=spark, relations=relations, values=node["config"], this=relations[node["name"]]
    )
    try:
        result = frames.to_pandas(model(context, spark))
    except Exception as exc:
        raise SparkBuildError(f"Python model {node['name']} failed on Spark: {exc}") from exc
    target = (out_dir / node["name"]).resolve()
    frame = spark.createDataFrame(result) if len(result) else None
    if frame is None:
        import pyarrow as pa

        frame = spark.createDataFrame(pa.Table.from_pandas(result, preserve_index=False))
    frame.write.mode("overwrite").parquet(str(target))
    spark.sql("create database if not exists python_outputs")
    spark.sql(f"drop table if exists python_outputs.{node['name']}")
    spark.sql(f"create table python_outputs.{node['name']} using parquet location '{target}'")
    return len(result)


def _dbt(args: list[str], *, home: Path, dbt_vars: dict[str, Any], target: str = "spark") -> Any:
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(
        [
            *args,
            "--target",
            target,
            "--project-dir",
            str(paths.PROJECT_DIR),
            "--profiles-dir",
            str(paths.PROJECT_DIR),
            "--target-path",
            str(home / "spark" / f"target-{target}"),
            "--log-path",
            str(home / "spark" / "logs"),
            "--vars",
            json.dumps(dbt_vars),
        ]
    )
    if not result.success:
        failed = []
        for item in getattr(result.result, "results", None) or []:
            if str(item.status) in ("error", "fail"):
                failed.append(f"{item.node.name}: {(item.message or '').splitlines()[0][:300]}")
        detail = "; ".join(failed[:5]) or str(result.exception)
        raise SparkBuildError(f"dbt {args[0]} on Spark failed: {detail}")
    return result


def build(
    home: Path,
    landing: Path,
    *,
    build_id: str,
    echo: Echo = print,
    tests: bool = True,
) -> Plan:
    """Build ``landing`` on a local Spark session kept in ``home/spark``."""
    from smartloop.settings import build_vars

    home = Path(home).resolve()
    dbt_vars = build_vars(landing, paths.PROJECT_DIR, build_id)
    dbt_vars.pop("model_dir", None)
    os.environ["SMARTLOOP_BUILD_ID"] = build_id
    spark = spark_session(home)
    install_translation()
    counts = load_landing(spark, Path(dbt_vars["landing_dir"]), dbt_vars.get("label_schema_file"))
    echo(f"Loaded landing tables into Spark: {counts}.")
    _dbt(["parse"], home=home, dbt_vars=dbt_vars, target="duckdb")
    python_manifest = json.loads((home / "spark" / "target-duckdb" / "manifest.json").read_text())
    _dbt(["parse"], home=home, dbt_vars=dbt_vars)
    manifest = json.loads((home / "spark" / "target-spark" / "manifest.json").read_text())
    steps = plan(manifest, python_manifest)
    _dbt(["seed"], home=home, dbt_vars=dbt_vars)
    out_dir = home / "spark" / "python_outputs"
    for stage, node in zip(steps.stages, [*steps.python_models, None], strict=True):
        if stage:
            echo(f"dbt run on Spark: {len(stage)} models.")
            _dbt(["run", "--select", *stage], home=home, dbt_vars=dbt_vars)
        if node is not None:
            rows = run_python_model(spark, node, steps.relations, out_dir)
            echo(f"Python model {node['name']} on Spark: {rows} rows.")
    if tests:
        echo("dbt test on Spark.")
        _dbt(["test", "--exclude", "resource_type:unit_test"], home=home, dbt_vars=dbt_vars)
    # every SQL model compiled for Spark, for the portability check (the test run's
    # manifest holds no model's SQL)
    _dbt(["compile", "--select", "resource_type:model"], home=home, dbt_vars=dbt_vars)
    names = export_marts(spark, manifest, marts_dir(home))
    echo(f"Wrote {len(names)} marts of the Spark build to {marts_dir(home)}.")
    return steps


@dataclass(frozen=True)
class MartDifference:
    """How one mart differs between the two engines."""

    mart: str
    detail: str

    def __str__(self) -> str:
        return f"{self.mart}: {self.detail}"


def _comparable(value: Any) -> Any:
    """A cell as plain Python: arrays as tuples, structs as sorted item tuples, NaN as None,
    decimals as floats."""
    import datetime as dt
    import decimal
    import math

    import numpy as np
    import pandas as pd

    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return (
            value.replace(tzinfo=None)
            if value.tzinfo is None
            else value.astimezone(dt.UTC).replace(tzinfo=None)
        )
    if isinstance(value, dict):
        return tuple(sorted((key, _comparable(item)) for key, item in value.items()))
    if hasattr(value, "asDict"):  # a Spark Row (a struct)
        return _comparable(value.asDict(recursive=False))
    if isinstance(value, list | tuple | np.ndarray):
        return tuple(_comparable(item) for item in value)
    if isinstance(value, pd._libs.missing.NAType):
        return None
    return value


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        (value is None, repr(round(value, 6)) if isinstance(value, float) else repr(value))
        for value in row
    )


def _cells_equal(left: Any, right: Any, tolerance: float) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        return abs(float(left) - float(right)) <= tolerance * max(1.0, abs(float(left)))
    if isinstance(left, tuple) and isinstance(right, tuple):
        return len(left) == len(right) and all(
            _cells_equal(a, b, tolerance) for a, b in zip(left, right, strict=True)
        )
    return left == right


def compare_frames(
    mart: str,
    duckdb_rows: Any,
    spark_rows: Any,
    *,
    ignore: Iterable[str] = (),
    tolerance: float = 1e-9,
) -> list[MartDifference]:
    """Differences between one mart's rows on DuckDB and on Spark (pandas DataFrames):
    the same columns, and the same rows after sorting, numbers within ``tolerance``
    (relative to the value, absolute below 1)."""
    ignored = set(ignore)
    left_columns = [c for c in duckdb_rows.columns if c not in ignored]
    right_columns = [c for c in spark_rows.columns if c not in ignored]
    if sorted(left_columns) != sorted(right_columns):
        missing = sorted(set(left_columns) ^ set(right_columns))
        return [MartDifference(mart, f"columns differ: {', '.join(missing)}")]
    if len(duckdb_rows) != len(spark_rows):
        return [
            MartDifference(mart, f"{len(duckdb_rows)} rows on DuckDB, {len(spark_rows)} on Spark")
        ]

    def rows(frame: Any) -> list[tuple[Any, ...]]:
        values = [
            tuple(_comparable(value) for value in record)
            for record in frame[left_columns].itertuples(index=False, name=None)
        ]
        return sorted(values, key=_sort_key)

    differences = []
    for left, right in zip(rows(duckdb_rows), rows(spark_rows), strict=True):
        for column, a, b in zip(left_columns, left, right, strict=True):
            if not _cells_equal(a, b, tolerance):
                differences.append(
                    MartDifference(mart, f"column {column}: DuckDB {a!r}, Spark {b!r}")
                )
        if len(differences) >= 5:
            break
    return differences


# Columns that record when and how long one run took, or dbt's id of the invocation: they
# differ between any two runs, on one engine or two.
RUN_COLUMNS = {
    "fct_model_runs": ("trained_at", "train_seconds"),
    "fct_prediction_probabilities": ("train_seconds",),
    "fct_slice_metrics_history": ("recorded_at",),
    "fct_source_file_loads": ("invocation_id", "loaded_at"),
    "fct_split_assignments": ("assigned_at",),
    # the build ledger is kept by `smartloop build` (DuckDB): a Spark build has none, so its
    # run is reported as built, not running
    "rpt_pipeline_runs": ("invocation_id", "started_at", "ended_at", "status"),
}

# Marts a Spark build does not make (see the module docstring).
NOT_ON_SPARK = frozenset({"fct_label_changes"})


def marts_dir(home: Path) -> Path:
    return Path(home) / "spark" / "marts"


def export_marts(spark: Any, manifest: dict[str, Any], out_dir: Path) -> list[str]:
    """Write every mart of the Spark build to ``out_dir/<mart>.parquet`` (one file each)."""
    import shutil

    out_dir.mkdir(parents=True, exist_ok=True)
    names = sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    )
    for name in names:
        frame = spark.table(f"marts.{name}").toPandas()
        tmp = out_dir / f".{name}.parquet.tmp"
        frame.to_parquet(tmp, index=False)
        shutil.move(tmp, out_dir / f"{name}.parquet")
    return names


def compare_with_duckdb(
    home: Path, *, tolerance: float = 1e-9
) -> tuple[list[str], list[MartDifference]]:
    """Compare the marts of HOME's published DuckDB build (serving.duckdb) with those of its
    Spark build (HOME/spark/marts). Returns the marts compared and the differences."""
    import duckdb
    import pandas as pd

    serving = paths.serving_path(home)
    spark_dir = marts_dir(home)
    if not serving.is_file():
        raise SparkBuildError(f"no DuckDB build to compare with: {serving} does not exist.")
    if not spark_dir.is_dir():
        raise SparkBuildError(f"no Spark build to compare with: {spark_dir} does not exist.")
    with duckdb.connect(str(serving), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main' "
                "and table_name <> 'serving_info' order by table_name"
            ).fetchall()
        ]
        compared: list[str] = []
        differences: list[MartDifference] = []
        for name in tables:
            if name in NOT_ON_SPARK:
                continue
            parquet = spark_dir / f"{name}.parquet"
            if not parquet.is_file():
                differences.append(MartDifference(name, "not built on Spark"))
                continue
            duck = con.execute(f'select * from "{name}"').df()
            spark_rows = pd.read_parquet(parquet)
            differences += compare_frames(
                name, duck, spark_rows, ignore=RUN_COLUMNS.get(name, ()), tolerance=tolerance
            )
            compared.append(name)
    return compared, differences
