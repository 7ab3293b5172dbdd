"""The split is stable across batches and moves items only by the documented merge rule."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb
import pytest
import yaml

from smartloop import paths
from tests.conftest import run_cli

pytestmark = pytest.mark.dbt

WORDS = [
    "amber", "basil", "cedar", "delta", "ember", "fjord",
    "glade", "harbor", "indigo", "juniper", "kestrel", "lumen",
]  # fmt: skip


def split_of(cluster_id: str, seed: str, ratios: dict[str, float]) -> str:
    """The split the hash_fraction macro gives a cluster (same md5 recipe)."""
    draw = int(hashlib.md5(f"{seed}:{cluster_id}".encode()).hexdigest()[:8], 16) / 2**32
    total = sum(ratios.values())
    if draw < ratios["train"] / total:
        return "train"
    if draw < (ratios["train"] + ratios["validation"]) / total:
        return "validation"
    return "test"


def distinct_text(i: int) -> str:
    """Texts that share no duplicate with each other."""
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(4)]
    return f"message {i} about {' '.join(words)} number {i * 7919 % 10007}"


def write_items(path: Path, rows: list[tuple[str, str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["item_id", "text", "conversation"])
        writer.writerows(rows)


def splits(home: Path) -> dict[str, tuple[str, str]]:
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        return {
            item: (split, cluster)
            for item, split, cluster in con.execute(
                "select item_id, split, cluster_id from dim_items"
            ).fetchall()
        }


def test_a_batch_moves_no_split_except_by_the_merge_rule(tmp_path: Path) -> None:
    defaults = yaml.safe_load((paths.PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    seed, ratios = defaults["split_seed"], defaults["split_ratios"]
    # two singleton clusters that hash into different splits
    candidates = [f"anchor-{i:03d}" for i in range(200)]
    a = candidates[0]
    b = next(c for c in candidates[1:] if split_of(c, seed, ratios) != split_of(a, seed, ratios))

    landing = tmp_path / "landing"
    (landing / "items").mkdir(parents=True)
    (landing / "smartloop.yml").write_text("duplicate_group_column: conversation\n")
    first = [(f"item-{i:03d}", distinct_text(i), "") for i in range(60)]
    first += [(a, "the oldest message of conversation one", "c1")]
    first += [(b, "a different opening of conversation two", "c2")]
    write_items(landing / "items" / "batch_1.csv", first)
    home = tmp_path / "home"
    assert run_cli("build", "--landing", str(landing), "--home", str(home)).returncode == 0
    before = splits(home)
    assert before[a][0] == split_of(a, seed, ratios) != before[b][0]

    # the new batch: new items, plus one that copies a's text and joins b's conversation
    second = [(f"item-{i:03d}", distinct_text(i), "") for i in range(60, 90)]
    second += [("bridge", "the oldest message of conversation one", "c2")]
    write_items(landing / "items" / "batch_2.csv", second)
    result = run_cli("build", "--landing", str(landing), "--home", str(home))
    assert result.returncode == 0, result.stdout + result.stderr
    after = splits(home)

    moved = {item for item in before if after[item][0] != before[item][0]}
    assert moved == {b}  # the merged cluster keeps the split of its oldest member, a
    assert after[b] == after[a] == after["bridge"] == (before[a][0], a)
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        changes = con.execute(
            "select item_id, previous_split, split, reason from fct_split_assignments "
            "where reason != 'new'"
        ).fetchall()
        n_new = con.execute(
            "select count(*) from fct_split_assignments where reason = 'new'"
        ).fetchone()[0]
    assert changes == [(b, before[b][0], before[a][0], "cluster_merge")]
    assert n_new == len(first) + len(second)


def test_same_data_gives_the_same_split(tmp_path: Path, defects_home: Path) -> None:
    home = tmp_path / "home"
    landing = Path(__file__).parents[1] / "fixtures" / "landing_defects"
    assert run_cli("build", "--landing", str(landing), "--home", str(home)).returncode == 0
    assert splits(home) == splits(defects_home)
