"""``smartloop bench``: the whole build on synthetic data of several sizes, measured the same way.

For each size: generate landing data with planted problems (:mod:`smartloop.synth`), run
``smartloop build`` into a fresh home, then read dbt's run_results.json for the time of
every stage, the peak resident memory of the dbt process, the serving file's size and
quality figures against the planted truth. Results go to ``bench/results.json`` and
``bench/results.md``.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import resource
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from smartloop import paths
from smartloop.build import build
from smartloop.slice_calibration import null_calibration
from smartloop.synth import FLIP_SLICE_NAME, generate

# Stages by the models they hold; a node belongs to the first stage whose prefix it has.
STAGES: dict[str, tuple[str, ...]] = {
    "landing and staging": ("model.smartloop.stg_", "seed."),
    "validation": ("model.smartloop.int_items_validated", "model.smartloop.int_annotations_",
                   "model.smartloop.int_reviews_", "model.smartloop.int_deletions_",
                   "model.smartloop.int_labels_", "model.smartloop.int_items_accepted"),
    "redaction": ("model.smartloop.int_items_redacted", "model.smartloop.int_quarantine_redacted"),
    "near duplicates": ("model.smartloop.int_item_shingles", "model.smartloop.int_item_minhash",
                        "model.smartloop.int_item_band", "model.smartloop.int_near_",
                        "model.smartloop.fct_duplicate_pairs",
                        "model.smartloop.int_duplicate_clusters"),
    "training": ("model.smartloop.fct_prediction_probabilities",),
    "label issues": ("model.smartloop.fct_label_issues", "model.smartloop.int_label_issue"),
    "slices": ("model.smartloop.int_item_slice_values", "model.smartloop.int_slice",
               "model.smartloop.fct_slice_metrics", "model.smartloop.rpt_failing_slices",
               "model.smartloop.rpt_label_leaks"),
    "marts": ("model.smartloop.",),
    "tests": ("test.", "unit_test."),
}  # fmt: skip


def stage_of(unique_id: str) -> str:
    """The stage a dbt node belongs to.

    >>> stage_of("model.smartloop.int_items_redacted")
    'redaction'
    >>> stage_of("test.smartloop.unique_dim_items_item_id.1")
    'tests'
    """
    for stage, prefixes in STAGES.items():
        if unique_id.startswith(prefixes):
            return stage
    return "other"


def stage_times(run_results: Path) -> dict[str, float]:
    """Seconds per stage, summed over the nodes of the stage (threads may overlap them)."""
    results = json.loads(run_results.read_text())["results"]
    times: dict[str, float] = {}
    for result in results:
        stage = stage_of(result["unique_id"])
        times[stage] = times.get(stage, 0.0) + float(result.get("execution_time") or 0.0)
    return times


NEAR_THRESHOLD = 0.8
SHINGLE_SIZE = 5


def shingle_jaccard(a: str | None, b: str | None, size: int = SHINGLE_SIZE) -> float:
    """Jaccard similarity of the character shingles of two text keys (as the SQL shingles them).

    >>> round(shingle_jaccard("hello world again", "hello world agains"), 2)
    0.93
    """
    if not a or not b:
        return 0.0

    def grams(text: str) -> set[str]:
        text = text[:1000]
        return {text[i : i + size] for i in range(max(1, len(text) - size + 1))}

    first, second = grams(a), grams(b)
    return len(first & second) / len(first | second)


def _read_pairs(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [tuple(row) for row in list(csv.reader(fh))[1:]]  # type: ignore[misc]


def quality(home: Path, truth: Path) -> dict[str, Any]:
    """Planted problems found: PII recall, near-duplicate recall (same cluster)."""
    figures: dict[str, Any] = {}
    planted_pii = _read_pairs(truth / "pii.csv")
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        found = {
            (item, kind)
            for item, kind in con.execute(
                "select item_id, pii_type from fct_pii_redactions where column_name = 'text'"
            ).fetchall()
        }
        figures["pii_planted"] = len(planted_pii)
        figures["pii_recall"] = (
            sum(1 for row in planted_pii if row in found) / len(planted_pii)
            if planted_pii
            else None
        )
        columns = {row[0] for row in con.execute("describe dim_items").fetchall()}
        if "cluster_id" in columns:
            rows = con.execute("select item_id, cluster_id, text_key from dim_items").fetchall()
            cluster = {item: cluster_id for item, cluster_id, _ in rows}
            keys = {item: key for item, _, key in rows}
            near = [(a, b) for a, b, *_ in _read_pairs(truth / "near_duplicates.csv") if a in keys]
            # Only copies still similar enough after the edit are near duplicates to find.
            findable = [
                (a, b) for a, b in near if shingle_jaccard(keys[a], keys[b]) >= NEAR_THRESHOLD
            ]
            same = sum(1 for a, b in findable if cluster.get(a) == cluster.get(b))
            figures["near_duplicates_planted"] = len(near)
            figures["near_duplicates_findable"] = len(findable)
            figures["near_duplicate_recall"] = same / len(findable) if findable else None
    return figures


def label_issue_quality(home: Path, truth: Path) -> dict[str, Any]:
    """Precision and recall of the flagged items against the wrong labels, for smartloop's
    SQL and, when cleanlab is installed, for cleanlab's find_label_issues on the same
    predicted probabilities.

    The wrong labels are the planted label flips and, when the synthetic crowd labelled
    part of the items (``truth/crowd.csv``), the crowd items whose consensus label differs
    from the true one: those are label errors as real as a flip."""
    flips_file = truth / "label_flips.csv"
    if not flips_file.is_file():
        return {}
    with open(flips_file, encoding="utf-8", newline="") as fh:
        flips = {row["item_id"] for row in csv.DictReader(fh)}
    crowd_file = truth / "crowd.csv"
    crowd: dict[str, str] = {}
    if crowd_file.is_file():
        with open(crowd_file, encoding="utf-8", newline="") as fh:
            crowd = {row["item_id"]: row["true_label"] for row in csv.DictReader(fh)}
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        tables = {
            row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()
        }
        if "fct_label_issues" not in tables:
            return {}
        consensus = dict(con.execute("select item_id, label from fct_item_labels").fetchall())
        flagged = {row[0] for row in con.execute("select item_id from fct_label_issues").fetchall()}
        rows = con.execute(
            "select p.item_id, p.label, p.probability, i.given_label "
            "from fct_prediction_probabilities as p "
            "join fct_predictions as i using (item_id) "
            "where i.given_label is not null and i.is_trainable order by p.item_id, p.label"
        ).fetchall()
    crowd_labelled = [item for item in crowd if item in consensus]
    crowd_wrong = {item for item in crowd_labelled if consensus[item] != crowd[item]}
    planted_scored = (flips | crowd_wrong) & {row[0] for row in rows}
    figures: dict[str, Any] = {
        "label_flips_planted": len(flips),
        "crowd_items": len(crowd),
        "crowd_consensus_accuracy": (
            1 - len(crowd_wrong) / len(crowd_labelled) if crowd_labelled else None
        ),
        "crowd_consensus_errors": len(crowd_wrong),
        **_precision_recall("label_issue", flagged, planted_scored),
    }
    try:
        from cleanlab.filter import find_label_issues
    except ImportError:
        return figures
    import numpy as np

    items = sorted({row[0] for row in rows})
    classes = sorted({row[1] for row in rows})
    index = {item: i for i, item in enumerate(items)}
    column = {label: k for k, label in enumerate(classes)}
    probs = np.zeros((len(items), len(classes)))
    given = np.zeros(len(items), dtype=int)
    for item, label, probability, given_label in rows:
        probs[index[item], column[label]] = probability
        given[index[item]] = column[given_label]
    probs /= probs.sum(axis=1, keepdims=True)
    started = time.perf_counter()
    mask = find_label_issues(given, probs, n_jobs=1)
    figures["cleanlab_seconds"] = round(time.perf_counter() - started, 2)
    cleanlab_flagged = {items[i] for i in np.flatnonzero(mask)}
    figures.update(_precision_recall("cleanlab_label_issue", cleanlab_flagged, planted_scored))
    return figures


def slice_quality(home: Path, *, null_runs: int) -> dict[str, Any]:
    """Where the planted failing slice ranks in each split, how many slices fail, and how
    often shuffled errors (the null) make any slice fail (smartloop.slice_calibration)."""
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        ranks = dict(
            con.execute(
                "select split, slice_rank from rpt_failing_slices where slice_name = ?",
                [FLIP_SLICE_NAME],
            ).fetchall()
        )
        (n_failing,) = con.execute("select count(*) from rpt_failing_slices").fetchone()
    started = time.perf_counter()
    calibration = null_calibration(home, runs=null_runs)
    seconds = time.perf_counter() - started
    return {
        "planted_slice_rank": {
            split: ranks.get(split) for split in ("train", "validation", "test")
        },
        "failing_slices": n_failing,
        "slices_tested": calibration.observed.n_tested,
        "null_runs": null_runs,
        "null_false_alarm_share": calibration.false_alarm_share,
        "null_seconds_per_run": round(seconds / (null_runs + 1), 2),
    }


def _precision_recall(prefix: str, flagged: set[str], planted: set[str]) -> dict[str, Any]:
    hits = len(flagged & planted)
    return {
        f"{prefix}_flagged": len(flagged),
        f"{prefix}_precision": hits / len(flagged) if flagged else None,
        f"{prefix}_recall": hits / len(planted) if planted else None,
    }


def _peak_rss_mb() -> float:
    """Peak resident memory of the largest child process so far (the dbt build), in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run(
    sizes: list[int],
    *,
    seed: int = 7,
    work_dir: Path,
    out_dir: Path,
    echo: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Benchmark each size and write results.json and results.md to ``out_dir``."""
    rows = []
    for size in sizes:
        landing = work_dir / f"landing_{size}"
        home = work_dir / f"home_{size}"
        shutil.rmtree(landing, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
        started = time.perf_counter()
        summary = generate(size, seed, landing)
        synth_seconds = time.perf_counter() - started
        echo(f"Generated {size:,} items in {synth_seconds:.1f}s; building...")
        started = time.perf_counter()
        build(landing, home, echo=lambda _line: None)
        build_seconds = time.perf_counter() - started
        stages = stage_times(home / "target" / "run_results.json")
        row = {
            "n_items": size,
            "synth_seconds": round(synth_seconds, 2),
            "build_seconds": round(build_seconds, 2),
            "items_per_second": round(size / build_seconds),
            "peak_rss_mb": round(_peak_rss_mb()),
            "serving_mb": round(paths.serving_path(home).stat().st_size / 2**20, 1),
            "stage_seconds": {k: round(v, 2) for k, v in stages.items()},
            "stage_items_per_second": {
                k: round(size / v) for k, v in stages.items() if v > 0 and k != "tests"
            },
            "planted": summary.__dict__ | {"out_dir": str(summary.out_dir)},
            **quality(home, landing / "truth"),
            **label_issue_quality(home, landing / "truth"),
            **slice_quality(home, null_runs=100 if size <= 100_000 else 20),
        }
        echo(
            f"{size:,} items: build {build_seconds:.1f}s ({row['items_per_second']:,} items/s), "
            f"peak RSS {row['peak_rss_mb']:,} MB"
        )
        rows.append(row)
    write(rows, out_dir)
    return rows


def machine() -> str:
    """One line describing the machine the figures come from."""
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {mem_gb:.0f} GiB RAM, "
        f"Python {platform.python_version()}"
    )


def write(rows: list[dict[str, Any]], out_dir: Path) -> None:
    """results.json (everything) and results.md (a table a reader can scan)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    payload = {"machine": machine(), "measured_at": stamp, "runs": rows}
    (out_dir / "results.json").write_text(json.dumps(payload, indent=2))
    stages = [s for s in STAGES if s != "tests"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {stamp} on {machine()} with `smartloop bench`.",
        "",
        "| items | build s | items/s | peak RSS MB | serving MB | "
        + " | ".join(f"{s} s" for s in stages)
        + " | tests s | PII recall | near-dup recall (findable pairs) "
        + "| label issues P / R | cleanlab P / R | planted slice rank (train / val / test) "
        + "| failing slices | null false alarms |",
        "|---" * (13 + len(stages)) + "|",
    ]
    for row in rows:
        cells = [f"{row['stage_seconds'].get(s, 0):.1f}" for s in stages]

        def fmt(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.3f}"

        lines.append(
            f"| {row['n_items']:,} | {row['build_seconds']:.1f} | {row['items_per_second']:,} | "
            f"{row['peak_rss_mb']:,} | {row['serving_mb']} | "
            + " | ".join(cells)
            + f" | {row['stage_seconds'].get('tests', 0):.1f} | {fmt(row.get('pii_recall'))} | "
            f"{fmt(row.get('near_duplicate_recall'))} "
            f"({row.get('near_duplicates_findable', 0):,}) | "
            f"{fmt(row.get('label_issue_precision'))} / {fmt(row.get('label_issue_recall'))} | "
            f"{fmt(row.get('cleanlab_label_issue_precision'))} / "
            f"{fmt(row.get('cleanlab_label_issue_recall'))} | "
            + " / ".join(str(rank) for rank in row.get("planted_slice_rank", {}).values())
            + f" | {row.get('failing_slices')} of {row.get('slices_tested')} | "
            f"{row.get('null_false_alarm_share')} of {row.get('null_runs')} runs |"
        )
    lines += [
        "",
        "Stage seconds are the summed execution times of the stage's dbt nodes (two threads",
        "may run nodes side by side, so stages can add up to more than the build). Peak RSS is",
        "the dbt process's. Near-duplicate recall counts the planted edited copies whose",
        "character 5-gram Jaccard similarity to their original is still at least 0.8.",
        "Label issues: precision and recall of fct_label_issues against the wrong labels: the",
        "planted flips (1% uniform, 15% of one 2-way slice) and the crowd-labelled items whose",
        "consensus is wrong; cleanlab: its find_label_issues defaults",
        "on the same out-of-sample probabilities. Planted slice rank: that slice's rank in",
        "rpt_failing_slices per split (None: not failing). Null false alarms: the share of",
        "runs with the errors shuffled within each split (slice_calibration) in which any",
        "slice fails.",
    ]
    (out_dir / "results.md").write_text("\n".join(lines) + "\n")
