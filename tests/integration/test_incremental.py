"""A build on a warehouse that already holds earlier builds reuses its caches (signatures,
verified similarities) and publishes the same marts as a fresh build of the same files."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from smartloop import paths, synth
from tests.conftest import build, query
from tests.integration.test_determinism import table_checksums

pytestmark = pytest.mark.dbt

# Tables that keep one row (or more) per build: they differ between one build and two.
HISTORY = {
    "fct_label_changes",
    "fct_model_runs",
    "fct_slice_metrics_history",
    "fct_source_file_loads",
    "fct_split_assignments",
    "rpt_failing_slices",  # is_new_since_previous_run
    "rpt_pipeline_runs",
}
LATE_BATCH = "items/batch_002.csv"  # sorts before two earlier batches: their landing ranks move
DELETED_ITEM = "s5-00000000"
CANARY_ITEM = "s5-00000001"


def warehouse_rows(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def cache_rows(home: Path, table: str) -> set[tuple]:
    """A cache's rows, lists as tuples."""
    rows = warehouse_rows(home, f"select * from intermediate.{table}")
    return {tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in rows}


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """An incremental home (a build without one batch, then one with it and a deletion
    request, whose cached rows were marked in between) and a fresh home of the final files."""
    root = tmp_path_factory.mktemp("incremental")
    landing = root / "landing"
    synth.generate(1500, 5, landing, crowd_share=0.2)
    held_back = root / "late.csv"
    shutil.move(landing / LATE_BATCH, held_back)
    retracted = landing / "items" / "retracted.csv"  # landed in the first build only
    retracted.write_text(
        "item_id,text,video\n"
        + "".join(
            f"retracted-{i},a retracted text number {i} mail me at x{i}@example.org,psy\n"
            for i in range(3)
        )
    )
    incremental = root / "incremental"
    build(landing, incremental)
    retracted_values = warehouse_rows(
        incremental,
        "select count(*) from intermediate.int_text_redactions where value_hash in "
        "(select value_hash from intermediate.int_item_values where item_id like 'retracted-%')",
    )[0][0]
    assert retracted_values >= 3
    retracted.unlink()

    # Mark cached rows in columns no model reads: a rebuild that recomputed them would
    # overwrite the marks.
    ((deleted_key,),) = warehouse_rows(
        incremental,
        "select text_key_hash from intermediate.int_item_text_keys where item_id = ?",
        [DELETED_ITEM],
    )
    with duckdb.connect(str(incremental / "warehouse.duckdb")) as con:
        con.execute("update intermediate.int_text_key_signatures set n_shingles = -n_shingles")
        con.execute("update intermediate.int_text_key_similarities set n_shared = -n_shared - 1")
    shutil.move(held_back, landing / LATE_BATCH)
    (landing / "deletions" / "request.csv").write_text(
        f"item_id,pseudonym,requested_at,reason\n{DELETED_ITEM},,2026-03-01T10:00:00,erase\n"
    )
    build(landing, incremental)
    fresh = root / "fresh"
    build(landing, fresh)

    # A redaction is read back, not computed again: a cached redaction changed by hand
    # reaches the items mart of the next build.
    canary = root / "canary"
    shutil.copytree(fresh, canary)
    with duckdb.connect(str(canary / "warehouse.duckdb")) as con:
        con.execute(
            "update intermediate.int_text_redactions set redacted_value = 'canary' "
            "where value_hash = (select value_hash from intermediate.int_item_values "
            "where item_id = ? and metadata_key is null)",
            [CANARY_ITEM],
        )
    build(landing, canary)
    return {
        "incremental": incremental,
        "fresh": fresh,
        "canary": canary,
        "deleted_key": deleted_key,
    }


def test_rebuild_publishes_the_marts_of_a_fresh_build(homes: dict[str, Path]) -> None:
    incremental = table_checksums(paths.serving_path(homes["incremental"]))
    fresh = table_checksums(paths.serving_path(homes["fresh"]))
    assert fresh["dim_items"][0] > 1000 and fresh["fct_duplicate_pairs"][0] > 50
    assert set(incremental) == set(fresh)
    assert {t for t in fresh if t not in HISTORY and incremental[t] != fresh[t]} == set()


def test_rebuild_reuses_cached_rows_and_computes_only_new_ones(homes: dict[str, Path]) -> None:
    for home in (homes["incremental"], homes["fresh"]):
        (n_keys,) = warehouse_rows(
            home, "select count(*) from intermediate.int_item_text_keys where is_representative"
        )[0]
        assert len(cache_rows(home, "int_text_key_signatures")) == n_keys
    reused = warehouse_rows(
        homes["incremental"],
        "select count(*) filter (where n_shingles < 0), count(*) filter (where n_shingles > 0) "
        "from intermediate.int_text_key_signatures",
    )[0]
    assert reused[0] > 800 and 100 < reused[1] < reused[0] / 3  # the late batch's keys only
    verified = warehouse_rows(
        homes["incremental"],
        "select count(*) filter (where n_shared < 0), count(*) filter (where n_shared >= 0) "
        "from intermediate.int_text_key_similarities",
    )[0]
    assert verified[0] > 0 and verified[1] > 0


def test_rebuild_reads_redactions_back_from_the_cache(homes: dict[str, Path]) -> None:
    texts = query(homes["canary"], "select text from dim_items where item_id = ?", [CANARY_ITEM])
    assert texts == [("canary",)]
    assert (
        query(homes["fresh"], "select text from dim_items where item_id = ?", [CANARY_ITEM])
        != texts
    )


def test_caches_hold_what_a_fresh_build_computes(homes: dict[str, Path]) -> None:
    """With the marks undone the caches equal the fresh build's: the values and keys of the
    retracted file's items, and the deleted item's key (no other item has that text) and
    its pairs, were purged."""
    incremental, fresh = homes["incremental"], homes["fresh"]
    assert homes["deleted_key"] not in {
        key for key, *_ in cache_rows(incremental, "int_text_key_signatures")
    }
    signatures = {
        (key, fp, abs(n), *rest)
        for key, fp, n, *rest in cache_rows(incremental, "int_text_key_signatures")
    }
    assert signatures == cache_rows(fresh, "int_text_key_signatures")
    redactions = cache_rows(incremental, "int_text_redactions")
    assert len(redactions) > 1500 and redactions == cache_rows(fresh, "int_text_redactions")
    similarities = {
        (a, b, fp, -n - 1 if n < 0 else n, s)
        for a, b, fp, n, s in cache_rows(incremental, "int_text_key_similarities")
    }
    assert similarities == cache_rows(fresh, "int_text_key_similarities")
