"""Slices that hold up, end to end: on 5,000 synthetic items with one failing 2-way slice
planted (15% of its labels flipped), slice discovery must rank it first with its parents
explained, report no failing slice on 100 shuffles of the errors (the null), and every
reported number must agree with an independent computation in Python."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb
import pytest
from scipy.stats import hypergeom

from smartloop import paths, synth
from smartloop.slice_calibration import null_calibration
from tests.conftest import build, query, run_cli

pytestmark = pytest.mark.dbt

PLANTED = synth.FLIP_SLICE_NAME
PARENTS = {f"{column} = {value}" for column, value in synth.FLIP_SLICE}
Z_95 = 1.959963984540054
SPLITS = ("train", "validation", "test")


@pytest.fixture(scope="module")
def synthetic(synthetic_build) -> dict[str, object]:
    """The shared synthetic build: what rpt_failing_slices said after its first build, then
    built again (the same data) for history."""
    home = synthetic_build["home"]
    first = query(
        home,
        "select split, slice_name, previous_build_id, is_new_since_previous_run "
        "from rpt_failing_slices",
    )
    build(synthetic_build["landing"], home)
    return {**synthetic_build, "first": first}


def test_the_planted_slice_fails_first_and_explains_its_parents(synthetic) -> None:
    home = synthetic["home"]
    rows = query(
        home,
        "select split, slice_name, slice_rank, n_items, error_rate_difference, q_value, "
        "explained_slice_names from rpt_failing_slices order by split, slice_rank",
    )
    for row in rows:
        print(row)
    (n_planted,) = query(
        home,
        "select sum(n_items) from fct_slice_metrics where slice_name = ?",
        [PLANTED],
    )[0]
    assert n_planted >= 300
    for split in SPLITS:
        listed = [row[1] for row in rows if row[0] == split]
        # first wherever it is listed, so none of its parents is above it
        assert PLANTED not in listed or listed[0] == PLANTED, split
    first = {row[0]: row for row in rows if row[2] == 1}
    for split in ("train", "test"):  # validation holds 78 of its items: too few to tell
        name, _, _, difference, q_value, _ = first[split][1:]
        assert name == PLANTED and q_value < 0.05 and difference >= 0.10, split
    train = {row[1]: row for row in rows if row[0] == "train"}
    assert train[PLANTED][3] >= 250 and train[PLANTED][5] < 1e-20
    # the wider video slice fails only through the planted one
    assert "video = katy_perry" in train[PLANTED][6]
    assert not PARENTS & set(train)


def test_few_slices_fail(synthetic) -> None:
    home = synthetic["home"]
    (n_tested,) = query(home, "select count(*) from fct_slice_metrics where p_value is not null")[0]
    per_split = dict(query(home, "select split, count(*) from rpt_failing_slices group by split"))
    print(f"{n_tested} slice tests, failing per split: {per_split}")
    assert n_tested > 600
    assert all(count <= 10 for count in per_split.values())


def test_shuffled_errors_report_no_failing_slice(synthetic) -> None:
    # the null: the same items, slices and error counts, errors shuffled within each split
    calibration = null_calibration(synthetic["home"], runs=100, seed=0)
    print(calibration.summary())
    # the harness reruns the build's own SQL: unshuffled, it finds what the build found
    built = query(
        synthetic["home"],
        "select split, slice_name from fct_slice_metrics where is_failing order by all",
    )
    assert list(calibration.observed.failing) == built
    assert calibration.observed.n_tested > 600
    assert all(run.n_tested == calibration.observed.n_tested for run in calibration.null_runs)
    assert len(calibration.null_runs) == 100
    assert calibration.false_alarm_share <= 0.05


def test_every_slice_predicate_selects_its_items(synthetic) -> None:
    home = synthetic["home"]
    with duckdb.connect(str(paths.serving_path(home)), read_only=True) as con:
        slices = con.execute(
            "select split, slice_name, slice_predicate, n_items, n_errors from fct_slice_metrics"
        ).fetchall()
        assert len(slices) > 300
        for split, name, predicate, n_items, n_errors in slices:
            counted = con.execute(
                "select count(*), count(*) filter (where item_id in (select item_id from "
                "fct_predictions where predicted_label <> given_label)) from dim_items "
                f"where split = ? and is_trainable and ({predicate})",
                [split],
            ).fetchone()
            assert counted == (n_items, n_errors), (split, name, predicate)


def test_names_and_keys_follow_the_predicates(synthetic) -> None:
    home = synthetic["home"]
    rows = query(
        home,
        "select slice_id, md5(slice_predicate), slice_name, n_predicates from fct_slice_metrics",
    )
    for slice_id, predicate_md5, name, n_predicates in rows:
        assert slice_id == predicate_md5
        columns = [part.split(" = ")[0] for part in name.split(" AND ")]
        assert len(columns) == n_predicates and columns == sorted(set(columns))
    # the same slice has the same id in every split
    ids = query(
        home,
        "select count(distinct slice_id) from fct_slice_metrics where slice_name = ?",
        [PLANTED],
    )
    assert ids == [(1,)]


def wilson(errors: int, n: int) -> tuple[float, float]:
    p = errors / n
    centre = (p + Z_95**2 / (2 * n)) / (1 + Z_95**2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + Z_95**2 / (4 * n * n)) / (1 + Z_95**2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def test_intervals_p_values_and_q_values_agree_with_python(synthetic) -> None:
    home = synthetic["home"]
    rows = query(
        home,
        "select split, slice_id, n_items, n_errors, n_rest_items, n_rest_errors, wilson_lower, "
        "wilson_upper, p_value, q_value from fct_slice_metrics",
    )
    tests: list[tuple[float, str, str]] = []
    for split, slice_id, n, errors, n_rest, rest_errors, lower, upper, p_value, _ in rows:
        assert (lower, upper) == pytest.approx(wilson(errors, n), abs=1e-12)
        # one-sided Fisher exact: P(X >= errors), X ~ hypergeometric(split items, its errors, n)
        expected = hypergeom.sf(errors - 1, n + n_rest, errors + rest_errors, n)
        assert p_value == pytest.approx(min(1.0, expected), rel=1e-9, abs=1e-300)
        tests.append((p_value, split, slice_id))
    # Benjamini-Hochberg over every tested slice of the run, all splits together
    q_values = {(split, slice_id): q for split, slice_id, *_, q in rows}
    tests.sort()
    m = len(tests)
    running = 1.0
    for rank in range(m, 0, -1):
        p_value, split, slice_id = tests[rank - 1]
        running = min(running, p_value * m / rank)
        assert q_values[(split, slice_id)] == pytest.approx(running, rel=1e-12)


def test_history_keeps_every_build_and_flags_what_is_new(synthetic) -> None:
    home = synthetic["home"]
    builds = query(
        home,
        "select build_id, count(*) from fct_slice_metrics_history "
        "group by build_id order by min(recorded_at)",
    )
    assert len(builds) == 2
    assert builds[0][1] == builds[1][1]  # the same data measures the same slices
    # the first build has nothing to compare with
    assert synthetic["first"] and all(
        row[2] is None and row[3] is None for row in synthetic["first"]
    )
    # the second compares with the first: the same data, nothing new, nothing regressed
    rows = query(
        home,
        "select previous_build_id, is_new_since_previous_run, is_regressed, "
        "previous_error_rate = error_rate from rpt_failing_slices",
    )
    assert rows and all(row == (builds[0][0], False, False, True) for row in rows)


def test_the_demo_names_its_label_leak(demo_home: Path) -> None:
    with duckdb.connect(str(paths.serving_path(demo_home)), read_only=True) as con:
        leaks = con.execute(
            "select slice_name, top_label, n_items, purity from rpt_label_leaks order by leak_rank"
        ).fetchall()
    # every comment without a publication date is spam
    assert leaks[0][:2] == ("published_at_month = (missing)", "spam")
    assert leaks[0][3] == 1.0


def test_a_quality_gate_set_to_error_stops_the_build(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(paths.DEMO_LANDING_DIR, landing)
    settings = (landing / "smartloop.yml").read_text(encoding="utf-8")
    (landing / "smartloop.yml").write_text(
        settings + "\nmin_validation_accuracy: 0.999\nquality_gate_severity: error\n",
        encoding="utf-8",
    )
    result = run_cli("build", "--landing", str(landing), "--home", str(tmp_path / "home"))
    assert result.returncode == 1
    assert "assert_validation_accuracy_above_minimum" in result.stderr
    assert not paths.serving_path(tmp_path / "home").exists()
