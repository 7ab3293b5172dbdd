"""Metrics of a custom slice: a user's predicate over ``dim_items``, measured like the slices
of ``fct_slice_metrics`` so that the two can be compared.

The predicate is validated first (``smartloop.predicate``). It then runs on a sandboxed
connection: an in-memory DuckDB that attaches the serving file read-only, switches off every
file system and network access and locks its configuration, so even a validator bug cannot
read a file, attach a database or load an extension. (DuckDB 2.0.1 also accepts
``enable_external_access=false`` in the connect config of a read-only file, but then any
other connection to the same file in the process, such as the app's own read-only queries,
fails with "different configuration"; an in-memory instance has no such conflict.)

Evaluated items are those of ``int_slices_counted``: scored in ``fct_predictions``,
trainable, with a given label; an error is ``predicted_label <> given_label``. The interval
is Wilson's 95% score interval and the test the one-sided Fisher exact test of
``int_slices_tested`` (the hypergeometric upper tail; scipy's, with the z statistic beside it
for reading).
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
from scipy.stats import hypergeom

from smartloop.paths import serving_path
from smartloop.predicate import PredicateError, validate_predicate

SPLITS = ("train", "validation", "test")
ALL_SPLITS = "all"
Z_95 = 1.959963984540054  #: the two-sided 95% normal quantile (macro wilson_bound's default)
SERVING_ALIAS = "serving"


class SliceError(Exception):
    """The slice cannot be measured (no serving file, no item selected); one sentence."""


def sandboxed_connection(serving_file: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with ``serving_file`` attached read-only as its default database,
    external access switched off and the configuration locked."""
    con = duckdb.connect(
        ":memory:",
        config={"autoload_known_extensions": False, "autoinstall_known_extensions": False},
    )
    try:
        con.execute(f"attach ? as {SERVING_ALIAS} (read_only)", [str(serving_file)])
        con.execute(f"use {SERVING_ALIAS}")
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def dim_items_columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Column name -> DuckDB type of the serving file's dim_items, in table order."""
    rows = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = 'main' and table_name = 'dim_items' "
        "order by column_index",
        [SERVING_ALIAS],
    ).fetchall()
    return dict(rows)


def _open_validated(home: Path, predicate: str) -> tuple[duckdb.DuckDBPyConnection, str]:
    """The sandboxed connection to the home's serving file and the validated predicate.

    Raises SliceError when there is no serving file or no dim_items, PredicateError when the
    predicate is rejected; the connection is closed unless it is returned."""
    serving_file = serving_path(home)
    if not serving_file.is_file():
        raise SliceError(
            f"no serving file in {home} yet: run `smartloop build --home {home}` first."
        )
    try:
        con = sandboxed_connection(serving_file)
    except duckdb.Error as exc:
        raise SliceError(f"cannot open {serving_file}: {_first_line(exc)}") from exc
    try:
        columns = dim_items_columns(con)
        if not columns:
            raise SliceError(
                f"{serving_file} has no dim_items table; rebuild it with `smartloop build`."
            )
        return con, validate_predicate(predicate, columns)
    except BaseException:
        con.close()
        raise


def slice_metrics(home: Path, predicate: str) -> list[dict]:
    """One row per split (train, validation, test, then 'all') of the items of ``dim_items``
    the predicate selects: evaluated items, errors, error rate with its Wilson interval, the
    rest of the split, the difference and the one-sided p-value.

    Raises PredicateError when the predicate is rejected (by the validator, or by DuckDB
    when it runs) and SliceError when there is nothing to measure.
    """
    con, safe_predicate = _open_validated(home, predicate)
    with con:
        matched, evaluated = _count(con, safe_predicate)
    if not matched:
        raise SliceError(f"the predicate {safe_predicate} selects no item of dim_items.")
    rows = []
    for split in (*SPLITS, ALL_SPLITS):
        if split == ALL_SPLITS:
            n_matched = sum(matched.values())
            counts = [sum(values) for values in zip(*evaluated.values(), strict=True)]
            n_items, n_errors, n_split_items, n_split_errors = counts or (0, 0, 0, 0)
        else:
            n_matched = matched.get(split, 0)
            n_items, n_errors, n_split_items, n_split_errors = evaluated.get(split, (0, 0, 0, 0))
        rows.append(
            {
                "predicate": safe_predicate,
                "split": split,
                "n_matched_items": n_matched,
                **compare_with_rest(n_items, n_errors, n_split_items, n_split_errors),
            }
        )
    return rows


def slice_examples(home: Path, predicate: str, limit: int = 200) -> list[dict]:
    """Up to ``limit`` items of ``dim_items`` the predicate selects, errors first: item_id,
    split, text, given and predicted label, whether the model errs. Validated and run on the
    sandboxed connection like :func:`slice_metrics`."""
    con, safe_predicate = _open_validated(home, predicate)
    with con:
        sql = f"""
            select
                slice_items.item_id,
                slice_items.split,
                slice_items.text,
                predictions.given_label,
                predictions.predicted_label,
                predictions.predicted_label <> predictions.given_label as is_error
            from (select * from dim_items where ({safe_predicate})) as slice_items
            left join fct_predictions as predictions
                on slice_items.item_id = predictions.item_id
            order by is_error desc nulls last, slice_items.split, slice_items.item_id
            limit {int(limit)}
        """
        try:
            cursor = con.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except duckdb.Error as exc:
            raise PredicateError(
                f"the predicate cannot be evaluated on dim_items: {_first_line(exc)}"
            ) from exc


def _count(
    con: duckdb.DuckDBPyConnection, safe_predicate: str
) -> tuple[dict[str, int], dict[str, tuple[int, int, int, int]]]:
    """Items of dim_items the predicate selects per split, and per split the evaluated items
    in the slice, their errors, and the evaluated items and errors of the whole split."""
    matched_sql = f"""
        select split, count(*) as n_matched_items
        from dim_items
        where ({safe_predicate})
        group by split
    """
    evaluated_sql = f"""
        with

        slice_items as (

            select item_id
            from dim_items
            where ({safe_predicate})

        ),

        evaluated_items as (

            -- as in int_slices_counted: scored, trainable, with a given label
            select
                predictions.split,
                predictions.predicted_label <> predictions.given_label as is_error,
                slice_items.item_id is not null as is_in_slice
            from fct_predictions as predictions
            left join slice_items
                on predictions.item_id = slice_items.item_id
            where predictions.is_trainable and predictions.given_label is not null

        )

        select
            split,
            count(case when is_in_slice then 1 end) as n_items,
            count(case when is_in_slice and is_error then 1 end) as n_errors,
            count(*) as n_split_items,
            count(case when is_error then 1 end) as n_split_errors
        from evaluated_items
        group by split
    """
    for sql in (matched_sql, evaluated_sql):
        if len(duckdb.extract_statements(sql)) != 1:  # defence in depth: one statement only
            raise PredicateError("only one expression is allowed")
    try:
        matched = dict(con.execute(matched_sql).fetchall())
        evaluated = {row[0]: tuple(row[1:]) for row in con.execute(evaluated_sql).fetchall()}
    except duckdb.PermissionException as exc:
        raise PredicateError(
            "the predicate tried to reach a file, the network or a setting, which is not allowed"
        ) from exc
    except duckdb.Error as exc:
        raise PredicateError(
            f"the predicate cannot be evaluated on dim_items: {_first_line(exc)}"
        ) from exc
    return matched, evaluated


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def wilson_interval(n_errors: int, n_items: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval of n_errors / n_items, clamped like macro wilson_bound.

    >>> [round(bound, 4) for bound in wilson_interval(41, 638)]
    [0.0477, 0.086]
    >>> wilson_interval(0, 0) is None
    True
    """
    if n_items <= 0:
        return None
    p = n_errors / n_items
    centre = p + z * z / (2 * n_items)
    spread = z * math.sqrt(p * (1 - p) / n_items + z * z / (4 * n_items * n_items))
    scale = 1 + z * z / n_items
    lower = max(0.0, min(p, (centre - spread) / scale))
    upper = min(1.0, max(p, (centre + spread) / scale))
    return lower, upper


def compare_with_rest(
    n_items: int, n_errors: int, n_split_items: int, n_split_errors: int
) -> dict[str, float | int | None]:
    """The slice against the rest of its split, as int_slices_tested computes it.

    The p-value is the one-sided Fisher exact P(X >= n_errors) for "the slice has more errors
    than the rest", X hypergeometric (the split's items and errors, the slice's size drawn);
    None without a rest. z_score is the two-proportion z with the pooled standard error.

    >>> result = compare_with_rest(638, 41, 1322, 55)
    >>> result["n_rest_items"], result["n_rest_errors"], f"{result['p_value']:.3e}"
    (684, 14, '4.698e-05')
    """
    n_rest_items = n_split_items - n_items
    n_rest_errors = n_split_errors - n_errors
    error_rate = n_errors / n_items if n_items else None
    rest_error_rate = n_rest_errors / n_rest_items if n_rest_items else None
    interval = wilson_interval(n_errors, n_items)
    difference = z_score = p_value = None
    if error_rate is not None and rest_error_rate is not None:
        difference = error_rate - rest_error_rate
        pooled = n_split_errors / n_split_items
        standard_error = math.sqrt(pooled * (1 - pooled) * (1 / n_items + 1 / n_rest_items))
        if standard_error > 0:
            z_score = difference / standard_error
        tail = hypergeom.sf(n_errors - 1, n_split_items, n_split_errors, n_items)
        p_value = min(1.0, float(tail))
    return {
        "n_items": n_items,
        "n_errors": n_errors,
        "error_rate": error_rate,
        "wilson_lower": interval[0] if interval else None,
        "wilson_upper": interval[1] if interval else None,
        "n_rest_items": n_rest_items,
        "n_rest_errors": n_rest_errors,
        "rest_error_rate": rest_error_rate,
        "error_rate_difference": difference,
        "z_score": z_score,
        "p_value": p_value,
    }


def format_table(rows: list[dict]) -> str:
    """The metrics as a plain-text table, one line per split."""
    header = (
        "split",
        "matched",
        "items",
        "errors",
        "error rate",
        "95% interval",
        "rest items",
        "rest rate",
        "difference",
        "p-value",
    )
    lines = [header]
    for row in rows:
        interval = (
            f"[{_percent(row['wilson_lower'])}, {_percent(row['wilson_upper'])}]"
            if row["wilson_lower"] is not None
            else "-"
        )
        lines.append(
            (
                row["split"],
                f"{row['n_matched_items']:,}",
                f"{row['n_items']:,}",
                f"{row['n_errors']:,}",
                _percent(row["error_rate"]),
                interval,
                f"{row['n_rest_items']:,}",
                _percent(row["rest_error_rate"]),
                _percent(row["error_rate_difference"], signed=True),
                "-" if row["p_value"] is None else f"{row['p_value']:.2g}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    )


def _percent(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.1%}" if signed else f"{value:.1%}"
