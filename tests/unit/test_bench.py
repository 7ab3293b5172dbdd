"""The benchmark's pure parts: duplicate pair precision and recall, and the 1% batch writer."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from smartloop import bench, synth

KEYS = {
    "a": "hello world again and again",
    "b": "hello world again and again!",  # 0.8+ similar to a
    "c": "a completely different message",
    "d": "a completely different message",  # identical to c, not planted
    "e": "nothing like the others at all",
    "f": "also nothing like the rest",
}

# (groups, planted pairs, findable pairs, precision, recall): one case per line
CASES = [
    ({"a": 1, "b": 1, "c": 2, "d": 2, "e": 3, "f": 4}, [("a", "b")], [("a", "b")], 1.0, 1.0),
    ({"a": 1, "b": 2, "c": 3, "d": 3, "e": 4, "f": 5}, [("a", "b")], [("a", "b")], 1.0, 0.0),
    ({"a": 1, "b": 1, "c": 1, "d": 1, "e": 2, "f": 3}, [("a", "b")], [("a", "b")], 2 / 6, 1.0),
    ({"a": 1, "b": 2, "c": 3, "d": 4, "e": 1, "f": 1}, [("a", "e"), ("e", "f")], [], 1.0, None),
    ({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}, [("a", "b")], [("a", "b")], None, 0.0),
]


@pytest.mark.parametrize(("groups", "planted", "findable", "precision", "recall"), CASES)
def test_pair_precision_and_recall(groups, planted, findable, precision, recall) -> None:
    found = bench.pair_precision(groups, KEYS, planted)
    if precision is None:
        assert found["precision"] is None
    else:
        assert found["precision"] == pytest.approx(precision)
        assert found["pairs_checked"] == found["pairs_found"]  # few pairs: all checked
    assert bench.pair_recall(groups, findable) == recall


def test_pair_precision_samples_large_groups_deterministically() -> None:
    keys = {f"x{i}": hashlib.md5(str(i).encode()).hexdigest() for i in range(300)}
    groups = {item: 0 for item in keys}  # 44,850 pairs in one group
    planted = [("x0", "x1"), ("x1", "x2")]
    first = bench.pair_precision(groups, keys, planted, max_pairs=2_000, seed=3)
    again = bench.pair_precision(
        dict(reversed(groups.items())), keys, planted, max_pairs=2_000, seed=3
    )
    assert first == again
    assert first["pairs_found"] == 300 * 299 // 2
    assert first["pairs_checked"] == 2_000
    assert 0.0 <= first["precision"] < 0.05


def test_planted_duplicates_keep_exact_copies_and_similar_edits(tmp_path: Path) -> None:
    for name, rows in (
        ("near_duplicates.csv", [("a", "b"), ("a", "e")]),
        ("exact_duplicates.csv", [("c", "d"), ("c", "missing")]),
    ):
        with open(tmp_path / name, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([("original_item_id", "item_id"), *rows])
    planted, findable = bench.planted_duplicates(tmp_path, KEYS)
    assert planted == [("a", "b"), ("a", "e"), ("c", "d")]
    assert findable == [("a", "b"), ("c", "d")]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_write_increment_adds_one_percent_of_new_labelled_items(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    synth.generate(400, 7, landing)
    written = bench.write_increment(landing, share=0.01, seed=7)

    items_file, annotations_file = Path(written["items_file"]), Path(written["annotations_file"])
    assert sorted((landing / "items").iterdir())[-1] == items_file  # read after the others
    assert sorted((landing / "annotations").iterdir())[-1] == annotations_file
    new_items = _rows(items_file)
    assert written["n_items"] == written["n_annotations"] == len(new_items) == 4
    old_items = {
        row["item_id"]: row
        for path in sorted((landing / "items").glob("batch_00?.csv"))
        for row in _rows(path)
    }
    old_labels = dict(
        zip(*pq.read_table(landing / "annotations" / "labels.parquet", columns=["item_id", "label"])
            .to_pydict().values(), strict=True)
    )  # fmt: skip
    new_labels = {row["item_id"]: row["label"] for row in _rows(annotations_file)}
    for row in new_items:
        source = old_items[row["item_id"].removeprefix("inc-")]
        assert row["item_id"] not in old_items
        assert row["text"] != source["text"]
        assert {k: v for k, v in row.items() if k not in ("item_id", "text")} == {
            k: v for k, v in source.items() if k not in ("item_id", "text")
        }
        assert new_labels[row["item_id"]] == old_labels[source["item_id"]]


def test_write_increment_is_seeded(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        synth.generate(200, 7, tmp_path / name)
        written = bench.write_increment(tmp_path / name, seed=1)
        outputs.append(Path(written["items_file"]).read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]


def test_linked_pairs_count_units_and_links_not_groups() -> None:
    # a ~ c and c ~ e are asserted, a ~ e is not (no link): unlike a cluster of a, c, e
    keys = {"a": "win a prize now", "b": "win a prize now", "c": "win a prize now!!",
            "d": "lunch at noon?", "e": "nothing like it"}  # fmt: skip
    units = bench.text_units(keys)
    assert units["a"] == units["b"] != units["c"]
    found = bench.linked_pair_quality(
        "x", units, [("a", "c"), ("e", "c"), ("c", "a")], keys, [("c", "e")], [("a", "e")]
    )
    # asserted: a-b (same key), a-c and b-c (linked units), c-e: 4 pairs, c-e right (planted)
    assert found["x_links_asserted"] == 4 and found["x_links_checked"] == 4
    assert found["x_link_precision"] == 1.0
    assert found["x_link_recall"] == 0.0


def test_linked_pairs_sample_deterministically() -> None:
    keys = {f"x{i}": hashlib.md5(str(i).encode()).hexdigest() for i in range(400)}
    units = {item: item for item in keys}
    links = [(f"x{i}", f"x{i + 1}") for i in range(399)]
    first = bench.linked_pair_quality("y", units, links, keys, [], [], max_pairs=100, seed=1)
    again = bench.linked_pair_quality(
        "y", units, list(reversed(links)), keys, [], [], max_pairs=100, seed=1
    )
    assert first == again
    assert first["y_links_asserted"] == 399 and first["y_links_checked"] == 100
    assert first["y_link_precision"] == 0.0 and first["y_link_recall"] is None


def test_the_memory_limit_is_read_from_the_environment_or_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMARTLOOP_DUCKDB_MEMORY_LIMIT", "5GB")
    assert bench.duckdb_memory_limit() == "5GB"
    monkeypatch.delenv("SMARTLOOP_DUCKDB_MEMORY_LIMIT")
    profiles = tmp_path / "profiles.yml"
    profiles.write_text(
        "settings:\n  memory_limit: \"{{ env_var('SMARTLOOP_DUCKDB_MEMORY_LIMIT', '7GB') }}\"\n"
    )
    assert bench.duckdb_memory_limit(profiles) == "7GB (the default)"
    profiles.write_text("settings: {}\n")
    assert bench.duckdb_memory_limit(profiles) == "DuckDB's default (80% of RAM)"
    assert bench.duckdb_memory_limit().endswith("(the default)")  # the project's own profile


def _write_target(target: Path, spans: dict[str, tuple[float, float]], parents: dict) -> None:
    """run_results.json and manifest.json of a build whose nodes ran at ``spans`` (seconds)."""

    def stamp(seconds: float) -> str:
        return f"2026-01-01T00:{int(seconds) // 60:02d}:{seconds % 60:09.6f}Z"

    results = [
        {
            "unique_id": node,
            "timing": [
                {"name": "compile", "started_at": stamp(start), "completed_at": stamp(start)},
                {"name": "execute", "started_at": stamp(start), "completed_at": stamp(end)},
            ],
        }
        for node, (start, end) in spans.items()
    ]
    children: dict[str, list[str]] = {}
    for node, ups in parents.items():
        for up in ups:
            children.setdefault(up, []).append(node)
    manifest = {
        "nodes": {node: {"name": node.split(".")[2]} for node in spans},
        "parent_map": parents,
        "child_map": children,
    }
    target.mkdir()
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    (target / "manifest.json").write_text(json.dumps(manifest))


def test_critical_path_follows_the_prerequisite_that_finished_last(tmp_path: Path) -> None:
    # a -> b -> c with a test on a and one on b; d runs beside them, e is a's other child
    spans = {
        "model.p.a": (0, 10),
        "test.p.not_null_a": (10, 13),
        "model.p.d": (0, 18),
        "model.p.e": (10, 12),
        "model.p.b": (14, 20),
        "test.p.unique_b": (20, 21),
        "model.p.c": (21.5, 30),
        "model.p.f": (0, 4),
    }
    parents = {
        "model.p.a": [],
        "test.p.not_null_a": ["model.p.a"],
        "model.p.d": [],
        "model.p.e": ["model.p.a"],
        "model.p.b": ["model.p.a", "model.p.f"],
        "test.p.unique_b": ["model.p.b"],
        "model.p.c": ["model.p.b"],
        "model.p.f": [],
    }
    _write_target(tmp_path / "target", spans, parents)
    path = bench.critical_path(tmp_path / "target")
    # d and e ran beside the chain and f finished early: none of them held the build up
    assert [step["node"] for step in path] == ["a", "not_null_a", "b", "unique_b", "c"]
    assert [step["seconds"] for step in path] == [10.0, 3.0, 6.0, 1.0, 8.5]
    assert [step["waited_seconds"] for step in path] == [0.0, 0.0, 1.0, 0.0, 0.5]

    assert all(step["cores"] is None for step in path)  # no CPU samples given

    table = "\n".join(
        bench._critical_path_table([{"n_items": 10, "critical_path": path, "increment": {}}])
    )
    assert "5 nodes in a chain, 30.0 s; n/a cores busy" in table
    assert "| a | 10.0 | 0.0 | n/a |" in table and "| 1 shorter nodes | 1.0 | 0.0 | |" in table


def test_critical_path_reads_the_cores_the_build_kept_busy(tmp_path: Path) -> None:
    # a runs 0-10 s with two cores busy, b 10-20 s with one (one core idle under it)
    _write_target(
        tmp_path / "target",
        {"model.p.a": (0, 10), "model.p.b": (10, 20)},
        {"model.p.a": [], "model.p.b": ["model.p.a"]},
    )
    epoch = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    cpu = lambda t: 2 * t if t <= 10 else 20 + (t - 10)  # noqa: E731
    samples = [bench.CpuSample(epoch + t, cpu(t)) for t in np.arange(0, 20.01, 0.5)]
    path = bench.critical_path(tmp_path / "target", samples)
    assert [step["cores"] for step in path] == [2.0, 1.0]
    # spans between samples are interpolated; a span with fewer than two samples is unknown
    assert bench.busy_cores(samples, epoch + 9.25, epoch + 10.75) == pytest.approx(1.5)
    assert bench.busy_cores(samples, epoch + 3.1, epoch + 3.4) is None
    assert bench.busy_cores(samples, epoch + 30, epoch + 40) is None


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux /proc")
def test_run_measured_samples_the_cpu_of_the_whole_process_tree(tmp_path: Path) -> None:
    # the CPU is spent two generations below the child (as dbt runs below `smartloop build`)
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.0:\n    pass"

    def spawning(code: str) -> str:
        return (
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {code!r}], check=True)"
        )

    child = spawning(spawning(burn))
    measured = bench.run_measured([sys.executable, "-c", child], tmp_path / "log", sample_every=0.1)
    assert measured.returncode == 0
    cpu = [sample.cpu_seconds for sample in measured.cpu_samples]
    assert len(cpu) >= 3 and cpu == sorted(cpu)
    assert cpu[-1] >= 1.0  # the burner's second of CPU is in the tree's total
    assert max(cpu[:-1]) >= 0.5  # and was seen while it ran, not only at the end
    assert 0.3 <= bench._whole_run_cores(measured) <= 1.2  # one busy process at a time
