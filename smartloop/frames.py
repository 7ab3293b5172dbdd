"""One door for a Python model's inputs: whatever the engine hands over becomes pandas."""

from __future__ import annotations

from typing import Any

import pandas as pd


def to_pandas(data: Any, columns: list[str] | None = None) -> pd.DataFrame:
    """A pandas DataFrame of a DuckDB relation, a Spark DataFrame or a pandas DataFrame;
    with ``columns``, of those columns only, chosen before the engine hands the rows over.

    >>> import duckdb
    >>> to_pandas(duckdb.sql("select 1 as one, 2 as two"), ["two"]).to_dict("records")
    [{'two': 2}]
    """
    if isinstance(data, pd.DataFrame):
        return data if columns is None else data[columns]
    if hasattr(data, "toPandas"):  # a Spark DataFrame (dbt-spark on Databricks)
        return (data if columns is None else data.select(*columns)).toPandas()
    if hasattr(data, "df"):  # a DuckDB relation
        return (data if columns is None else data.select(*columns)).df()
    raise TypeError(f"cannot read a {type(data).__name__} as a table.")


def previous_rows(session: Any, relation: Any, columns: list[str]) -> pd.DataFrame | None:
    """The ``columns`` of the rows a model's table held before this run (None when it does
    not exist yet)."""
    try:
        return to_pandas(session.sql(f"select {', '.join(columns)} from {relation}"))
    except Exception:  # the engines raise different errors for a missing table
        return None
