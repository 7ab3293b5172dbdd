"""``smartloop slice`` on the built demo: a custom slice's counts equal an independent count
over the serving file, every discovered slice of fct_slice_metrics measures the same as a
custom slice with its predicate, and a rejected predicate exits 2 with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartloop.custom_slices import slice_metrics
from tests.conftest import query, run_cli

pytestmark = pytest.mark.dbt

PREDICATE = "video = 'psy' and length(text) < 40"


def independent_counts(home: Path) -> dict[str, tuple[int, int, int]]:
    """Per split (and 'all'): matched dim_items rows, evaluated items in the slice, errors."""
    matched = dict(
        query(
            home,
            "select split, count(*) from dim_items "
            "where video = 'psy' and length(text) < 40 group by split",
        )
    )
    evaluated = {
        split: (n_items, n_errors)
        for split, n_items, n_errors in query(
            home,
            "select predictions.split, count(*), "
            "count(case when predictions.predicted_label <> predictions.given_label then 1 end) "
            "from fct_predictions as predictions "
            "inner join dim_items as items on predictions.item_id = items.item_id "
            "where predictions.is_trainable and predictions.given_label is not null "
            "and items.video = 'psy' and length(items.text) < 40 "
            "group by predictions.split",
        )
    }
    counts = {
        split: (matched.get(split, 0), *evaluated.get(split, (0, 0)))
        for split in ("train", "validation", "test")
    }
    counts["all"] = tuple(sum(values) for values in zip(*counts.values(), strict=True))
    return counts


def test_slice_prints_counts_equal_to_an_independent_count(demo_home: Path) -> None:
    result = run_cli("slice", PREDICATE, "--home", str(demo_home), "--format", "json")
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["predicate"] == '"video" = \'psy\' AND LENGTH("text") < 40'
    printed = {
        row["split"]: (row["n_matched_items"], row["n_items"], row["n_errors"])
        for row in output["metrics"]
    }
    expected = independent_counts(demo_home)
    assert printed == expected
    assert expected["all"][1] > 0


def test_slice_prints_a_table_per_split(demo_home: Path) -> None:
    result = run_cli("slice", PREDICATE, "--home", str(demo_home))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'Slice: "video" = \'psy\' AND LENGTH("text") < 40'
    assert lines[1].split()[:4] == ["split", "matched", "items", "errors"]
    assert [line.split()[0] for line in lines[2:6]] == ["train", "validation", "test", "all"]
    n_items_all = independent_counts(demo_home)["all"][1]
    assert lines[5].split()[2] == f"{n_items_all:,}"


@pytest.mark.parametrize(
    ("predicate", "reason"),
    [
        ("read_csv('/etc/passwd') is not null", "function read_csv is not allowed"),
        ("label = 'spam'; drop table dim_items", "only one expression is allowed, found a ';'"),
        ("foo = 1", "unknown column 'foo'"),
    ],
)
def test_a_rejected_predicate_exits_2_with_the_reason(
    demo_home: Path, predicate: str, reason: str
) -> None:
    result = run_cli("slice", predicate, "--home", str(demo_home))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"smartloop: {reason}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_no_serving_file_is_one_sentence(tmp_path: Path) -> None:
    result = run_cli("slice", "label = 'spam'", "--home", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"smartloop: no serving file in {tmp_path.resolve()} yet: "
        f"run `smartloop build --home {tmp_path.resolve()}` first."
    )


def test_every_discovered_slice_measures_the_same_as_a_custom_slice(demo_home: Path) -> None:
    """fct_slice_metrics' slice_predicate, typed as a custom slice, gives the same numbers:
    the two are comparable."""
    discovered = query(
        demo_home,
        "select split, slice_predicate, n_items, n_errors, wilson_lower, wilson_upper, "
        "n_rest_items, n_rest_errors, p_value from fct_slice_metrics order by slice_predicate",
    )
    assert len(discovered) > 50
    measured: dict[str, dict[str, dict]] = {}
    for split, predicate, *expected in discovered:
        if predicate not in measured:
            measured[predicate] = {row["split"]: row for row in slice_metrics(demo_home, predicate)}
        row = measured[predicate][split]
        n_items, n_errors, wilson_lower, wilson_upper, n_rest_items, n_rest_errors, p_value = (
            expected
        )
        assert (row["n_items"], row["n_errors"]) == (n_items, n_errors), predicate
        assert (row["n_rest_items"], row["n_rest_errors"]) == (n_rest_items, n_rest_errors)
        assert row["wilson_lower"] == pytest.approx(wilson_lower, rel=1e-9, abs=1e-12)
        assert row["wilson_upper"] == pytest.approx(wilson_upper, rel=1e-9, abs=1e-12)
        if p_value is None:
            assert row["p_value"] is None
        else:
            # the SQL macro's normal CDF is accurate to about 1e-8 relative
            assert row["p_value"] == pytest.approx(p_value, rel=1e-6, abs=1e-15), predicate
