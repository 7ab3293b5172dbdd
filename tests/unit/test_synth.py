"""The synthetic generator: deterministic for a seed, and every planted problem is in the
landing files and recorded in truth/ (no dbt: the build's view is tests/integration/
test_synth_build.py)."""

from __future__ import annotations

import csv
import filecmp
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from smartloop import landing, synth

N = 5000


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("synth") / "landing"
    summary = synth.generate(N, 7, out)
    items = landing.read_landing(out, "items").to_pylist()
    annotations = landing.read_landing(out, "annotations").to_pylist()
    return {"out": out, "summary": summary, "items": items, "annotations": annotations}


def test_the_same_seed_writes_the_same_files(generated, tmp_path: Path) -> None:
    again = tmp_path / "again"
    synth.generate(N, 7, again)
    first = generated["out"]
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        if rel.suffix == ".json":  # summary.json names its folder
            continue
        assert filecmp.cmp(first / rel, again / rel, shallow=False), rel
    other = tmp_path / "other"
    synth.generate(N, 8, other)
    assert not filecmp.cmp(first / "items/batch_000.csv", other / "items/batch_000.csv")


def test_items_land_in_batches_with_the_counts_of_the_summary(generated) -> None:
    out, summary = generated["out"], generated["summary"]
    batches = sorted(p.name for p in (out / "items").glob("batch_*.csv"))
    assert batches == [f"batch_{b:03d}.csv" for b in range(5)]
    clean = [row for row in generated["items"] if row["source_file"] != "items/defects.csv"]
    assert len(clean) == N and len({row["item_id"] for row in clean}) == N
    assert all(row["parse_error"] is None and row["text"].strip() for row in clean)
    truth = out / "truth"
    assert len(_rows(truth / "pii.csv")) == summary.n_pii
    assert len(_rows(truth / "near_duplicates.csv")) == summary.n_near_duplicates
    assert len(_rows(truth / "exact_duplicates.csv")) == summary.n_exact_duplicates
    assert len(_rows(truth / "label_flips.csv")) == summary.n_label_flips
    assert len(_rows(truth / "crowd.csv")) == summary.n_crowd_items == N // 10
    assert len(_rows(truth / "bad_rows.csv")) == summary.n_bad_rows
    recorded = json.loads((truth / "summary.json").read_text())
    assert recorded["n_items"] == N and recorded["n_bad_rows"] == summary.n_bad_rows
    # shares as documented: 10% of originals with PII, 6% near and 4% exact copies
    assert 0.08 * N < summary.n_pii < 0.11 * N
    assert 0.05 * N < summary.n_near_duplicates < 0.07 * N
    assert 0.03 * N < summary.n_exact_duplicates < 0.05 * N


def test_every_pii_type_the_redaction_detects_is_planted(generated) -> None:
    texts = {row["item_id"]: row["text"] for row in generated["items"]}
    planted = _rows(generated["out"] / "truth" / "pii.csv")
    assert {row["pii_type"] for row in planted} == set(synth.PII_TYPES)
    assert set(synth.PII_TYPES) == {
        *("EMAIL", "PHONE", "CARD", "IBAN", "SSN", "IP_ADDRESS", "URL_SECRET", "HANDLE")
    }
    ssn = re.compile(r"my ssn is (\d{3})-(\d{2})-(\d{4})$")
    for row in planted:
        text = texts[row["item_id"]]
        assert synth.PII_LEADS[row["pii_type"]] in text
        if row["pii_type"] == "SSN":
            area, group, serial = ssn.search(text).groups()
            assert area not in ("000", "666") and area < "900"
            assert group != "00" and serial != "0000"


def test_duplicates_copy_an_earlier_original(generated) -> None:
    texts = {  # the batches only: a defects.csv row may repeat an item_id with other text
        row["item_id"]: row["text"]
        for row in generated["items"]
        if row["source_file"] != "items/defects.csv"
    }
    truth = generated["out"] / "truth"
    for row in _rows(truth / "exact_duplicates.csv"):
        assert row["original_item_id"] < row["item_id"]
        assert texts[row["original_item_id"]] == texts[row["item_id"]]
    near = _rows(truth / "near_duplicates.csv")
    assert {row["edit"] for row in near} == {"casing", "punctuation", "swap", "insert", "url"}
    for row in near:
        original, copy = texts[row["original_item_id"]], texts[row["item_id"]]
        assert row["original_item_id"] < row["item_id"] and original != copy
        if row["edit"] == "url":  # the same host, another path or query, the rest kept
            before = [m.groups() for m in synth._URL_RE.finditer(original)]
            after = [m.groups() for m in synth._URL_RE.finditer(copy)]
            assert [host for host, _ in before] == [host for host, _ in after]
            assert before != after
            assert synth._URL_RE.sub("", original) == synth._URL_RE.sub("", copy)


def test_label_flips_are_uniform_and_concentrated_in_the_slice(generated) -> None:
    items = {
        row["item_id"]: json.loads(row["metadata"])
        for row in generated["items"]
        if row["source_file"] != "items/defects.csv"
    }
    given = {
        row["item_id"]: row["label"]
        for row in generated["annotations"]
        if row["source_file"] == "annotations/labels.parquet"
    }
    flips = _rows(generated["out"] / "truth" / "label_flips.csv")
    kinds = [row["kind"] for row in flips]
    assert kinds.count("uniform") == round(N * 0.01)
    in_slice = [
        item
        for item, meta in items.items()
        if all(meta.get(column) == value for column, value in synth.FLIP_SLICE)
    ]
    assert 0.12 * len(in_slice) < kinds.count("slice") < 0.18 * len(in_slice)
    for row in flips:
        assert row["given_label"] == given[row["item_id"]] != row["true_label"]
        if row["kind"] == "slice":
            assert row["item_id"] in in_slice


def test_crowd_labels_part_of_the_unflipped_items(generated) -> None:
    out = generated["out"]
    crowd = {row["item_id"]: row["true_label"] for row in _rows(out / "truth" / "crowd.csv")}
    flipped = {row["item_id"] for row in _rows(out / "truth" / "label_flips.csv")}
    assert not crowd.keys() & flipped
    synth_labels = pq.read_table(out / "annotations" / "labels.parquet").to_pylist()
    synth_items = {row["item_id"] for row in synth_labels}
    assert {row["annotator_id"] for row in synth_labels} == {"synth"}
    assert not synth_items & crowd.keys()
    assert len(synth_items) + len(crowd) == N
    votes = _rows(out / "annotations" / "crowd.csv")
    per_item: dict[str, set[str]] = {}
    for row in votes:
        per_item.setdefault(row["item_id"], set()).add(row["annotator_id"])
    assert per_item.keys() == crowd.keys()
    assert all(len(annotators) == 3 for annotators in per_item.values())
    assert len(votes) == 3 * len(crowd)
    # realised accuracy against the true label, near the nominal one and as recorded
    recorded = {row["annotator_id"]: row for row in _rows(out / "truth" / "annotators.csv")}
    assert recorded.keys() == synth.CROWD_ANNOTATORS.keys()
    for annotator, nominal in synth.CROWD_ANNOTATORS.items():
        mine = [row for row in votes if row["annotator_id"] == annotator]
        realised = sum(row["label"] == crowd[row["item_id"]] for row in mine) / len(mine)
        assert abs(realised - nominal) < 0.05, annotator
        assert float(recorded[annotator]["realised_accuracy"]) == pytest.approx(realised, abs=1e-4)
        assert float(recorded[annotator]["accuracy"]) == nominal
        assert int(recorded[annotator]["n_annotations"]) == len(mine)


def test_bad_rows_of_every_kind_are_recorded_as_the_reader_numbers_them(generated) -> None:
    out = generated["out"]
    bad = _rows(out / "truth" / "bad_rows.csv")
    assert {row["reason_code"] for row in bad} == {
        *synth.BAD_ROW_KINDS,
        *synth.ONCE_BAD_ROW_KINDS,
    }
    assert len(bad) == round(0.002 * N) + len(synth.ONCE_BAD_ROW_KINDS)
    # only the defects files hold bad rows, and every row of them is one
    landed = {
        (row["source_file"], row["source_row_number"]): row
        for kind in landing.CONTRACTS
        for row in landing.read_landing(out, kind).to_pylist()
    }
    defects = {key for key in landed if key[0].endswith("/defects.csv")}
    assert {(row["source_file"], int(row["source_row_number"])) for row in bad} == defects
    clean_ids = {
        row["item_id"] for row in generated["items"] if row["source_file"] != "items/defects.csv"
    }
    for row in bad:
        record = landed[(row["source_file"], int(row["source_row_number"]))]
        reason = row["reason_code"]
        if reason == "malformed_row":
            assert record["parse_error"]
        else:
            assert record["parse_error"] is None
        if reason == "missing_item_id":
            assert not record["item_id"]
        if reason == "conflicting_item_id":
            assert record["item_id"] in clean_ids
        if reason == "unknown_item":
            assert record["item_id"] not in clean_ids
        if reason == "unknown_label":
            assert record["item_id"] in clean_ids and record["label"] not in ("spam", "ham")
        if reason == "missing_deletion_target":
            assert not record["item_id"] and not record["pseudonym"]


def test_bad_rows_are_a_small_share_with_each_kind_at_least_once(tmp_path: Path) -> None:
    summary = synth.generate(50, 1, tmp_path / "small")
    bad = _rows(tmp_path / "small" / "truth" / "bad_rows.csv")
    assert summary.n_bad_rows == len(synth.BAD_ROW_KINDS) + len(synth.ONCE_BAD_ROW_KINDS)
    assert sorted(row["reason_code"] for row in bad) == sorted(
        (*synth.BAD_ROW_KINDS, *synth.ONCE_BAD_ROW_KINDS)
    )


def test_texts_vary_and_a_classifier_is_good_but_not_perfect(generated) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    truth = generated["out"] / "truth"
    copies = {row["item_id"] for row in _rows(truth / "near_duplicates.csv")}
    copies |= {row["item_id"] for row in _rows(truth / "exact_duplicates.csv")}
    originals = [
        row
        for row in generated["items"]
        if row["source_file"] != "items/defects.csv" and row["item_id"] not in copies
    ]
    texts = [row["text"] for row in originals]
    assert len(set(texts)) / len(texts) > 0.95  # independently written messages rarely repeat
    true_of = {row["item_id"]: row["label"] for row in generated["annotations"] if row["label"]}
    for name in ("label_flips.csv", "crowd.csv"):  # the true label where the given one may lie
        true_of.update((row["item_id"], row["true_label"]) for row in _rows(truth / name))
    labelled = [row for row in originals if row["item_id"] in true_of]
    true = [true_of[row["item_id"]] for row in labelled]
    features = TfidfVectorizer(ngram_range=(1, 2), min_df=2).fit_transform(
        [row["text"] for row in labelled]
    )
    accuracy = cross_val_score(LogisticRegression(max_iter=1000), features, true, cv=5).mean()
    # messages both classes write keep the true labels from being perfectly predictable
    assert 0.93 < accuracy < 0.995, accuracy
