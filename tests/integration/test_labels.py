"""Labels as data, end to end: consensus on a simulated crowd, annotator accuracy, reviews
that change the consensus, a label schema that changes, and the history of every change."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from smartloop import paths, synth
from tests.conftest import build, query, run_cli

pytestmark = pytest.mark.dbt

ACCURACIES = synth.CROWD_ACCURACIES


def read_truth(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["item_id"]: row["label"] for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, float]]:
    """2,000 items, each labelled by 3 of 5 annotators of accuracy 0.55 to 0.95, 3 labels."""
    landing = tmp_path_factory.mktemp("crowd_landing")
    realised = synth.write_crowd(landing, n_items=2000, seed=11)
    home = tmp_path_factory.mktemp("crowd_home")
    build(landing, home)
    return landing, home, realised


def test_dawid_skene_beats_majority_vote_on_a_crowd(crowd) -> None:
    landing, home, _ = crowd
    truth = read_truth(landing / "truth" / "labels.csv")
    rows = query(home, "select item_id, label, label_method, majority_label from fct_item_labels")
    assert len(rows) == len(truth) == 2000
    assert {method for _, _, method, _ in rows} == {"dawid_skene"}
    ds_accuracy = sum(label == truth[item] for item, label, _, _ in rows) / len(rows)
    mv_accuracy = sum(majority == truth[item] for item, _, _, majority in rows) / len(rows)
    print(f"Dawid-Skene accuracy {ds_accuracy:.4f}, majority vote {mv_accuracy:.4f}")
    assert ds_accuracy >= mv_accuracy + 0.03


def test_dawid_skene_recovers_each_annotators_accuracy(crowd) -> None:
    _, home, realised = crowd
    estimated = dict(query(home, "select annotator_id, dawid_skene_accuracy from dim_annotators"))
    assert set(estimated) == set(realised)
    for position, annotator in enumerate(sorted(realised)):
        print(annotator, ACCURACIES[position], round(realised[annotator], 4), estimated[annotator])
        assert abs(estimated[annotator] - ACCURACIES[position]) <= 0.05
        assert abs(estimated[annotator] - realised[annotator]) <= 0.05


def test_annotator_confusion_rows_are_distributions(crowd) -> None:
    _, home, _ = crowd
    sums = query(
        home,
        "select annotator_id, consensus_label, sum(dawid_skene_probability), "
        "sum(share_of_consensus_label) from fct_annotator_confusion group by all",
    )
    assert len(sums) == 5 * 3
    for _, _, probability, share in sums:
        assert probability == pytest.approx(1.0)
        assert share == pytest.approx(1.0)


def test_contested_items_are_the_uncertain_ones(crowd) -> None:
    _, home, _ = crowd
    (n_contested, n_confident_contested, n_tied_uncontested) = query(
        home,
        "select count(*) filter (where is_contested), "
        "count(*) filter (where is_contested and label_confidence >= 0.7 "
        "and majority_label = dawid_skene_label and not is_tied), "
        "count(*) filter (where is_tied and not is_contested) from fct_item_labels",
    )[0]
    assert n_contested > 0
    assert n_confident_contested == 0
    assert n_tied_uncontested == 0


@pytest.fixture(scope="module")
def revised(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A small crowd built four times: as landed, after reviews, after a label rename, and
    with a cycle in the label schema. What each build published is recorded."""
    landing = tmp_path_factory.mktemp("revised_landing")
    synth.write_crowd(landing, n_items=300, seed=5)
    home = tmp_path_factory.mktemp("revised_home")
    out: dict[str, object] = {"landing": landing, "home": home}

    build(landing, home)
    first = dict(query(home, "select item_id, label from fct_item_labels"))
    out["first"] = first
    wrong_item = sorted(first)[0]
    other = next(label for label in synth.CROWD_LABELS if label != first[wrong_item])
    out["relabelled"] = (wrong_item, first[wrong_item], other)
    confirmed_item, unusable_item = sorted(first)[1], sorted(first)[2]
    out["confirmed"] = (confirmed_item, first[confirmed_item])
    out["unusable"] = unusable_item
    synth.write_csv(
        landing / "reviews" / "review_0001.csv",
        ["review_id", "item_id", "label", "action", "reviewer", "reason", "created_at"],
        [
            [
                "r1",
                wrong_item,
                other,
                "relabel",
                "rita",
                "sarcasm, read the whole text",
                "2026-02-01T10:00:00",
            ],
            [
                "r2",
                confirmed_item,
                first[confirmed_item],
                "confirm",
                "rita",
                "",
                "2026-02-01T10:01:00",
            ],
            [
                "r3",
                unusable_item,
                "",
                "unusable",
                "sam",
                "text is truncated",
                "2026-02-01T10:02:00",
            ],
        ],
    )
    build(landing, home)
    out["reviewed"] = {
        row[0]: row[1:]
        for row in query(
            home,
            "select item_id, label, label_method, is_reviewed, is_trainable, reviewed_by "
            "from fct_item_labels",
        )
    }
    out["changes_after_review"] = query(
        home,
        "select item_id, from_label, to_label, cause, changed_by, reason, is_label_changed "
        "from fct_label_changes where cause <> 'first_label'",
    )

    # 'neutral' is renamed 'indifferent': every neutral annotation now maps to it
    synth.write_csv(
        landing / "label_schema.csv",
        ["label", "description", "is_active", "replaced_by"],
        [
            ["negative", "The text is negative.", "true", ""],
            ["neutral", "Renamed.", "false", "indifferent"],
            ["indifferent", "The text is neither.", "true", ""],
            ["positive", "The text is positive.", "true", ""],
        ],
    )
    build(landing, home)
    out["renamed_labels"] = dict(
        query(home, "select label, count(*) from fct_item_labels group by label")
    )
    out["changes_after_rename"] = query(
        home,
        "select item_id, from_label, to_label, cause from fct_label_changes "
        "where from_label = 'neutral' and to_label = 'indifferent'",
    )
    out["serving_before_cycle"] = paths.serving_path(home).read_bytes()

    synth.write_csv(
        landing / "label_schema.csv",
        ["label", "description", "is_active", "replaced_by"],
        [
            ["negative", "The text is negative.", "true", ""],
            ["neutral", "Renamed.", "false", "indifferent"],
            ["indifferent", "Merged back.", "false", "neutral"],
            ["positive", "The text is positive.", "true", ""],
        ],
    )
    out["cycle_result"] = run_cli("build", "--landing", str(landing), "--home", str(home))
    out["serving_after_cycle"] = paths.serving_path(home).read_bytes()
    return out


def test_a_relabel_review_changes_the_consensus(revised) -> None:
    item, before, after = revised["relabelled"]
    label, method, is_reviewed, is_trainable, reviewed_by = revised["reviewed"][item]
    assert (label, method, is_reviewed, is_trainable, reviewed_by) == (
        after,
        "review",
        True,
        True,
        "rita",
    )
    assert before != after


def test_the_relabel_is_in_the_label_history_with_reviewer_and_reason(revised) -> None:
    item, before, after = revised["relabelled"]
    changes = [row for row in revised["changes_after_review"] if row[0] == item]
    assert changes == [
        (item, before, after, "review", "rita", "sarcasm, read the whole text", True)
    ]


def test_a_confirm_keeps_the_label_and_is_recorded(revised) -> None:
    item, label = revised["confirmed"]
    assert revised["reviewed"][item][:2] == (label, "review")
    changes = [row for row in revised["changes_after_review"] if row[0] == item]
    assert changes == [(item, label, label, "review", "rita", "review: confirm", False)]


def test_an_unusable_item_keeps_its_label_but_is_not_trained_on(revised) -> None:
    item = revised["unusable"]
    label, method, is_reviewed, is_trainable, reviewed_by = revised["reviewed"][item]
    assert label == revised["first"][item]
    assert method != "review"
    assert (is_reviewed, is_trainable, reviewed_by) == (True, False, "sam")


def test_only_reviewed_items_changed_after_the_reviews(revised) -> None:
    reviewed_items = {revised["relabelled"][0], revised["confirmed"][0], revised["unusable"]}
    assert {row[0] for row in revised["changes_after_review"]} <= reviewed_items


def test_a_renamed_label_maps_all_evidence_and_never_reaches_training(revised) -> None:
    first_neutral = sum(label == "neutral" for label in revised["first"].values())
    assert first_neutral > 0
    reviewed_neutral = sum(row[0] == "neutral" for row in revised["reviewed"].values())
    assert "neutral" not in revised["renamed_labels"]
    assert revised["renamed_labels"]["indifferent"] == reviewed_neutral
    causes = {cause for _, _, _, cause in revised["changes_after_rename"]}
    assert causes == {"schema_remap"}
    assert len(revised["changes_after_rename"]) == revised["renamed_labels"]["indifferent"]


def test_a_cycle_in_the_label_schema_fails_the_build_with_a_message(revised) -> None:
    result = revised["cycle_result"]
    assert result.returncode != 0
    assert "replaced_by chain of label" in result.stderr + result.stdout
    assert "is a cycle" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    # the failed build published nothing: the serving file is the previous one
    assert revised["serving_after_cycle"] == revised["serving_before_cycle"]


def test_the_demo_has_one_annotator_and_agreement_is_not_applicable(demo_home: Path) -> None:
    (annotators,) = query(demo_home, "select count(*) from dim_annotators")[0]
    assert annotators == 1
    rows = query(
        demo_home,
        "select loo_accuracy, dawid_skene_accuracy, loo_not_applicable_reason from dim_annotators",
    )
    assert rows == [(None, None, "no item shared with another annotator")]
    methods = query(demo_home, "select distinct label_method, label_agreement from fct_item_labels")
    assert methods == [("majority", None)]
    agreement = query(
        demo_home, "select distinct value, not_applicable_reason from rpt_label_agreement"
    )
    assert agreement == [(None, "no item has two or more annotations")]
    assert query(demo_home, "select count(*) from rpt_label_agreement where scope = 'overall'") == [
        (2,)
    ]


def test_weighted_reviews_and_every_annotation_round(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    synth.write_crowd(landing, n_items=200, seed=3)
    (landing / "smartloop.yml").write_text(
        "label_schema_file: label_schema.csv\nreview_weight: 2\nannotation_rounds: all\n",
        encoding="utf-8",
    )
    with open(landing / "annotations" / "crowd.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # annotator_1 labels its first ten items again, later: a second round
    again = [row for row in rows if row["annotator_id"] == "annotator_1"][:10]
    synth.write_csv(
        landing / "annotations" / "round_2.csv",
        ["item_id", "annotator_id", "label", "annotated_at"],
        [[row["item_id"], "annotator_1", row["label"], "2026-06-01T00:00:00"] for row in again],
    )
    item = rows[0]["item_id"]
    synth.write_csv(
        landing / "reviews" / "r.csv",
        ["review_id", "item_id", "label", "action", "reviewer", "reason", "created_at"],
        [["r1", item, "positive", "relabel", "rita", "checked", "2026-07-01T00:00:00"]],
    )
    home = tmp_path / "home"
    build(landing, home)
    n_annotations = dict(query(home, "select item_id, n_annotations from fct_item_labels"))
    assert sum(n_annotations.values()) == len(rows) + len(again)
    assert n_annotations[again[0]["item_id"]] == 4
    (method, is_reviewed, reviewed_by) = query(
        home,
        "select label_method, is_reviewed, reviewed_by from fct_item_labels "
        f"where item_id = '{item}'",
    )[0]
    # a weighted review is one more vote, not the decision
    assert (method, is_reviewed, reviewed_by) == ("dawid_skene", True, "rita")
    annotators = {row[0] for row in query(home, "select annotator_id from dim_annotators")}
    assert annotators == {f"annotator_{a}" for a in range(1, 6)}
