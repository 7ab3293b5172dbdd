"""How often does slice discovery cry wolf on this data? A permutation null for failing slices.

``null_calibration(home)`` takes a built home folder, shuffles which evaluated items are model
errors within each split (so no slice is worse than the rest except by chance: the same data,
the same slices, the same number of errors) and re-runs the slice models exactly as dbt
compiled them (from the build's manifest) on a private copy of the warehouse. The share of
shuffles in which any slice is reported failing estimates the chance of a false alarm; the
false-discovery control (Benjamini-Hochberg over every tested slice of the run) bounds it by
``fdr_q`` when the slices' tests are independent or positively dependent.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from smartloop import paths

#: The slice models downstream of the predictions, in dependency order.
SLICE_MODELS = (
    "int_slices_counted",
    "int_slice_ancestors",
    "int_slices_tested",
    "fct_slice_metrics",
)
PREDICTIONS_MODEL = "fct_predictions"
SIMULATED_ERROR = " (simulated error)"


class CalibrationError(RuntimeError):
    """The home folder has no complete build to calibrate."""


@dataclass(frozen=True)
class SliceRun:
    """What slice discovery reported on one set of errors."""

    n_tested: int
    failing: tuple[tuple[str, str], ...]  # (split, slice_name)
    min_q_value: float | None


@dataclass
class Calibration:
    observed: SliceRun
    null_runs: list[SliceRun] = field(default_factory=list)

    @property
    def false_alarm_share(self) -> float:
        """Share of null runs that report at least one failing slice."""
        return sum(1 for run in self.null_runs if run.failing) / len(self.null_runs)

    def summary(self) -> dict[str, object]:
        alarms = [run for run in self.null_runs if run.failing]
        return {
            "null_runs": len(self.null_runs),
            "null_runs_with_a_failing_slice": len(alarms),
            "false_alarm_share": self.false_alarm_share,
            "null_failing_slices_total": sum(len(run.failing) for run in self.null_runs),
            "slices_tested_per_run": self.observed.n_tested,
            "observed_failing_slices": len(self.observed.failing),
        }


def _model_nodes(home: Path) -> dict[str, dict]:
    manifest_file = home / "target" / "manifest.json"
    if not manifest_file.exists():
        raise CalibrationError(f"{manifest_file} does not exist: build {home} first.")
    nodes = json.loads(manifest_file.read_text(encoding="utf-8"))["nodes"]
    by_name = {node["name"]: node for node in nodes.values() if node["resource_type"] == "model"}
    wanted = (*SLICE_MODELS, PREDICTIONS_MODEL)
    missing = [name for name in wanted if not by_name.get(name, {}).get("compiled_code")]
    if missing:
        raise CalibrationError(
            f"the manifest in {manifest_file} has no compiled SQL for {', '.join(missing)}: "
            "run a complete build first."
        )
    return {name: by_name[name] for name in wanted}


def _drop(con: duckdb.DuckDBPyConnection, node: dict) -> None:
    """Drop the model's relation, whichever kind it is."""
    found = con.execute(
        "select table_type from information_schema.tables where table_schema = ? "
        "and table_name = ?",
        [node["schema"], node["alias"]],
    ).fetchone()
    if found:
        kind = "view" if found[0] == "VIEW" else "table"
        con.execute(f"drop {kind} {node['relation_name']}")


def _run_slices(con: duckdb.DuckDBPyConnection, nodes: dict[str, dict]) -> SliceRun:
    for name in SLICE_MODELS:
        node = nodes[name]
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        _drop(con, node)
        con.execute(f"create {kind} {node['relation_name']} as {node['compiled_code']}")
    metrics = nodes["fct_slice_metrics"]["relation_name"]
    (n_tested, min_q) = con.execute(
        f"select count(p_value), min(q_value) from {metrics}"
    ).fetchone()
    failing = con.execute(
        f"select split, slice_name from {metrics} where is_failing order by split, slice_name"
    ).fetchall()
    return SliceRun(int(n_tested), tuple(failing), min_q)


def null_calibration(
    home: Path, *, runs: int = 100, seed: int = 0, work_dir: Path | None = None
) -> Calibration:
    """Re-run slice discovery on ``runs`` within-split shuffles of the model's errors."""
    home = Path(home)
    nodes = _model_nodes(home)
    warehouse = paths.warehouse_path(home)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix="slice-calibration-") as scratch:
        copy = Path(scratch) / warehouse.name  # same file name: the catalog name dbt compiled
        shutil.copyfile(warehouse, copy)
        with duckdb.connect(str(copy)) as con:
            predictions = nodes[PREDICTIONS_MODEL]["relation_name"]
            observed_table = predictions.rsplit(".", 1)[0] + '."observed_predictions"'
            con.execute(f"create table {observed_table} as select * from {predictions}")
            observed = _run_slices(con, nodes)
            evaluated = con.execute(
                f"select item_id, split, predicted_label <> given_label from {observed_table} "
                "where is_trainable and given_label is not null order by split, item_id"
            ).fetchall()
            item_ids = [row[0] for row in evaluated]
            splits = np.array([row[1] for row in evaluated])
            is_error = np.array([bool(row[2]) for row in evaluated])
            rng = np.random.default_rng(seed)
            calibration = Calibration(observed)
            for _ in range(runs):
                shuffled = is_error.copy()
                for split in np.unique(splits):
                    where = np.flatnonzero(splits == split)
                    shuffled[where] = rng.permutation(is_error[where])
                simulated = pa.table(  # noqa: F841 - read by name in the query below
                    {"item_id": pa.array(item_ids), "is_error": pa.array(shuffled)}
                )
                _drop(con, nodes[PREDICTIONS_MODEL])
                con.execute(
                    f"create table {predictions} as select observed.* replace ("
                    "case when simulated.is_error then observed.given_label || "
                    f"'{SIMULATED_ERROR}' else observed.given_label end as predicted_label) "
                    f"from {observed_table} as observed "
                    "inner join simulated on observed.item_id = simulated.item_id"
                )
                calibration.null_runs.append(_run_slices(con, nodes))
    return calibration
