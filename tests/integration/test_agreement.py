"""Inter-annotator agreement marts against hand-worked examples from the literature.

The fixture landing folder holds one annotations file (a batch) per example, each with its
own items and annotators: Krippendorff's (2011) reliability data, the Fleiss' kappa worked
example of Wikipedia (10 subjects, 14 raters), a Cohen 2 x 2 table, and three degenerate
cases (one label only, one annotation per item, pairs sharing too few items). The expected
values are computed here with exact fractions straight from the published formulas, never
by a library or by the SQL under test, and checked against the published rounded values.
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import pytest

from smartloop import paths
from smartloop.settings import landing_settings, project_defaults
from tests.conftest import FIXTURES, query, run_cli

pytestmark = pytest.mark.dbt

AGREEMENT = FIXTURES / "agreement"
SETTINGS = {
    **project_defaults(paths.PROJECT_DIR),
    **landing_settings(AGREEMENT, paths.PROJECT_DIR),
}
MIN_PAIR_OVERLAP = int(SETTINGS["min_pair_overlap"])
TOLERANCE = 1e-9

KRIPPENDORFF_FILE = "annotations/krippendorff_2011.csv"
FLEISS_FILE = "annotations/fleiss_1971.csv"
COHEN_FILE = "annotations/cohen_1960.csv"
SAME_LABEL_FILE = "annotations/same_label.csv"
SINGLE_ANNOTATION_FILE = "annotations/single_annotation.csv"

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers
# x 12 units, nominal values 1..5, "." a missing value; published nominal alpha = 0.743.
KRIPPENDORFF_DATA = {
    "kripp_A": "1 2 3 3 2 1 4 1 2 . . .",
    "kripp_B": "1 2 3 3 2 2 4 1 2 5 . 3",
    "kripp_C": ". 3 3 3 2 3 4 2 2 5 1 .",
    "kripp_D": "1 2 3 3 2 4 4 1 2 5 1 .",
}
# Wikipedia, "Fleiss' kappa", worked example: n_ij, raters of subject i (rows) who chose
# category j (columns 1..5), 14 raters per subject; published kappa = 0.210.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]
# Cohen's 2 x 2 table: (label of cohen_a, label of cohen_b) -> items; kappa = 0.4.
COHEN_TABLE = {("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15}

Units = list[list[str]]


def krippendorff_alpha(units: Units) -> Fraction:
    """Nominal alpha from the coincidence matrix (Krippendorff 2011, section C).

    Units with fewer than two values are not pairable. n = sum m_u, n_c = sum_u n_uc,
    Do' = sum_u (m_u^2 - sum_c n_uc^2) / (m_u - 1), De' = (n^2 - sum_c n_c^2) / (n - 1),
    alpha = 1 - Do' / De'.
    """
    pairable = [Counter(values) for values in units if len(values) >= 2]
    n = sum(sum(unit.values()) for unit in pairable)
    n_c: Counter[str] = sum(pairable, Counter())
    observed = sum(
        Fraction(
            sum(unit.values()) ** 2 - sum(x * x for x in unit.values()),
            sum(unit.values()) - 1,
        )
        for unit in pairable
    )
    expected = Fraction(n * n - sum(x * x for x in n_c.values()), n - 1)
    return 1 - observed / expected


def fleiss_kappa(units: Units) -> Fraction:
    """Fleiss' (1971) kappa, with n_i raters of item i allowed to vary (items with n_i >= 2).

    P_i = (sum_j n_ij^2 - n_i) / (n_i (n_i - 1)), P-bar = mean P_i, p_j = sum_i n_ij / sum_i n_i,
    P_e = sum_j p_j^2, kappa = (P-bar - P_e) / (1 - P_e).
    """
    pairable = [Counter(values) for values in units if len(values) >= 2]
    agreements = [
        Fraction(
            sum(x * x for x in item.values()) - sum(item.values()),
            sum(item.values()) * (sum(item.values()) - 1),
        )
        for item in pairable
    ]
    p_bar = sum(agreements, Fraction(0)) / len(agreements)
    n = sum(sum(item.values()) for item in pairable)
    totals: Counter[str] = sum(pairable, Counter())
    p_e = sum((Fraction(x, n) ** 2 for x in totals.values()), Fraction(0))
    return (p_bar - p_e) / (1 - p_e)


def cohen_kappa(pairs: list[tuple[str, str]]) -> tuple[Fraction, Fraction, Fraction]:
    """Cohen (1960): p_o, p_e = sum_k p_a(k) p_b(k), kappa = (p_o - p_e) / (1 - p_e)."""
    n = len(pairs)
    p_o = Fraction(sum(a == b for a, b in pairs), n)
    marginal_a = Counter(a for a, _ in pairs)
    marginal_b = Counter(b for _, b in pairs)
    p_e = sum((Fraction(marginal_a[k] * marginal_b[k], n * n) for k in marginal_a), Fraction(0))
    return p_o, p_e, (p_o - p_e) / (1 - p_e)


def dichotomise(units: Units, label: str) -> Units:
    """The units with every value recoded to 'this label' or 'any other label'."""
    return [["this" if value == label else "other" for value in values] for values in units]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def landed_annotations(files: Iterable[str] | None = None) -> list[dict[str, str]]:
    """Annotation rows of the fixture, of the named files or of every file."""
    names = files or sorted(
        str(path.relative_to(AGREEMENT)) for path in AGREEMENT.glob("annotations/*.csv")
    )
    return [{**row, "source_file": name} for name in names for row in read_csv(AGREEMENT / name)]


def units_of(rows: Iterable[dict[str, str]]) -> Units:
    """The labels of each item: one unit per item, one value per annotation."""
    units: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        units[row["item_id"]].append(row["label"])
    return list(units.values())


@pytest.fixture(scope="module")
def agreement_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home built once from the agreement fixture."""
    home = tmp_path_factory.mktemp("agreement_home")
    result = run_cli("build", "--landing", str(AGREEMENT), "--home", str(home))
    assert result.returncode == 0, result.stdout + result.stderr
    return home


def agreement_rows(home: Path, scope: str, scope_value: str | None = None) -> dict[str, tuple]:
    """metric -> (value, n_items, n_annotations, n_annotators, n_labels, reason) of one scope."""
    rows = query(
        home,
        "select metric, value, n_items, n_annotations, n_annotators, n_labels, "
        "not_applicable_reason from rpt_label_agreement "
        "where scope = ? and scope_value is not distinct from ?",
        [scope, scope_value],
    )
    return {row[0]: row[1:] for row in rows}


def pair_row(home: Path, annotator_a: str, annotator_b: str) -> tuple:
    """(n_shared_items, observed, expected, kappa, reason) of one annotator pair."""
    rows = query(
        home,
        "select n_shared_items, observed_agreement, expected_agreement, cohen_kappa, "
        "not_applicable_reason from fct_annotator_pairs where annotator_a = ? and annotator_b = ?",
        [annotator_a, annotator_b],
    )
    assert len(rows) == 1
    return rows[0]


def krippendorff_units() -> Units:
    columns = [values.split() for values in KRIPPENDORFF_DATA.values()]
    return [[value for value in unit if value != "."] for unit in zip(*columns, strict=True)]


def fleiss_units() -> Units:
    return [[str(j + 1) for j, n_ij in enumerate(row) for _ in range(n_ij)] for row in FLEISS_TABLE]


def cohen_pairs() -> list[tuple[str, str]]:
    return [pair for pair, n in COHEN_TABLE.items() for _ in range(n)]


def test_hand_worked_values_match_the_published_ones() -> None:
    assert round(float(krippendorff_alpha(krippendorff_units())), 3) == 0.743
    assert round(float(fleiss_kappa(fleiss_units())), 3) == 0.210
    assert cohen_kappa(cohen_pairs()) == (Fraction(7, 10), Fraction(1, 2), Fraction(2, 5))


def test_fixture_files_hold_the_published_tables() -> None:
    assert sorted(map(sorted, units_of(landed_annotations([KRIPPENDORFF_FILE])))) == sorted(
        sorted(unit) for unit in krippendorff_units() if unit
    )
    assert sorted(map(sorted, units_of(landed_annotations([FLEISS_FILE])))) == sorted(
        map(sorted, fleiss_units())
    )
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for row in landed_annotations([COHEN_FILE]):
        labels[row["item_id"]][row["annotator_id"]] = row["label"]
    assert Counter((pair["cohen_a"], pair["cohen_b"]) for pair in labels.values()) == Counter(
        COHEN_TABLE
    )


def test_krippendorff_alpha_of_the_published_reliability_data(agreement_home: Path) -> None:
    rows = agreement_rows(agreement_home, "batch", KRIPPENDORFF_FILE)
    value, n_items, n_annotations, n_annotators, n_labels, reason = rows["krippendorff_alpha"]
    assert value == pytest.approx(float(krippendorff_alpha(krippendorff_units())), abs=TOLERANCE)
    # unit 12 has a single value: 11 pairable units with 40 of the 41 values
    assert (n_items, n_annotations, n_annotators, n_labels, reason) == (11, 40, 4, 5, None)


def test_fleiss_kappa_of_the_published_example(agreement_home: Path) -> None:
    rows = agreement_rows(agreement_home, "batch", FLEISS_FILE)
    value, n_items, n_annotations, n_annotators, n_labels, reason = rows["fleiss_kappa"]
    assert value == pytest.approx(float(fleiss_kappa(fleiss_units())), abs=TOLERANCE)
    assert (n_items, n_annotations, n_annotators, n_labels, reason) == (10, 140, 14, 5, None)


def test_cohen_kappa_of_the_two_by_two_table(agreement_home: Path) -> None:
    p_o, p_e, kappa = cohen_kappa(cohen_pairs())
    n_shared, observed, expected, got_kappa, reason = pair_row(agreement_home, "cohen_a", "cohen_b")
    assert (n_shared, reason) == (50, None)
    assert observed == pytest.approx(float(p_o), abs=TOLERANCE)
    assert expected == pytest.approx(float(p_e), abs=TOLERANCE)
    assert got_kappa == pytest.approx(float(kappa), abs=TOLERANCE)


@pytest.mark.parametrize("source_file", [KRIPPENDORFF_FILE, FLEISS_FILE, COHEN_FILE])
def test_both_metrics_of_every_example_batch(agreement_home: Path, source_file: str) -> None:
    units = units_of(landed_annotations([source_file]))
    rows = agreement_rows(agreement_home, "batch", source_file)
    assert rows["krippendorff_alpha"][0] == pytest.approx(
        float(krippendorff_alpha(units)), abs=TOLERANCE
    )
    assert rows["fleiss_kappa"][0] == pytest.approx(float(fleiss_kappa(units)), abs=TOLERANCE)


def test_overall_agreement_pools_every_batch(agreement_home: Path) -> None:
    units = units_of(landed_annotations())
    rows = agreement_rows(agreement_home, "overall")
    assert rows["krippendorff_alpha"][0] == pytest.approx(
        float(krippendorff_alpha(units)), abs=TOLERANCE
    )
    assert rows["fleiss_kappa"][0] == pytest.approx(float(fleiss_kappa(units)), abs=TOLERANCE)
    assert query(
        agreement_home,
        "select count(*) from rpt_label_agreement "
        "where scope = 'overall' and (scope_column is not null or scope_value is not null)",
    ) == [(0,)]


def test_label_scope_dichotomises_the_labels(agreement_home: Path) -> None:
    # label 5 against any other, over every annotation: binary alpha and Fleiss'
    # category-specific kappa, by the same formulas on the recoded values
    units = dichotomise(units_of(landed_annotations()), "5")
    rows = agreement_rows(agreement_home, "label", "5")
    assert rows["krippendorff_alpha"][0] == pytest.approx(
        float(krippendorff_alpha(units)), abs=TOLERANCE
    )
    assert rows["fleiss_kappa"][0] == pytest.approx(float(fleiss_kappa(units)), abs=TOLERANCE)
    assert rows["fleiss_kappa"][4] == 2


def test_slices_are_metadata_values_of_few_distinct_values(agreement_home: Path) -> None:
    items = {row["item_id"]: row for row in read_csv(AGREEMENT / "items" / "items.csv")}
    annotations = landed_annotations()
    # author is personal and reference has a value per item: neither is a slice
    columns = query(
        agreement_home,
        "select distinct scope_column from rpt_label_agreement where scope = 'slice'",
    )
    assert columns == [("channel",)]
    for channel in sorted({row["channel"] for row in items.values()}):
        units = units_of(row for row in annotations if items[row["item_id"]]["channel"] == channel)
        rows = agreement_rows(agreement_home, "slice", channel)
        assert rows["krippendorff_alpha"][0] == pytest.approx(
            float(krippendorff_alpha(units)), abs=TOLERANCE
        )
        assert rows["fleiss_kappa"][0] == pytest.approx(float(fleiss_kappa(units)), abs=TOLERANCE)


def test_one_label_only_has_no_value(agreement_home: Path) -> None:
    rows = agreement_rows(agreement_home, "batch", SAME_LABEL_FILE)
    for metric in ("krippendorff_alpha", "fleiss_kappa"):
        assert rows[metric] == (None, 20, 40, 2, 1, "every annotation has the same label")
    n_shared, observed, expected, kappa, reason = pair_row(agreement_home, "same_a", "same_b")
    assert (n_shared, observed, expected, kappa) == (20, 1.0, 1.0, None)
    assert reason == "every shared label is the same class"


def test_one_annotation_per_item_has_no_value(agreement_home: Path) -> None:
    rows = agreement_rows(agreement_home, "batch", SINGLE_ANNOTATION_FILE)
    for metric in ("krippendorff_alpha", "fleiss_kappa"):
        assert rows[metric] == (None, 0, 0, 1, 0, "no item has two or more annotations")


def test_pairs_with_few_shared_items_have_no_kappa(agreement_home: Path) -> None:
    rows = query(
        agreement_home,
        "select annotator_a, annotator_b, n_shared_items, cohen_kappa, not_applicable_reason "
        "from fct_annotator_pairs where annotator_a like 'kripp%'",
    )
    assert len(rows) == 6
    for _, _, n_shared, kappa, reason in rows:
        assert n_shared < MIN_PAIR_OVERLAP
        assert kappa is None
        assert reason == f"fewer than {MIN_PAIR_OVERLAP} shared items"


def test_one_row_per_pair_of_named_annotators(agreement_home: Path) -> None:
    annotators: dict[str, set[str]] = defaultdict(set)
    for row in landed_annotations():
        annotators[row["item_id"]].add(row["annotator_id"])
    expected = {(a, b) for names in annotators.values() for a in names for b in names if a < b}
    got = query(agreement_home, "select annotator_a, annotator_b from fct_annotator_pairs")
    assert sorted(got) == sorted(expected)


def test_no_nan_in_the_agreement_marts(agreement_home: Path) -> None:
    values = query(agreement_home, "select value from rpt_label_agreement") + query(
        agreement_home,
        "select observed_agreement from fct_annotator_pairs union all "
        "select expected_agreement from fct_annotator_pairs union all "
        "select cohen_kappa from fct_annotator_pairs",
    )
    assert values
    assert not any(value is not None and not math.isfinite(value) for (value,) in values)
