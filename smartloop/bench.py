"""``smartloop bench``: the whole build on synthetic data of several sizes, measured the same way.

For each size: generate landing data with planted problems (:mod:`smartloop.synth`), run
``smartloop build`` into a fresh home in a child process, then read dbt's run_results.json
for the time of every stage, the child's peak resident memory (``os.wait4``), the serving
file's size and quality figures against the planted truth. Then, optionally, cleanlab's
Datalab on the same features and predicted probabilities (:mod:`smartloop.bench_datalab`,
also a child process), and last an incremental build after adding a 1% batch. Results go
to ``bench/results.json`` and ``bench/results.md``.
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq

from smartloop import paths, training
from smartloop.build import BuildError
from smartloop.clusters import connected_components
from smartloop.settings import project_defaults
from smartloop.slice_calibration import null_calibration
from smartloop.synth import FLIP_SLICE_NAME, generate

# Stages by the models they hold; a node belongs to the first stage whose prefix it has.
STAGES: dict[str, tuple[str, ...]] = {
    "landing and staging": ("model.smartloop.stg_", "seed."),
    "validation": ("model.smartloop.int_items_validated", "model.smartloop.int_annotations_",
                   "model.smartloop.int_reviews_", "model.smartloop.int_deletions_",
                   "model.smartloop.int_labels_", "model.smartloop.int_items_accepted"),
    "redaction": ("model.smartloop.int_items_redacted", "model.smartloop.int_quarantine_redacted",
                  "model.smartloop.int_item_values", "model.smartloop.int_text_redactions"),
    "near duplicates": ("model.smartloop.int_item_text_keys", "model.smartloop.int_item_shingles",
                        "model.smartloop.int_item_minhash", "model.smartloop.int_text_key_",
                        "model.smartloop.int_item_candidate_",
                        "model.smartloop.int_item_pairs_matched",
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
# The stages doing the work Datalab's label and near_duplicate checks do.
COMPARED_STAGES = ("near duplicates", "label issues", "training")
SPLITS = ("train", "validation", "test")

# Targets from the project's issue 8.
TARGET_SECONDS_AT_1M = 300
TARGET_RSS_MB_AT_1M = 8 * 1024
TARGET_NON_TRAINING_SHARE = 0.5  # of the training time, at 1M
TARGET_INCREMENT_SHARE = 0.15  # of a full build, for a 1% batch
TARGET_SPEEDUP = 5.0  # over Datalab at 100k
DATALAB_MAX_ITEMS = 100_000
SVD_DIMENSIONS = 100
INCREMENT_SHARE = 0.01
MAX_CHECKED_PAIRS = 50_000
CRITICAL_STEP_SECONDS = 2.0  # shorter steps of a critical path are summed in one line


class BenchError(RuntimeError):
    """A benchmark that cannot run; the message is one sentence."""


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


def _node_span(result: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    """When a node of run_results.json started (compiling) and finished (executing)."""
    steps = {step["name"]: step for step in result.get("timing") or []}
    first, last = steps.get("compile") or steps.get("execute"), steps.get("execute")
    if not first or not last or not first.get("started_at") or not last.get("completed_at"):
        return None
    return (
        datetime.fromisoformat(first["started_at"].replace("Z", "+00:00")),
        datetime.fromisoformat(last["completed_at"].replace("Z", "+00:00")),
    )


def critical_path(target_dir: Path, cpu_samples: Sequence[CpuSample] = ()) -> list[dict[str, Any]]:
    """The chain of dbt nodes the build waited for, first to last, from dbt's target folder
    (run_results.json and manifest.json): starting at the node that finished last, each
    step goes back to whichever of the node's prerequisites finished last. Under `dbt
    build` a node waits for its parents and for the data tests on them.

    Each step has the node, its seconds (start of compiling to end of executing) and the
    seconds it waited after that prerequisite finished (dbt's scheduling; a thread busy
    with another node); given the build's CPU samples (``run_measured``), also the cores
    the whole build kept busy while the node ran (None for a node too short to tell)."""
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    manifest = json.loads((target_dir / "manifest.json").read_text())
    parents, children = manifest.get("parent_map", {}), manifest.get("child_map", {})
    names = {uid: node.get("name", uid) for uid, node in manifest.get("nodes", {}).items()}
    spans = {r["unique_id"]: span for r in results if (span := _node_span(r))}
    if not spans:
        return []

    def prerequisites(node: str) -> set[str]:
        direct = set(parents.get(node, ()))
        tests = {
            child
            for parent in direct
            for child in children.get(parent, ())
            if child.startswith("test.") and child != node and node not in parents.get(child, ())
        }
        return {p for p in direct | tests if p in spans and spans[p][1] <= spans[node][0]}

    chain = [max(spans, key=lambda node: (spans[node][1], node))]
    while before := prerequisites(chain[-1]):
        chain.append(max(before, key=lambda node: (spans[node][1], node)))
    chain.reverse()
    steps = []
    for i, node in enumerate(chain):
        started, finished = spans[node]
        waited = (started - spans[chain[i - 1]][1]).total_seconds() if i else 0.0
        cores = busy_cores(cpu_samples, started.timestamp(), finished.timestamp())
        steps.append(
            {
                "node": names.get(node, node.split(".")[-1]),
                "seconds": round((finished - started).total_seconds(), 2),
                "waited_seconds": round(waited, 2),
                "cores": None if cores is None else round(cores, 2),
            }
        )
    return steps


def _whole_run_cores(measured: Measured) -> float | None:
    """The cores a measured run kept busy on average, from its first CPU sample to its last."""
    samples = measured.cpu_samples
    cores = busy_cores(samples, samples[0].at, samples[-1].at) if samples else None
    return None if cores is None else round(cores, 2)


def busy_cores(samples: Sequence[CpuSample], start: float, end: float) -> float | None:
    """CPU seconds the sampled processes used from ``start`` to ``end`` (epoch seconds),
    per second: 2.0 is two cores kept busy. Cumulative CPU is interpolated between samples;
    None when fewer than two samples fall in the span (too short to tell)."""
    if len([s for s in samples if start <= s.at <= end]) < 2 or end <= start:
        return None

    def cpu_at(moment: float) -> float:
        before = max((s for s in samples if s.at <= moment), key=lambda s: s.at, default=None)
        after = min((s for s in samples if s.at >= moment), key=lambda s: s.at, default=None)
        if before is None or after is None or after.at == before.at:
            return (before or after).cpu_seconds  # type: ignore[union-attr]
        share = (moment - before.at) / (after.at - before.at)
        return before.cpu_seconds + share * (after.cpu_seconds - before.cpu_seconds)

    return (cpu_at(end) - cpu_at(start)) / (end - start)


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


Pair = tuple[str, str]


def _read_pairs(path: Path) -> list[Pair]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [(row[0], row[1]) for row in list(csv.reader(fh))[1:]]


def planted_duplicates(
    truth: Path, keys: Mapping[str, str | None]
) -> tuple[list[Pair], list[Pair]]:
    """Every planted copy pair (original, copy) among the items of ``keys``, and the ones a
    finder should find: exact copies, and edited copies whose character 5-gram Jaccard
    similarity to their original is still at least the 0.8 threshold."""
    near = [
        (a, b) for a, b in _read_pairs(truth / "near_duplicates.csv") if a in keys and b in keys
    ]
    exact = [
        (a, b) for a, b in _read_pairs(truth / "exact_duplicates.csv") if a in keys and b in keys
    ]
    findable = [(a, b) for a, b in near if shingle_jaccard(keys[a], keys[b]) >= NEAR_THRESHOLD]
    return near + exact, findable + exact


def pair_recall(group_of: Mapping[str, object], pairs: Sequence[Pair]) -> float | None:
    """The share of ``pairs`` whose two items are in the same group (``None``: no pairs).

    >>> pair_recall({"a": 1, "b": 1, "c": 2}, [("a", "b"), ("a", "c")])
    0.5
    """
    if not pairs:
        return None
    return sum(1 for a, b in pairs if group_of[a] == group_of[b]) / len(pairs)


def _families(planted: Sequence[Pair]) -> dict[str, int]:
    """Each item of a planted pair -> its family: the original and all its copies."""
    items = sorted({item for pair in planted for item in pair})
    index = {item: i for i, item in enumerate(items)}
    roots = connected_components(len(items), [(index[a], index[b]) for a, b in planted])
    return {item: int(roots[i]) for item, i in index.items()}


def pair_precision(
    group_of: Mapping[str, object],
    keys: Mapping[str, str | None],
    planted: Sequence[Pair],
    *,
    max_pairs: int = MAX_CHECKED_PAIRS,
    seed: int = 0,
) -> dict[str, Any]:
    """The share of the pairs a finder put in one group that are duplicates.

    A pair is right when both items descend from the same planted original (``planted``
    joined transitively), or when their text keys are at least 0.8 similar (character
    5-gram Jaccard; identical texts of independently generated items count). When the
    groups hold more than ``max_pairs`` pairs, a seeded uniform sample of that many pairs
    is checked instead of all of them.

    >>> pair_precision({"a": 1, "b": 1, "c": 1}, {"a": "x", "b": "y", "c": "z"}, [("a", "b")])
    {'pairs_found': 3, 'pairs_checked': 3, 'precision': 0.3333333333333333}
    """
    members: dict[object, list[str]] = {}
    for item, group in group_of.items():
        members.setdefault(group, []).append(item)
    groups = sorted(sorted(items) for items in members.values() if len(items) > 1)
    total, pairs = _block_pairs([(items, None) for items in groups], max_pairs, seed)
    if total == 0:
        return {"pairs_found": 0, "pairs_checked": 0, "precision": None}
    right = _right_pair(keys, planted)
    hits = sum(1 for a, b in pairs if right(a, b))
    return {"pairs_found": total, "pairs_checked": len(pairs), "precision": hits / len(pairs)}


Block = tuple[list[str], list[str] | None]


def _block_pairs(blocks: Sequence[Block], max_pairs: int, seed: int) -> tuple[int, list[Pair]]:
    """How many pairs ``blocks`` hold, and those pairs: every one, or a seeded uniform sample
    of ``max_pairs`` when there are more. A block (a, None) holds the pairs of members of a,
    a block (a, b) the pairs of a member of a and a member of b.

    >>> _block_pairs([(["a", "b", "c"], None), (["a"], ["d", "e"])], 10, 0)
    (5, [('a', 'b'), ('a', 'c'), ('b', 'c'), ('a', 'd'), ('a', 'e')])
    """
    sizes = np.array(
        [len(a) * (len(a) - 1) // 2 if b is None else len(a) * len(b) for a, b in blocks],
        dtype=np.int64,
    )
    total = int(sizes.sum())
    if total <= max_pairs:
        pairs = [
            pair
            for a, b in blocks
            for pair in (itertools.combinations(a, 2) if b is None else itertools.product(a, b))
        ]
        return total, pairs
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(blocks), size=max_pairs, p=sizes / total).tolist()
    first_sizes = np.array([len(blocks[k][0]) for k in picked], dtype=np.int64)
    second_sizes = np.array(
        [len(b) if b is not None else len(a) - 1 for a, b in (blocks[k] for k in picked)],
        dtype=np.int64,
    )
    first = rng.integers(0, first_sizes).tolist()
    second = rng.integers(0, second_sizes).tolist()
    pairs = []
    for k, i, j in zip(picked, first, second, strict=True):
        a, b = blocks[k]
        if b is None:
            pairs.append((a[i], a[j + (j >= i)]))  # a second member, different from the first
        else:
            pairs.append((a[i], b[j]))
    return total, pairs


def _right_pair(
    keys: Mapping[str, str | None], planted: Sequence[Pair]
) -> Callable[[str, str], bool]:
    """Whether two items are duplicates: both descend from the same planted original, or
    their text keys are identical or at least 0.8 similar."""
    family = _families(planted)
    similar: dict[tuple[str, ...], bool] = {}

    def right(a: str, b: str) -> bool:
        if a in family and family[a] == family.get(b):
            return True
        key = tuple(sorted((keys.get(a) or "", keys.get(b) or "")))
        if key not in similar:
            similar[key] = key[0] == key[1] != "" or shingle_jaccard(*key) >= NEAR_THRESHOLD
        return similar[key]

    return right


def text_units(keys: Mapping[str, str | None]) -> dict[str, object]:
    """smartloop's exact-duplicate units: items with the same text key share one (an item
    without a text key is a unit of its own).

    >>> text_units({"a": "x", "b": "x", "c": None})
    {'a': 'key:x', 'b': 'key:x', 'c': 'item:c'}
    """
    return {item: f"key:{key}" if key else f"item:{item}" for item, key in keys.items()}


def linked_pair_quality(
    prefix: str,
    units: Mapping[str, object],
    links: Iterable[Pair],
    keys: Mapping[str, str | None],
    planted: Sequence[Pair],
    findable: Sequence[Pair],
    *,
    max_pairs: int = MAX_CHECKED_PAIRS,
    seed: int = 0,
) -> dict[str, Any]:
    """Precision and recall of the duplicate pairs a finder asserts, not of its groups.

    A finder asserts two items are duplicates when they share a unit (smartloop: the same
    text key) or their units are linked (a near pair; Datalab: an item and one of its
    near-duplicate set). Precision is checked as by :func:`pair_precision` (on a seeded
    uniform sample of ``max_pairs`` when there are more); recall is over ``findable``.

    >>> keys = {"a": "x", "b": "x", "c": "y", "d": "z"}
    >>> found = linked_pair_quality("p", {"a": 1, "b": 1, "c": 2, "d": 3}, [("a", "c")], keys,
    ...                             [], [("a", "b"), ("a", "d")])
    >>> found["p_links_asserted"], found["p_link_precision"], found["p_link_recall"]
    (3, 0.3333333333333333, 0.5)
    """
    members: dict[object, list[str]] = {}
    for item, unit in units.items():
        members.setdefault(unit, []).append(item)
    for items in members.values():
        items.sort()
    blocks: list[Block] = [
        (items, None)
        for _, items in sorted(members.items(), key=lambda kv: kv[1][0])
        if len(items) > 1
    ]
    linked = sorted(
        {tuple(sorted((units[a], units[b]), key=str)) for a, b in links if units[a] != units[b]},
        key=lambda pair: (str(pair[0]), str(pair[1])),
    )
    blocks += [(members[u], members[v]) for u, v in linked]
    total, pairs = _block_pairs(blocks, max_pairs, seed)
    unit_links = set(linked)

    def asserted(a: str, b: str) -> bool:
        u, v = units[a], units[b]
        return u == v or tuple(sorted((u, v), key=str)) in unit_links

    recall = sum(1 for a, b in findable if asserted(a, b)) / len(findable) if findable else None
    result = {f"{prefix}_links_asserted": total, f"{prefix}_links_checked": 0,
              f"{prefix}_link_precision": None, f"{prefix}_link_recall": recall}  # fmt: skip
    if total == 0:
        return result
    right = _right_pair(keys, planted)
    hits = sum(1 for a, b in pairs if right(a, b))
    result[f"{prefix}_links_checked"] = len(pairs)
    result[f"{prefix}_link_precision"] = hits / len(pairs)
    return result


def duplicate_quality(
    prefix: str,
    group_of: Mapping[str, object],
    keys: Mapping[str, str | None],
    planted: Sequence[Pair],
    findable: Sequence[Pair],
) -> dict[str, Any]:
    """Pair precision and recall of one finder's groups, with the counts behind them."""
    found = pair_precision(group_of, keys, planted)
    return {
        f"{prefix}_pairs_found": found["pairs_found"],
        f"{prefix}_pairs_checked": found["pairs_checked"],
        f"{prefix}_pair_precision": found["precision"],
        f"{prefix}_pair_recall": pair_recall(group_of, findable),
        f"{prefix}_pairs_findable": len(findable),
    }


def quality(home: Path, truth: Path) -> dict[str, Any]:
    """Planted problems found: PII recall, near-duplicate recall and duplicate pair
    precision and recall of the clusters."""
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
            near = [(a, b) for a, b in _read_pairs(truth / "near_duplicates.csv") if a in keys]
            # Only copies still similar enough after the edit are near duplicates to find.
            findable = [
                (a, b) for a, b in near if shingle_jaccard(keys[a], keys[b]) >= NEAR_THRESHOLD
            ]
            same = sum(1 for a, b in findable if cluster.get(a) == cluster.get(b))
            figures["near_duplicates_planted"] = len(near)
            figures["near_duplicates_findable"] = len(findable)
            figures["near_duplicate_recall"] = same / len(findable) if findable else None
            planted, findable_pairs = planted_duplicates(truth, keys)
            figures.update(duplicate_quality("duplicate", cluster, keys, planted, findable_pairs))
            near_links = con.execute(
                "select item_id_a, item_id_b from fct_duplicate_pairs where kind = 'near'"
            ).fetchall()
            figures.update(
                linked_pair_quality(
                    "duplicate", text_units(keys), near_links, keys, planted, findable_pairs
                )
            )
    return figures


@dataclass
class Probabilities:
    """The out-of-sample probabilities of the labelled, trainable items (rows sorted by id)."""

    items: list[str]
    classes: list[str]
    probs: np.ndarray
    given: np.ndarray  # column index of each item's given label


def read_probabilities(con: duckdb.DuckDBPyConnection) -> Probabilities:
    """The serving file's probabilities of every labelled, trainable item, one row each."""
    rows = con.execute(
        "select p.item_id, p.label, p.probability, i.given_label "
        "from fct_prediction_probabilities as p "
        "join fct_predictions as i using (item_id) "
        "where i.given_label is not null and i.is_trainable order by p.item_id, p.label"
    ).fetchall()
    items = sorted({row[0] for row in rows})
    classes = sorted({row[1] for row in rows})
    index = {item: i for i, item in enumerate(items)}
    column = {label: k for k, label in enumerate(classes)}
    probs = np.zeros((len(items), len(classes)))
    given = np.zeros(len(items), dtype=int)
    for item, label, probability, given_label in rows:
        probs[index[item], column[label]] = probability
        given[index[item]] = column[given_label]
    probs /= np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
    return Probabilities(items, classes, probs, given)


def _planted_flips(truth: Path) -> set[str] | None:
    flips_file = truth / "label_flips.csv"
    if not flips_file.is_file():
        return None
    with open(flips_file, encoding="utf-8", newline="") as fh:
        return {row["item_id"] for row in csv.DictReader(fh)}


def wrong_labels(truth: Path, consensus: Mapping[str, str]) -> dict[str, Any] | None:
    """The items whose label is wrong: the planted flips and, when the synthetic crowd
    labelled part of the items (``truth/crowd.csv``), those whose consensus label
    (``consensus``: item -> label) differs from the true one, label errors as real as a
    flip. None without planted flips."""
    flips = _planted_flips(truth)
    if flips is None:
        return None
    crowd: dict[str, str] = {}
    crowd_file = truth / "crowd.csv"
    if crowd_file.is_file():
        with open(crowd_file, encoding="utf-8", newline="") as fh:
            crowd = {row["item_id"]: row["true_label"] for row in csv.DictReader(fh)}
    labelled = [item for item in crowd if item in consensus]
    crowd_wrong = {item for item in labelled if consensus[item] != crowd[item]}
    return {
        "items": flips | crowd_wrong,
        "label_flips_planted": len(flips),
        "crowd_items": len(crowd),
        "crowd_consensus_accuracy": 1 - len(crowd_wrong) / len(labelled) if labelled else None,
        "crowd_consensus_errors": len(crowd_wrong),
    }


def _consensus(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select item_id, label from fct_item_labels").fetchall())


def label_issue_quality(home: Path, truth: Path) -> dict[str, Any]:
    """Precision and recall of the flagged items against the wrong labels (``wrong_labels``),
    for smartloop's SQL and, when cleanlab is installed, for cleanlab's find_label_issues on
    the same predicted probabilities."""
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        tables = {
            row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()
        }
        if "fct_label_issues" not in tables:
            return {}
        wrong = wrong_labels(truth, _consensus(con))
        if wrong is None:
            return {}
        flagged = {row[0] for row in con.execute("select item_id from fct_label_issues").fetchall()}
        scored = read_probabilities(con)
    planted_scored = wrong.pop("items") & set(scored.items)
    figures: dict[str, Any] = {
        **wrong,
        **_precision_recall("label_issue", flagged, planted_scored),
    }
    try:
        from cleanlab.filter import find_label_issues
    except ImportError:
        return figures
    started = time.perf_counter()
    mask = find_label_issues(scored.given, scored.probs, n_jobs=1)
    figures["cleanlab_seconds"] = round(time.perf_counter() - started, 2)
    cleanlab_flagged = {scored.items[i] for i in np.flatnonzero(mask)}
    figures.update(_precision_recall("cleanlab_label_issue", cleanlab_flagged, planted_scored))
    return figures


def slice_quality(home: Path, *, null_runs: int) -> dict[str, Any]:
    """Where the planted failing slice ranks in each split and its q-value, how many slices
    fail, and how often shuffled errors (the null) make any slice fail
    (smartloop.slice_calibration)."""
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        ranks = dict(
            con.execute(
                "select split, slice_rank from rpt_failing_slices where slice_name = ?",
                [FLIP_SLICE_NAME],
            ).fetchall()
        )
        q_values = dict(
            con.execute(
                "select split, q_value from fct_slice_metrics where slice_name = ?",
                [FLIP_SLICE_NAME],
            ).fetchall()
        )
        (n_failing,) = con.execute("select count(*) from rpt_failing_slices").fetchone()
    started = time.perf_counter()
    calibration = null_calibration(home, runs=null_runs)
    seconds = time.perf_counter() - started
    return {
        "planted_slice_rank": {split: ranks.get(split) for split in SPLITS},
        "planted_slice_q_value": {split: q_values.get(split) for split in SPLITS},
        "failing_slices": n_failing,
        "slices_tested": calibration.observed.n_tested,
        "null_runs": null_runs,
        "null_false_alarm_share": calibration.false_alarm_share,
        "null_seconds_per_run": round(seconds / (null_runs + 1), 2),
    }


def _landing_relative(path: str) -> str:
    """A landed file's path as rpt_quarantine writes it: ``<kind folder>/<file name>``.

    >>> _landing_relative("/tmp/landing/items/batch_000.csv")
    'items/batch_000.csv'
    """
    return "/".join(Path(path).parts[-2:])


def quarantine_quality(home: Path, truth: Path) -> dict[str, Any]:
    """Quarantined rows per reason and, when ``truth/bad_rows.csv`` lists the planted bad
    rows (source_file, source_row_number, reason_code), how many of them were quarantined
    for the planted reason, and how many quarantined rows were not planted."""
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        quarantined = con.execute(
            "select source_file, source_row_number, reason_code from rpt_quarantine"
        ).fetchall()
    by_reason: dict[str, int] = {}
    for _, _, reason in quarantined:
        by_reason[reason] = by_reason.get(reason, 0) + 1
    figures: dict[str, Any] = {"quarantined_by_reason": dict(sorted(by_reason.items()))}
    bad_rows = truth / "bad_rows.csv"
    if not bad_rows.is_file():
        return figures
    found = {(_landing_relative(f), int(n)): reason for f, n, reason in quarantined}
    planted: dict[str, int] = {}
    caught: dict[str, int] = {}
    planted_rows = set()
    with open(bad_rows, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            reason = row["reason_code"]
            where = (_landing_relative(row["source_file"]), int(row["source_row_number"]))
            planted_rows.add(where)
            planted[reason] = planted.get(reason, 0) + 1
            caught[reason] = caught.get(reason, 0) + (found.get(where) == reason)
    figures["bad_rows_planted_by_reason"] = dict(sorted(planted.items()))
    figures["bad_rows_caught_by_reason"] = dict(sorted(caught.items()))
    figures["quarantined_not_planted"] = sum(1 for where in found if where not in planted_rows)
    return figures


@dataclass(frozen=True)
class CpuSample:
    """The CPU seconds a process tree had used by a moment (epoch seconds)."""

    at: float
    cpu_seconds: float


@dataclass
class Measured:
    """A child process's exit code, wall time, peak resident memory and CPU samples."""

    returncode: int
    seconds: float
    peak_rss_mb: float
    cpu_samples: list[CpuSample] = field(default_factory=list)


def tree_cpu_seconds(root: int) -> float | None:
    """User and system CPU seconds of ``root`` and its live descendants, with the children
    each has reaped (Linux /proc); None where /proc cannot be read."""
    try:
        stats = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    text = Path(entry.path, "stat").read_text()
                except OSError:
                    continue  # exited between the listing and the read
                fields = text[text.rindex(")") + 2 :].split()
                stats[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    except OSError:
        return None
    if root not in stats:
        return None
    tree, grew = {root}, True
    while grew:
        before = len(tree)
        tree |= {pid for pid, (ppid, _) in stats.items() if ppid in tree}
        grew = len(tree) > before
    return sum(stats[pid][1] for pid in tree) / os.sysconf("SC_CLK_TCK")


def run_measured(args: list[str], log: Path, *, sample_every: float = 0.5) -> Measured:
    """Run ``args`` with output to ``log``; the peak RSS is the largest of the child and its
    own children (the kernel's figure for the process tree, from ``os.wait4``). Every
    ``sample_every`` seconds the tree's CPU seconds are sampled (``tree_cpu_seconds``), so
    the cores a build kept busy can be read for any span of it (``busy_cores``)."""
    started = time.perf_counter()
    samples: list[CpuSample] = []
    reaped: dict[str, Any] = {}

    def reap(pid: int) -> None:  # blocks until the child exits: the wall time ends then
        reaped["wait"] = os.wait4(pid, 0)
        reaped["seconds"] = time.perf_counter() - started

    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT)
        reaper = threading.Thread(target=reap, args=(proc.pid,), daemon=True)
        reaper.start()
        while reaper.is_alive():
            cpu = tree_cpu_seconds(proc.pid)
            if cpu is not None:
                samples.append(CpuSample(time.time(), cpu))
            reaper.join(sample_every)
    _, status, usage = reaped["wait"]
    proc.returncode = os.waitstatus_to_exitcode(status)
    if samples:  # the last moments: the exited tree's whole CPU time, from the kernel
        samples.append(
            CpuSample(time.time(), max(usage.ru_utime + usage.ru_stime, samples[-1].cpu_seconds))
        )
    return Measured(proc.returncode, reaped["seconds"], usage.ru_maxrss / 1024, samples)


def _last_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def build_measured(landing: Path, home: Path, log: Path, *extra: str) -> Measured:
    """``smartloop build`` in a child process, measured; a failed build raises BuildError."""
    measured = run_measured(
        [sys.executable, "-m", "smartloop.cli", "build", "--landing", str(landing),
         "--home", str(home), *extra],
        log,
    )  # fmt: skip
    if measured.returncode != 0:
        raise BuildError(f"{_last_line(log)} (log: {log})")
    return measured


def _edit_lightly(text: str, rng: random.Random) -> str:
    """A new message close to an old one: a word added, or punctuation or casing changed."""
    choice = rng.randrange(4)
    if choice == 0:
        return f"{text} {rng.choice(['again', 'pls', 'today', 'ok'])}"
    if choice == 1:
        return f"{rng.choice(['so', 'hi', 'fyi', 'btw'])} {text}"
    if choice == 2:
        return text.capitalize() + rng.choice(["!", "?", "."])
    return text.replace(" ", "  ", 1)


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return table.column_names, table.to_pylist()
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _increment_path(folder: Path) -> Path:
    """A CSV file name that sorts after every file in ``folder`` (landing files are read in
    path order): the last one's stem plus ``_increment``."""
    last = max(p for p in folder.iterdir() if p.suffix in (".csv", ".parquet"))
    return folder / f"{last.stem}_increment.csv"


def _clean_batches(folder: Path) -> list[Path]:
    """The landing files of a folder in path order, without the generator's bad rows
    (``defects.*``): an increment copies clean items only."""
    return [
        path
        for path in sorted(folder.iterdir())
        if path.suffix in (".csv", ".parquet") and not path.stem.startswith("defects")
    ]


def write_increment(
    landing: Path, *, share: float = INCREMENT_SHARE, seed: int = 7, prefix: str = "inc"
) -> dict[str, Any]:
    """Add a batch of ``share`` new items (at least one) to a landing folder's items/ and
    annotations/: seeded copies of existing items with new ids ``<prefix>-<old id>``,
    lightly edited texts and the old item's labels. Returns the files and the count."""
    items_dir, annotations_dir = landing / "items", landing / "annotations"
    header: list[str] = []
    rows: list[dict[str, str]] = []
    for path in _clean_batches(items_dir):
        header, batch = _read_rows(path)
        rows += batch
    rng = random.Random(seed)
    picked = rng.sample(rows, max(1, round(len(rows) * share)))
    new_ids = {row["item_id"]: f"{prefix}-{row['item_id']}" for row in picked}
    items_file, annotations_file = _increment_path(items_dir), _increment_path(annotations_dir)
    with open(items_file, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        for row in picked:
            writer.writerow(
                {**row, "item_id": new_ids[row["item_id"]], "text": _edit_lightly(row["text"], rng)}
            )
    annotations: list[dict[str, str]] = []
    annotation_header: list[str] = []
    for path in _clean_batches(annotations_dir):
        if path != annotations_file:
            fields, batch = _read_rows(path)
            annotation_header += [field for field in fields if field not in annotation_header]
            annotations += [row for row in batch if row["item_id"] in new_ids]
    with open(annotations_file, "w", encoding="utf-8", newline="") as fh:
        # files may differ in optional columns (annotated_at): a missing value is empty
        writer = csv.DictWriter(fh, fieldnames=annotation_header, restval="")
        writer.writeheader()
        for row in annotations:
            writer.writerow({**row, "item_id": new_ids[row["item_id"]]})
    return {
        "n_items": len(picked),
        "n_annotations": len(annotations),
        "items_file": str(items_file),
        "annotations_file": str(annotations_file),
    }


def datalab_available() -> bool:
    """Whether cleanlab's Datalab can run (the ``bench`` extra is installed)."""
    return all(importlib.util.find_spec(name) for name in ("cleanlab", "datasets"))


def datalab_side_by_side(
    home: Path, truth: Path, scratch: Path, *, seed: int, stages: Mapping[str, float]
) -> dict[str, Any]:
    """cleanlab's Datalab (label, near_duplicate and outlier issues) against smartloop on
    one build: time, peak memory, and precision and recall against the planted truth.

    Datalab gets the representation smartloop's model uses (its hashed TF-IDF features,
    fitted on every distinct text, reduced to 100 dense dimensions by a seeded TruncatedSVD) and the
    serving file's out-of-sample probabilities of the labelled, trainable items."""
    from sklearn.decomposition import TruncatedSVD

    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        scored = read_probabilities(con)
        frame = con.execute(
            "select item_id, text, metadata, cluster_id, text_key from dim_items order by item_id"
        ).df()
    settings = training.settings_from_config(project_defaults(paths.PROJECT_DIR))
    started = time.perf_counter()
    matrix = training.features(frame, settings)
    if not isinstance(matrix, np.ndarray):
        svd = TruncatedSVD(n_components=SVD_DIMENSIONS, random_state=seed)
        matrix = svd.fit_transform(matrix)
    position = {item: i for i, item in enumerate(frame["item_id"])}
    dense = np.ascontiguousarray(matrix[[position[item] for item in scored.items]], np.float32)
    feature_seconds = time.perf_counter() - started

    folder = scratch / "datalab"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    np.save(folder / "features.npy", dense)
    np.save(folder / "pred_probs.npy", scored.probs)
    np.save(folder / "labels.npy", scored.given)
    log = folder / "datalab.log"
    measured = run_measured([sys.executable, "-m", "smartloop.bench_datalab", str(folder)], log)
    if measured.returncode != 0:
        raise BenchError(f"Datalab failed: {_last_line(log)} (log: {log})")
    result = json.loads((folder / "datalab.json").read_text())

    keys = dict(zip(frame["item_id"], frame["text_key"], strict=True))
    evaluated = set(scored.items)
    keys = {item: key for item, key in keys.items() if item in evaluated}
    clusters = dict(zip(frame["item_id"], frame["cluster_id"], strict=True))
    smartloop_groups = {item: clusters[item] for item in scored.items}
    roots = connected_components(len(scored.items), map(tuple, result["near_duplicate_links"]))
    datalab_groups = dict(zip(scored.items, roots.tolist(), strict=True))
    planted, findable = planted_duplicates(truth, keys)
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        flagged = {row[0] for row in con.execute("select item_id from fct_label_issues").fetchall()}
        near_links = [
            (a, b)
            for a, b in con.execute(
                "select item_id_a, item_id_b from fct_duplicate_pairs where kind = 'near'"
            ).fetchall()
            if a in evaluated and b in evaluated
        ]
        wrong = wrong_labels(truth, _consensus(con))
    datalab_links = [(scored.items[i], scored.items[j]) for i, j in result["near_duplicate_links"]]
    planted_flips = (wrong["items"] if wrong else set()) & evaluated
    datalab_flagged = {scored.items[i] for i in result["label_issue_rows"]}
    smartloop_seconds = sum(stages.get(stage, 0.0) for stage in COMPARED_STAGES)
    without_training = smartloop_seconds - stages.get("training", 0.0)
    return {
        "n_items": len(scored.items),
        "feature_dimensions": int(dense.shape[1]),
        "feature_seconds": round(feature_seconds, 2),
        "datalab_find_issues_seconds": result["find_issues_seconds"],
        "datalab_process_seconds": round(measured.seconds, 2),
        "datalab_peak_rss_mb": round(measured.peak_rss_mb),
        "datalab_outliers": result["n_outliers"],
        "smartloop_compared_seconds": round(smartloop_seconds, 2),
        "smartloop_compared_seconds_without_training": round(without_training, 2),
        "speedup": round(result["find_issues_seconds"] / smartloop_seconds, 2)
        if smartloop_seconds
        else None,
        "speedup_without_training": round(result["find_issues_seconds"] / without_training, 2)
        if without_training
        else None,
        "label_flips_evaluated": len(planted_flips),
        **_precision_recall("smartloop_label_issue", flagged & evaluated, planted_flips),
        **_precision_recall("datalab_label_issue", datalab_flagged, planted_flips),
        **duplicate_quality("smartloop", smartloop_groups, keys, planted, findable),
        **duplicate_quality("datalab", datalab_groups, keys, planted, findable),
        **linked_pair_quality("smartloop", text_units(keys), near_links, keys, planted, findable),
        **linked_pair_quality(
            "datalab", {item: item for item in keys}, datalab_links, keys, planted, findable
        ),
    }


def _precision_recall(prefix: str, flagged: set[str], planted: set[str]) -> dict[str, Any]:
    hits = len(flagged & planted)
    return {
        f"{prefix}_flagged": len(flagged),
        f"{prefix}_precision": hits / len(flagged) if flagged else None,
        f"{prefix}_recall": hits / len(planted) if planted else None,
    }


def run(
    sizes: list[int],
    *,
    seed: int = 7,
    work_dir: Path,
    out_dir: Path,
    with_cleanlab: bool = False,
    echo: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Benchmark each size and write results.json and results.md to ``out_dir``."""
    if with_cleanlab and not datalab_available():
        raise BenchError(
            "--with-cleanlab needs cleanlab's Datalab: run `pip install -e '.[bench]'` "
            "(or `make bench`)."
        )
    load = os.getloadavg()[0]
    rows = []
    for size in sizes:
        landing = work_dir / f"landing_{size}"
        home = work_dir / f"home_{size}"
        shutil.rmtree(landing, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        started = time.perf_counter()
        summary = generate(size, seed, landing)
        synth_seconds = time.perf_counter() - started
        echo(f"Generated {size:,} items in {synth_seconds:.1f}s; building...")
        full = build_measured(landing, home, work_dir / f"build_{size}.log")
        stages = stage_times(home / "target" / "run_results.json")
        waited_for = critical_path(home / "target", full.cpu_samples)
        truth = landing / "truth"
        row = {
            "n_items": size,
            "synth_seconds": round(synth_seconds, 2),
            "build_seconds": round(full.seconds, 2),
            "cores_busy": _whole_run_cores(full),
            "items_per_second": round(size / full.seconds),
            "peak_rss_mb": round(full.peak_rss_mb),
            "serving_mb": round(paths.serving_path(home).stat().st_size / 2**20, 1),
            "stage_seconds": {k: round(v, 2) for k, v in stages.items()},
            "stage_items_per_second": {
                k: round(size / v) for k, v in stages.items() if v > 0 and k != "tests"
            },
            "non_training_seconds": round(full.seconds - stages.get("training", 0.0), 2),
            "critical_path": waited_for,
            "planted": summary.__dict__ | {"out_dir": str(summary.out_dir)},
            **quality(home, truth),
            **label_issue_quality(home, truth),
            **quarantine_quality(home, truth),
            **slice_quality(home, null_runs=100 if size <= 100_000 else 20),
        }
        echo(
            f"{size:,} items: build {full.seconds:.1f}s ({row['items_per_second']:,} items/s), "
            f"peak RSS {row['peak_rss_mb']:,} MB"
        )
        if with_cleanlab and size <= DATALAB_MAX_ITEMS:
            echo(f"{size:,} items: running cleanlab's Datalab on the same inputs...")
            row["datalab"] = datalab_side_by_side(home, truth, work_dir, seed=seed, stages=stages)
            compared = row["datalab"]
            echo(
                f"{size:,} items: Datalab find_issues {compared['datalab_find_issues_seconds']}s "
                f"against smartloop's {compared['smartloop_compared_seconds']}s"
            )
        increment = write_increment(landing, share=INCREMENT_SHARE, seed=seed)
        again = build_measured(
            landing, home, work_dir / f"build_{size}_increment.log", "--no-retrain"
        )
        row["increment"] = {
            **increment,
            "build_seconds": round(again.seconds, 2),
            "cores_busy": _whole_run_cores(again),
            "peak_rss_mb": round(again.peak_rss_mb),
            "share_of_full_build": round(again.seconds / full.seconds, 3),
            "stage_seconds": {
                k: round(v, 2) for k, v in stage_times(home / "target" / "run_results.json").items()
            },
            "critical_path": critical_path(home / "target", again.cpu_samples),
        }
        echo(
            f"{size:,} items: a {increment['n_items']:,}-item batch rebuilt in "
            f"{again.seconds:.1f}s ({again.seconds / full.seconds:.0%} of the full build)"
        )
        rows.append(row)
    write(rows, out_dir, load=load)
    return rows


MEMORY_LIMIT_VAR = "SMARTLOOP_DUCKDB_MEMORY_LIMIT"


def duckdb_memory_limit(profiles: Path = paths.PROJECT_DIR / "profiles.yml") -> str:
    """The DuckDB memory limit builds get: SMARTLOOP_DUCKDB_MEMORY_LIMIT when set, otherwise
    the default profiles.yml gives it (read from the file, so the figures name the limit
    they ran with)."""
    chosen = os.environ.get(MEMORY_LIMIT_VAR)
    if chosen:
        return chosen
    default = re.search(
        rf"env_var\(\s*'{MEMORY_LIMIT_VAR}'\s*,\s*'([^']+)'\s*\)",
        Path(profiles).read_text(encoding="utf-8"),
    )
    return f"{default.group(1)} (the default)" if default else "DuckDB's default (80% of RAM)"


def machine() -> str:
    """One line describing the machine the figures come from."""
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    duckdb_memory = duckdb_memory_limit()
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {mem_gb:.0f} GiB RAM, "
        f"Python {platform.python_version()}, DuckDB memory limit {duckdb_memory}"
    )


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _met(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "**not met**")


def _speed_table(rows: list[dict[str, Any]]) -> list[str]:
    stages = [s for s in STAGES if s != "tests"]
    lines = [
        "## Speed and memory",
        "",
        "| items | build s | items/s | peak RSS MB | serving MB | "
        + " | ".join(f"{s} s" for s in stages)
        + " | tests s | all but training s | ÷ training |",
        "|---" * (8 + len(stages)) + "|",
    ]
    for row in rows:
        training_seconds = row["stage_seconds"].get("training", 0.0)
        ratio = row["non_training_seconds"] / training_seconds if training_seconds else None
        lines.append(
            f"| {row['n_items']:,} | {row['build_seconds']:.1f} | {row['items_per_second']:,} | "
            f"{row['peak_rss_mb']:,} | {row['serving_mb']} | "
            + " | ".join(f"{row['stage_seconds'].get(s, 0):.1f}" for s in stages)
            + f" | {row['stage_seconds'].get('tests', 0):.1f} | {row['non_training_seconds']:.1f}"
            f" | {_fmt(ratio, 2)} |"
        )
    at_1m = next((row for row in rows if row["n_items"] == 1_000_000), None)
    training_1m = at_1m["stage_seconds"].get("training", 0.0) if at_1m else 0.0
    lines += [
        "",
        "| target (1M items) | measured | |",
        "|---|---|---|",
        f"| end to end ≤ {TARGET_SECONDS_AT_1M} s | "
        f"{_fmt(at_1m and at_1m['build_seconds'], 1)} | "
        f"{_met(at_1m and at_1m['build_seconds'] <= TARGET_SECONDS_AT_1M)} |",
        f"| peak RSS ≤ {TARGET_RSS_MB_AT_1M:,} MB | "
        f"{at_1m['peak_rss_mb'] if at_1m else 'n/a'} | "
        f"{_met(at_1m and at_1m['peak_rss_mb'] <= TARGET_RSS_MB_AT_1M)} |",
        f"| all but training ≤ {TARGET_NON_TRAINING_SHARE:.0%} of training | "
        + (
            f"{at_1m['non_training_seconds']:.1f} s against {training_1m:.1f} s | "
            f"{_met(at_1m['non_training_seconds'] <= TARGET_NON_TRAINING_SHARE * training_1m)} |"
            if at_1m
            else "n/a | not measured |"
        ),
        "",
        "Build seconds: wall time of `smartloop build` (dbt build with every data test, then",
        "publishing). Stage seconds are the summed execution times of the stage's dbt nodes",
        "(dbt's run_results.json; two threads may run nodes side by side, so stages can add",
        "up to more than the build). All but training: build seconds minus the training",
        "stage. Peak RSS: the largest resident set of any one process of the build (the",
        "builder or its dbt child), from `os.wait4`.",
    ]
    return lines


def _quality_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Quality against the planted truth",
        "",
        "| items | PII recall | near-dup recall (findable) | duplicate pairs P / R "
        "| cluster pairs P / R "
        "| label issues P / R | cleanlab find_label_issues P / R "
        "| planted slice rank (train / val / test) | planted slice q (train / val / test) "
        "| failing slices | null false alarms |",
        "|---" * 11 + "|",
    ]
    for row in rows:
        ranks = " / ".join(str(rank) for rank in row.get("planted_slice_rank", {}).values())
        q_values = " / ".join(
            "n/a" if q is None else f"{q:.1e}"
            for q in row.get("planted_slice_q_value", {}).values()
        )
        lines.append(
            f"| {row['n_items']:,} | {_fmt(row.get('pii_recall'))} | "
            f"{_fmt(row.get('near_duplicate_recall'))} "
            f"({row.get('near_duplicates_findable', 0):,}) | "
            f"{_fmt(row.get('duplicate_link_precision'))} / "
            f"{_fmt(row.get('duplicate_link_recall'))} | "
            f"{_fmt(row.get('duplicate_pair_precision'))} / "
            f"{_fmt(row.get('duplicate_pair_recall'))} | "
            f"{_fmt(row.get('label_issue_precision'))} / {_fmt(row.get('label_issue_recall'))} | "
            f"{_fmt(row.get('cleanlab_label_issue_precision'))} / "
            f"{_fmt(row.get('cleanlab_label_issue_recall'))} | {ranks} | {q_values} | "
            f"{row.get('failing_slices')} of {row.get('slices_tested')} | "
            f"{round((row.get('null_false_alarm_share') or 0) * row.get('null_runs', 0))} of "
            f"{row.get('null_runs')} runs |"
        )
    lines += [
        "",
        "Near-dup recall: planted edited copies whose character 5-gram Jaccard similarity to",
        "their original is still at least 0.8 that share a cluster with it. Duplicate pairs:",
        "the pairs smartloop asserts (same text key, or a near pair of fct_duplicate_pairs);",
        "cluster pairs: the pairs of items sharing a cluster. Recall is over those copies and",
        "the exact copies; precision over the pairs (a seeded sample of 50,000 when there are",
        "more), right when both descend from the same planted original or their texts are at",
        "least 0.8 similar.",
        "Label issues: fct_label_issues against the wrong labels: the planted flips (1% uniform,",
        "15% of one 2-way slice) and the crowd-labelled items whose consensus is wrong;",
        "cleanlab: find_label_issues defaults on the same out-of-sample",
        "probabilities. Planted slice: its rank in rpt_failing_slices (None: not failing) and",
        "its Benjamini-Hochberg q-value in fct_slice_metrics, per split. Null false alarms:",
        "the share of runs with the errors shuffled within each split in which any slice",
        "fails (smartloop.slice_calibration).",
    ]
    quarantine = [
        "",
        "## Quarantine",
        "",
        "| items | reason | planted bad rows | quarantined for that reason |",
        "|---|---|---|---|",
    ]
    for row in rows:
        planted = row.get("bad_rows_planted_by_reason")
        by_reason = row.get("quarantined_by_reason", {})
        if planted is None:
            cells = [
                f"| {row['n_items']:,} | {r} | not recorded | {n:,} |" for r, n in by_reason.items()
            ]
            quarantine += cells or [f"| {row['n_items']:,} | (none) | not recorded | 0 |"]
            continue
        caught = row["bad_rows_caught_by_reason"]
        for reason in sorted(set(planted) | set(by_reason)):
            quarantine.append(
                f"| {row['n_items']:,} | {reason} | {planted.get(reason, 0):,} | "
                f"{by_reason.get(reason, 0):,} ({caught.get(reason, 0):,} of them planted) |"
            )
    quarantine += [
        "",
        "Planted bad rows come from truth/bad_rows.csv when the generator writes it (matched",
        "by file and row number); otherwise only the quarantined counts are shown.",
    ]
    return lines + quarantine


def _datalab_table(rows: list[dict[str, Any]]) -> list[str]:
    compared = [row for row in rows if "datalab" in row]
    if not compared:
        return []
    lines = [
        "## Side by side with cleanlab's Datalab",
        "",
        "| items | tool | seconds | peak RSS MB | label issues flagged | label issues P / R "
        "| duplicate pairs asserted | duplicate pairs P / R | pairs in one group "
        "| group pairs P / R |",
        "|---" * 10 + "|",
    ]
    verdicts = []
    for row in compared:
        d = row["datalab"]
        for tool, seconds, rss in (
            ("smartloop", d["smartloop_compared_seconds"], row["peak_rss_mb"]),
            ("Datalab", d["datalab_find_issues_seconds"], d["datalab_peak_rss_mb"]),
        ):
            prefix = tool.lower()
            lines.append(
                f"| {d['n_items']:,} | {tool} | {seconds:.1f} | {rss:,} | "
                f"{d[f'{prefix}_label_issue_flagged']:,} | "
                f"{_fmt(d[f'{prefix}_label_issue_precision'])} / "
                f"{_fmt(d[f'{prefix}_label_issue_recall'])} | "
                f"{d.get(f'{prefix}_links_asserted', 0):,} | "
                f"{_fmt(d.get(f'{prefix}_link_precision'))} / "
                f"{_fmt(d.get(f'{prefix}_link_recall'))} | {d[f'{prefix}_pairs_found']:,} | "
                f"{_fmt(d[f'{prefix}_pair_precision'])} / {_fmt(d[f'{prefix}_pair_recall'])} |"
            )

        def at_least(mine: float | None, theirs: float | None) -> bool:
            return mine is not None and (theirs is None or mine >= theirs)

        label_ok = at_least(
            d["smartloop_label_issue_precision"], d["datalab_label_issue_precision"]
        ) and at_least(d["smartloop_label_issue_recall"], d["datalab_label_issue_recall"])
        pairs_ok = at_least(
            d.get("smartloop_link_precision"), d.get("datalab_link_precision")
        ) and at_least(d.get("smartloop_link_recall"), d.get("datalab_link_recall"))
        groups_ok = at_least(
            d["smartloop_pair_precision"], d["datalab_pair_precision"]
        ) and at_least(d["smartloop_pair_recall"], d["datalab_pair_recall"])
        verdicts += [
            f"| {d['n_items']:,} | ≥ {TARGET_SPEEDUP:.0f}× faster | {_fmt(d['speedup'], 2)}× "
            f"({_fmt(d['speedup_without_training'], 2)}× without training) | "
            f"{_met(d['speedup'] is not None and d['speedup'] >= TARGET_SPEEDUP)} |",
            f"| {d['n_items']:,} | label issues P and R ≥ Datalab's | see above | "
            f"{_met(label_ok)} |",
            f"| {d['n_items']:,} | duplicate pairs P and R ≥ Datalab's | see above | "
            f"{_met(pairs_ok)} |",
            f"| {d['n_items']:,} | (pairs in one group: smartloop's clusters, Datalab's sets "
            f"joined) P and R ≥ Datalab's | see above | {_met(groups_ok)} |",
        ]
    d = compared[-1]["datalab"]
    lines += [
        "",
        "| items | target | measured | |",
        "|---|---|---|---|",
        *verdicts,
        "",
        f"Datalab (cleanlab {_cleanlab_version()}) ran `find_issues` with issue types label, "
        "near_duplicate and outlier (defaults) in a process of its own, on the labelled, "
        "trainable items: features are smartloop's own representation (training.features: "
        "hashed TF-IDF of word 1-2-grams and character 2-5-grams) reduced to "
        f"{d['feature_dimensions']} dense dimensions by a seeded TruncatedSVD "
        f"({d['feature_seconds']:.0f} s at the last size, not counted), and pred_probs are "
        "smartloop's out-of-sample probabilities from the serving file (their training is not "
        "counted for Datalab). Datalab seconds: `find_issues` alone; its peak RSS is its "
        f"process's (it also found {d['datalab_outliers']:,} outliers at the last size, which "
        "have no ground truth here). smartloop",
        "seconds: the summed dbt node times of the near duplicates, label issues and training",
        "stages of the same build (training included, because it produced the probabilities);",
        "its peak RSS is the whole build's. Duplicate pairs: the pairs each tool asserts",
        "(Datalab: an item and a member of its near-duplicate set; smartloop: the same text",
        "key or a near pair); pairs in one group: Datalab's sets joined into connected",
        "components, smartloop's clusters; both scored as in the quality table. Speedup:",
        "Datalab seconds ÷ smartloop seconds.",
    ]
    return lines


def _cleanlab_version() -> str:
    try:
        from importlib.metadata import version

        return version("cleanlab")
    except Exception:  # only for the note
        return "?"


def _increment_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Incremental build after a 1% batch",
        "",
        "| items | new items | full build s | rebuild s | share of full | training s "
        f"(full / rebuild) | target ≤ {TARGET_INCREMENT_SHARE:.0%} |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        inc = row.get("increment")
        if not inc:
            continue
        lines.append(
            f"| {row['n_items']:,} | {inc['n_items']:,} | {row['build_seconds']:.1f} | "
            f"{inc['build_seconds']:.1f} | {inc['share_of_full_build']:.0%} | "
            f"{row['stage_seconds'].get('training', 0):.1f} / "
            f"{inc['stage_seconds'].get('training', 0):.1f} | "
            f"{_met(inc['share_of_full_build'] <= TARGET_INCREMENT_SHARE)} |"
        )
    lines += [
        "",
        "After the full build, one more batch file of 1% new items (copies of existing",
        "items with new ids, lightly edited texts and the same labels) lands in items/ and",
        "annotations/, and `smartloop build --no-retrain` runs again on the same home: the",
        "saved model scores the new items, every other item keeps its probabilities, and",
        "everything else (staging, redaction, duplicates, consensus, label issues, slices,",
        "every data test) is computed again over all items.",
    ]
    return lines


def _critical_path_table(rows: list[dict[str, Any]]) -> list[str]:
    """The critical path of the largest size's full build and of its 1% rebuild."""
    measured = [row for row in rows if row.get("critical_path")]
    if not measured:
        return []
    row = max(measured, key=lambda r: r["n_items"])
    lines = [f"## What the {row['n_items']:,}-item build waited for", ""]
    runs = [("Full build", row["critical_path"], row.get("cores_busy"))]
    if (row.get("increment") or {}).get("critical_path"):
        increment = row["increment"]
        runs.append(("1% rebuild", increment["critical_path"], increment.get("cores_busy")))
    for title, steps, cores in runs:
        long = [s for s in steps if max(s["seconds"], s["waited_seconds"]) >= CRITICAL_STEP_SECONDS]
        short = [s for s in steps if s not in long]
        total = sum(s["seconds"] + s["waited_seconds"] for s in steps)
        lines += [
            f"{title}: {len(steps)} nodes in a chain, {total:.1f} s; "
            f"{_fmt(cores, 2)} cores busy on average over the whole build.",
            "",
            "| node | s | waited s | cores busy |",
            "|---|---|---|---|",
            *(
                f"| {s['node']} | {s['seconds']:.1f} | {s['waited_seconds']:.1f} | "
                f"{_fmt(s.get('cores'), 1)} |"
                for s in long
            ),
        ]
        if short:
            lines.append(
                f"| {len(short)} shorter nodes | {sum(s['seconds'] for s in short):.1f} | "
                f"{sum(s['waited_seconds'] for s in short):.1f} | |"
            )
        lines.append("")
    lines += [
        "The critical path: from the node that finished last, back through whichever",
        "prerequisite (a parent, or a data test on a parent, under `dbt build`) finished last.",
        "Speeding up a node off this chain does not shorten the build. Waited: seconds between",
        "that prerequisite finishing and the node starting (both threads busy, or dbt's own",
        "scheduling). Cores busy: CPU seconds of the whole build (every process of it) per",
        "second while the node ran, sampled twice a second; below the machine's cores, some",
        "core sat idle, whatever ran beside the node. Publishing the serving file comes after",
        "the chain.",
    ]
    return lines


def write(
    rows: list[dict[str, Any]],
    out_dir: Path,
    *,
    load: float | None = None,
    stamp: str | None = None,
) -> None:
    """results.json (everything) and results.md (one table per concern); ``stamp``
    rewrites the files of an earlier run."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = stamp or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    payload = {
        "machine": machine(),
        "load_average_at_start": load,
        "measured_at": stamp,
        "runs": rows,
    }
    (out_dir / "results.json").write_text(json.dumps(payload, indent=2))
    loaded = f" (1-minute load average {load:.1f} at the start)" if load is not None else ""
    lines = [
        "# Benchmark results",
        "",
        f"Measured {stamp} on {machine()}{loaded} with `smartloop bench`.",
        "",
        *_speed_table(rows),
        "",
        *_quality_table(rows),
        "",
        *_datalab_table(rows),
        "",
        *_increment_table(rows),
        "",
        *_critical_path_table(rows),
    ]
    (out_dir / "results.md").write_text("\n".join(lines) + "\n")
