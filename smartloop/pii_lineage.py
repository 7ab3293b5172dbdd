"""The PII lineage gate: which mart columns derive from raw personal data without redaction.

From dbt's manifest (the compiled SQL of every model and snapshot, after a build) and the
warehouse's column list, sqlglot's column lineage traces every column back to the columns
it reads. A path is *sanitised* where it passes through the redaction macro (its CTEs carry
the column ``pii_text``; see macros/redact_pii.sql) or the pseudonymisation function
(``smartloop_pseudonymise``). A column is *tainted* by a personal source column (free text,
metadata values, raw records, reasons, parse errors of the landing sources) that it reaches
along a path that is not sanitised. Values flow through expressions, not through what
only tests them: counts, comparisons and other predicates, lengths, CASE conditions,
window partitions and the key names of a JSON object carry no value of the columns they
read. Python models are opaque: each of their columns counts as derived from every column
of every relation they read. The gate fails on any tainted column of a mart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from sqlglot import exp
from sqlglot.lineage import Node, lineage

# Landing-source columns that can hold personal data as delivered.
PERSONAL_SOURCE_COLUMNS = ("text", "metadata", "raw_record", "reason", "parse_error")
REDACTION_COLUMN = "pii_text"  # only the redaction and detection macros name a column so
PSEUDONYMISE_FUNCTION = "smartloop_pseudonymise"

Column = tuple[str, str, str]  # schema, relation, column


@dataclass
class Relation:
    """One relation of the project: where it lives, its SQL (None for Python models, seeds
    and sources) and the relations it reads."""

    schema: str
    name: str
    sql: str | None = None
    reads: list[tuple[str, str]] = field(default_factory=list)


class LineageError(RuntimeError):
    """A model whose column lineage cannot be traced; the message names it."""


def warehouse_columns(warehouse: Path) -> dict[tuple[str, str], list[str]]:
    """Every relation's columns in a warehouse file (opened read-only)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "order by table_schema, table_name, ordinal_position"
        ).fetchall()
    out: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        out.setdefault((schema, table), []).append(column)
    return out


def manifest_relations(manifest: Path) -> dict[str, Relation]:
    """The models, snapshots, seeds and sources of a dbt manifest, by unique id."""
    nodes = json.loads(Path(manifest).read_text(encoding="utf-8"))
    everything = {**nodes["nodes"], **nodes["sources"]}
    out: dict[str, Relation] = {}
    for unique_id, node in everything.items():
        kind = node["resource_type"]
        if kind not in ("model", "snapshot", "seed", "source"):
            continue
        name = node.get("alias") or node.get("identifier") or node["name"]
        if kind == "source":
            name = node.get("identifier") or node["name"]
        is_sql = kind in ("model", "snapshot") and node.get("language", "sql") == "sql"
        sql = node.get("compiled_code") if is_sql else None
        if is_sql and not sql:
            raise LineageError(f"{unique_id} has no compiled SQL in {manifest}; build first.")
        out[unique_id] = Relation(
            node["schema"], name, sql, node.get("depends_on", {}).get("nodes", [])
        )
    for relation in out.values():
        relation.reads = [(out[r].schema, out[r].name) for r in relation.reads if r in out]
    return out


def _sanitising(node: Node) -> bool:
    if node.name == REDACTION_COLUMN or node.name.endswith("." + REDACTION_COLUMN):
        return True
    return any(
        isinstance(f, exp.Anonymous) and f.name.lower() == PSEUDONYMISE_FUNCTION
        for f in node.expression.find_all(exp.Anonymous)
    )


# Expressions whose result carries none of the values of the columns inside them.
_VALUE_FREE = (
    exp.Count,
    exp.CountIf,
    exp.Predicate,
    exp.Connector,
    exp.Not,
    exp.Length,
    exp.ArraySize,
    exp.JSONKeys,
    exp.RegexpLike,
)


def value_columns(expression: exp.Expr) -> set[str]:
    """The columns (as qualified SQL) whose values can reach the result of ``expression``.

    >>> import sqlglot
    >>> e = sqlglot.parse_one("case when t.a is null then t.b else upper(t.c) end", read="duckdb")
    >>> sorted(value_columns(e))
    ['t.b', 't.c']
    >>> sorted(value_columns(sqlglot.parse_one("count(t.a) + length(t.b)")))
    []
    """
    if isinstance(expression, _VALUE_FREE):
        return set()
    if isinstance(expression, exp.Column):
        return {expression.sql(dialect="duckdb").replace('"', "")}
    if isinstance(expression, exp.Case):
        parts = [branch.args.get("true") for branch in expression.args.get("ifs") or []]
        parts.append(expression.args.get("default"))
        return set().union(*(value_columns(part) for part in parts if part is not None))
    if isinstance(expression, exp.If):
        parts = [expression.args.get("true"), expression.args.get("false")]
        return set().union(*(value_columns(part) for part in parts if part is not None))
    if isinstance(expression, exp.Window):
        return value_columns(expression.this)
    if isinstance(expression, exp.Filter):
        return value_columns(expression.this)
    if isinstance(expression, exp.Subquery):
        return {"*"}  # its output node is followed (and sanitises when it is the redaction)
    out: set[str] = set()
    for child in expression.iter_expressions():
        out |= value_columns(child)
    return out


def _followed(node: Node) -> list[Node]:
    """The downstream nodes whose values reach ``node``: columns in value positions of its
    expression, and nodes that are not plain column references (subquery outputs, whose
    correlated outer columns _inputs resolves). A column read only in a CASE condition or a
    predicate next to a subquery is not followed."""
    expression = node.expression.this if isinstance(node.expression, exp.Alias) else node.expression
    if isinstance(expression, exp.Table):
        return list(node.downstream)
    carried = value_columns(expression)
    referenced = {c.sql(dialect="duckdb").replace('"', "") for c in expression.find_all(exp.Column)}
    return [
        child for child in node.downstream if child.name in carried or child.name not in referenced
    ]


def _inputs(root: Node) -> tuple[set[Column], set[str]]:
    """The (schema, relation, column) inputs a column's values reach along unsanitised
    paths, and the outer columns (``alias.column``) that correlated subqueries on those
    paths read: sqlglot leaves these as placeholders, without their table."""
    found: set[Column] = set()
    correlated: set[str] = set()
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen or _sanitising(node):
            continue
        seen.add(id(node))
        if not node.downstream and isinstance(node.source, exp.Table):
            table = node.source
            found.add((table.db, table.name, node.name.split(".")[-1]))
        elif not node.downstream and isinstance(node.expression, exp.Placeholder):
            correlated.add(node.name)
        stack.extend(_followed(node))
    return found, correlated


def _outer_columns(
    relation: Relation,
    read: set[tuple[str, str]],
    names: set[str],
    columns: Mapping[tuple[str, str], list[str]],
) -> set[Column]:
    """The warehouse columns that outer references of correlated subqueries (``alias.column``)
    can read: every column of that name in a relation the model reads (``read``). An
    over-approximation (the alias is not resolved), so a value is never lost; a name no
    relation has (a column a CTE derived) cannot be traced and stops the gate."""
    out: set[Column] = set()
    for name in sorted(names):
        column = name.split(".")[-1]
        matches = {(s, t, column) for s, t in read if column in columns.get((s, t), [])}
        if not matches:
            raise LineageError(
                f"{relation.schema}.{relation.name}: a correlated subquery reads {name}, "
                "which no relation the model reads has, so its lineage cannot be traced."
            )
        out |= matches
    return out


def _schema_tree(columns: Mapping[tuple[str, str], list[str]]) -> dict:
    tree: dict = {}
    for (schema, table), names in columns.items():
        tree.setdefault("warehouse", {}).setdefault(schema, {})[table] = dict.fromkeys(
            names, "varchar"
        )
    return tree


def column_inputs(
    relation: Relation, columns: Mapping[tuple[str, str], list[str]], schema_tree: dict
) -> dict[str, set[Column]]:
    """Each column of ``relation`` and the upstream columns it derives from, unsanitised."""
    names = columns.get((relation.schema, relation.name))
    if names is None:
        raise LineageError(f"{relation.schema}.{relation.name} is not in the warehouse.")
    if relation.sql is None:  # opaque: every column of every input
        upstream = {
            (schema, table, column)
            for schema, table in relation.reads
            for column in columns.get((schema, table), [])
        }
        return {name: set(upstream) for name in names}
    try:
        roots = lineage(None, relation.sql, schema=schema_tree, dialect="duckdb")
    except Exception as exc:
        raise LineageError(
            f"{relation.schema}.{relation.name}: sqlglot cannot trace its columns ({exc})."
        ) from exc
    out = {}
    read: set[tuple[str, str]] | None = None  # the tables the SQL names, parsed when needed
    for name in names:
        root = roots.get(name)
        if root is None and not name.startswith("dbt_"):
            raise LineageError(f"{relation.schema}.{relation.name}.{name} has no lineage.")
        if root is None:
            out[name] = set()
            continue
        found, correlated = _inputs(root)
        if correlated:
            if read is None:
                tree = exp.maybe_parse(relation.sql, dialect="duckdb")
                read = {(t.db, t.name) for t in tree.find_all(exp.Table)}
            found |= _outer_columns(relation, read, correlated, columns)
        out[name] = found
    return out


@dataclass(frozen=True)
class Violation:
    """A mart column that derives from personal source data without redaction."""

    column: Column
    sources: tuple[Column, ...]

    def __str__(self) -> str:
        origin = ", ".join(".".join(c) for c in self.sources)
        return f"{'.'.join(self.column)} derives from {origin} without redaction"


def trace(
    relations: Iterable[Relation], columns: Mapping[tuple[str, str], list[str]]
) -> dict[Column, set[Column]]:
    """Every column of every relation (sources and seeds aside) and the upstream columns its
    values come from along unsanitised paths: the expensive step, one lineage per model."""
    tree = _schema_tree(columns)
    inputs: dict[Column, set[Column]] = {}
    for relation in relations:
        if relation.schema == "landing" or (relation.sql is None and not relation.reads):
            continue  # sources and seeds are where lineage starts
        for name, upstream in column_inputs(relation, columns, tree).items():
            inputs[(relation.schema, relation.name, name)] = upstream
    return inputs


def taint(inputs: Mapping[Column, set[Column]]) -> dict[Column, set[Column]]:
    """For every traced column, the personal source columns it derives from along
    unsanitised paths (empty: clean)."""
    memo: dict[Column, set[Column]] = {}

    def resolve(column: Column, path: frozenset[Column]) -> set[Column]:
        if column in memo:
            return memo[column]
        schema, _, name = column
        if schema == "landing":
            result = {column} if name in PERSONAL_SOURCE_COLUMNS else set()
        elif column in path:
            result = set()
        else:
            result = set()
            for upstream in inputs.get(column, ()):
                result |= resolve(upstream, path | {column})
        memo[column] = result
        return result

    return {column: resolve(column, frozenset()) for column in inputs}


def violations(
    tainted: Mapping[Column, set[Column]], mart_schemas: tuple[str, ...] = ("marts",)
) -> list[Violation]:
    """Every mart column tainted by personal source data, sorted."""
    return sorted(
        (
            Violation(column, tuple(sorted(sources)))
            for column, sources in tainted.items()
            if column[0] in mart_schemas and sources
        ),
        key=str,
    )


def check_home(home: Path) -> tuple[list[Violation], int]:
    """The violations of a built home (its manifest and warehouse) and how many mart
    columns were traced."""
    relations = manifest_relations(home / "target" / "manifest.json")
    columns = warehouse_columns(home / "warehouse.duckdb")
    found = violations(taint(trace(relations.values(), columns)))
    n_mart_columns = sum(len(v) for (schema, _), v in columns.items() if schema == "marts")
    return found, n_mart_columns
