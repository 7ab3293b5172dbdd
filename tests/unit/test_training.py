"""The classifier of the training stage (smartloop.training) on small made-up data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from smartloop import training

SETTINGS = training.TrainingSettings(n_folds=3)


def items(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """Spam and ham texts, clusters of two copies, a split, a few unlabelled items."""
    rng = np.random.default_rng(seed)
    spam = ["win a free prize now", "cheap pills click here", "claim your cash reward"]
    ham = ["see you at lunch", "the meeting moved to friday", "thanks for the book"]
    rows = []
    for i in range(n):
        is_spam = i % 2 == 0
        text = f"{rng.choice(spam if is_spam else ham)} {i // 2}"
        rows.append(
            {
                "item_id": f"i{i:04d}",
                "text": text,
                "metadata": json.dumps({"vec": [float(is_spam), float(rng.random())]}),
                "split": ["train", "train", "validation", "test"][(i // 2) % 4],
                "cluster_id": f"c{i // 2:04d}",
                "label": ("spam" if is_spam else "ham") if i % 10 != 9 else None,
                "is_trainable": i % 10 != 9,
            }
        )
    return pd.DataFrame(rows)


def wide(out: pd.DataFrame) -> pd.DataFrame:
    return out.pivot(index="item_id", columns="label", values="probability")


def test_every_item_is_scored_and_rows_sum_to_one() -> None:
    data = items()
    out = training.train_and_score(data, SETTINGS, "run1")
    assert set(out["item_id"]) == set(data["item_id"])
    assert sorted(out["label"].unique()) == ["ham", "spam"]
    np.testing.assert_allclose(wide(out).sum(axis=1), 1.0)
    assert (out["model_run_id"] == "run1").all()


def test_out_of_fold_exactly_for_labelled_train_and_validation_items() -> None:
    data = items()
    out = training.train_and_score(data, SETTINGS, "run1").drop_duplicates("item_id")
    merged = out.merge(data, on="item_id")
    expected = merged["is_trainable"] & merged["split"].isin(["train", "validation"])
    assert (merged["is_out_of_fold"] == expected).all()
    assert merged.loc[~expected, "fold"].isna().all()


def test_a_duplicate_cluster_is_held_out_in_one_fold() -> None:
    data = items()
    out = training.train_and_score(data, SETTINGS, "run1").drop_duplicates("item_id")
    folds = out.merge(data, on="item_id").dropna(subset=["fold"])
    assert folds.groupby("cluster_id")["fold"].nunique().max() == 1
    assert folds["fold"].nunique() == 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_folds_keep_groups_whole_and_spread_each_label_evenly(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = np.concatenate([rng.integers(2, 40, 60), np.ones(3000, dtype=int)])
    groups = np.repeat(np.arange(len(sizes)), sizes)
    labels = rng.choice(["a", "b", "c"], p=[0.6, 0.3, 0.1], size=len(groups))
    folds = training.stratified_group_folds(labels, groups.astype(str), 5, seed)
    frame = pd.DataFrame({"group": groups, "label": labels, "fold": folds})
    assert frame.groupby("group")["fold"].nunique().max() == 1
    per_fold = pd.crosstab(frame["fold"], frame["label"])
    assert list(per_fold.index) == [0, 1, 2, 3, 4]
    # single items fill the folds last, so each label ends within one item of even
    assert (per_fold.max() - per_fold.min()).max() <= 1
    again = training.stratified_group_folds(labels, groups.astype(str), 5, seed)
    assert (again == folds).all()
    other = training.stratified_group_folds(labels, groups.astype(str), 5, seed + 10)
    assert (other != folds).any()


def test_the_model_learns_and_is_deterministic() -> None:
    data = items()
    first = training.train_and_score(data, SETTINGS, "run1")
    second = training.train_and_score(data.sample(frac=1.0, random_state=1), SETTINGS, "run1")
    np.testing.assert_allclose(wide(first).to_numpy(), wide(second).to_numpy())
    predicted = wide(first).idxmax(axis=1)
    truth = (
        data.set_index("item_id")["text"]
        .str.contains("win|cheap|claim")
        .map({True: "spam", False: "ham"})
    )
    assert (predicted == truth.loc[predicted.index]).mean() > 0.9


def test_embeddings_replace_the_text_when_named() -> None:
    data = items().assign(text="")  # nothing to learn from the text
    settings = training.TrainingSettings(n_folds=3, embedding_column="vec")
    out = training.train_and_score(data, settings, "run1")
    predicted = wide(out).idxmax(axis=1)
    truth = data.set_index("item_id")["metadata"].map(
        lambda m: "spam" if json.loads(m)["vec"][0] else "ham"
    )
    assert (predicted == truth.loc[predicted.index]).mean() > 0.95


def test_a_bad_embedding_is_one_sentence_naming_the_item_and_column() -> None:
    data = items()
    data.loc[3, "metadata"] = json.dumps({"vec": "not numbers"})
    settings = training.TrainingSettings(n_folds=3, embedding_column="vec")
    with pytest.raises(training.TrainingError, match=r"item i0003: metadata column 'vec'"):
        training.train_and_score(data, settings, "run1")


def test_fewer_than_two_classes_gives_no_predictions() -> None:
    data = items().assign(label="ham")
    out = training.train_and_score(data, SETTINGS, "run1")
    assert out.empty
    assert list(out.columns) == training.OUTPUT_COLUMNS


def test_settings_from_dbt_vars_as_text() -> None:
    settings = training.settings_from_config(
        {
            "model_seed": "7",
            "cv_folds": "4",
            "model_c": "2.5",
            "word_ngram_max": "1",
            "char_ngram_range": "[3, 4]",
            "max_features": "1000",
            "embedding_column": "",
        }
    )
    assert (settings.seed, settings.n_folds, settings.c) == (7, 4, 2.5)
    assert (settings.char_ngram_min, settings.char_ngram_max) == (3, 4)


def test_the_empty_output_keeps_text_columns_as_text() -> None:
    out = training.empty_output()
    assert str(out["item_id"].dtype) == "string"
    assert str(out["probability"].dtype) == "float64"


def test_a_run_without_retraining_keeps_old_probabilities_and_scores_new_items(
    tmp_path,
) -> None:
    data = items()
    first = training.train_and_score(data, SETTINGS, "run1", model_dir=tmp_path)
    saved = training.reusable_model(tmp_path, SETTINGS, data)
    assert saved is not None and saved.trained_in == "run1"

    later = data.copy()
    later.loc[later["item_id"] == "i0000", "text"] = "a completely edited message"
    extra = items(4, seed=9).assign(item_id=lambda df: "new" + df["item_id"])
    later = pd.concat([later, extra], ignore_index=True)
    second = training.score_without_retraining(
        later, first, saved, SETTINGS, model_run_id="run2", model_dir=tmp_path
    )

    assert set(second["item_id"]) == set(later["item_id"])
    assert (second["model_run_id"] == "run2").all()
    assert json.loads(second["params"].iloc[0])["trained_in_run"] == "run1"
    before, after = wide(first), wide(second)
    unchanged = sorted(set(data["item_id"]) - {"i0000"})
    pd.testing.assert_frame_equal(before.loc[unchanged], after.loc[unchanged])
    kept = first.drop_duplicates("item_id").set_index("item_id")
    now = second.drop_duplicates("item_id").set_index("item_id")
    assert (kept.loc[unchanged, "is_out_of_fold"] == now.loc[unchanged, "is_out_of_fold"]).all()
    # edited and new items: the saved final model's scores, never out of fold
    fresh = ["i0000", *extra["item_id"]]
    assert not now.loc[fresh, "is_out_of_fold"].any()
    assert now.loc[fresh, "fold"].isna().all()
    np.testing.assert_allclose(after.loc[fresh].sum(axis=1), 1.0)
    matrix = training.transform_features(
        later.set_index("item_id").loc[fresh].reset_index(), SETTINGS, saved.vectorisers
    )
    expected = saved.final_model.predict_proba(matrix)
    np.testing.assert_allclose(after.loc[fresh, list(saved.final_model.classes_)], expected)
    # the record of scored texts follows the run
    assert set(training.load_model(tmp_path).scored["item_id"]) == set(later["item_id"])


def test_no_reusable_model_for_other_settings_or_classes(tmp_path) -> None:
    data = items()
    training.train_and_score(data, SETTINGS, "run1", model_dir=tmp_path)
    other = training.TrainingSettings(n_folds=3, c=1.0)
    assert training.reusable_model(tmp_path, other, data) is None
    three = data.assign(label=data["label"].where(data.index != 0, "promo"))
    assert training.reusable_model(tmp_path, SETTINGS, three) is None
    assert training.reusable_model(tmp_path / "missing", SETTINGS, data) is None
    (tmp_path / training.MODEL_FILE).write_bytes(b"not a pickle")
    assert training.reusable_model(tmp_path, SETTINGS, data) is None


def test_texts_counted_in_parallel_chunks_give_the_same_features(monkeypatch) -> None:
    texts = np.array([*sorted(set(items(400)["text"])), "hello world", "hello there"])
    serial, serial_matrix = training.TextFeatures.fit(texts, SETTINGS)
    monkeypatch.setattr(training, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(training, "CHUNK_TEXTS", 37)
    parallel, parallel_matrix = training.TextFeatures.fit(texts, SETTINGS)
    assert (serial_matrix != parallel_matrix).nnz == 0
    assert (serial.transform(texts[:50]) != parallel.transform(texts[:50])).nnz == 0


def test_features_equal_scikit_learn_tfidf_of_the_kept_columns_side_by_side(monkeypatch) -> None:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfTransformer

    rng = np.random.default_rng(3)
    words = ["win", "cash", "now", "see", "you", "at", "lunch", "ok", "", "call", "07700 900123"]
    texts = np.unique(
        [" ".join(rng.choice(words, size=rng.integers(0, 9))) for _ in range(1500)] + ["", "  "]
    )
    settings = training.TrainingSettings(max_features=40)
    monkeypatch.setattr(training, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(training, "CHUNK_TEXTS", 101)
    features, matrix = training.TextFeatures.fit(texts, settings)
    counts = training._count_chunk(settings, texts)
    expected_blocks = []
    for block, columns, idf in zip(counts, features.kept, features.idf, strict=True):
        weight = TfidfTransformer(sublinear_tf=True).fit(block[:, columns])
        assert np.allclose(weight.idf_, idf, rtol=1e-6)
        expected_blocks.append(weight.transform(block[:, columns]))
    expected = sparse.hstack(expected_blocks).tocsr()
    assert matrix.shape == expected.shape and matrix.dtype == np.float32
    assert np.array_equal(matrix.indptr, expected.indptr)
    assert np.array_equal(matrix.indices, expected.indices)
    assert np.allclose(matrix.data, expected.data, rtol=1e-5, atol=1e-7)
    # min_df 2 dropped some character columns and max_features cut the word columns
    assert len(features.kept[0]) == 40 and 0 < len(features.kept[1]) <= 40
    later = np.array(["win cash now", "", "unseen words only", "call 07700 900123 now"])
    assert np.allclose(
        features.transform(later).toarray(),
        sparse.hstack(
            [
                TfidfTransformer(sublinear_tf=True)
                .fit(block[:, columns])
                .transform(later_block[:, columns])
                for block, later_block, columns in zip(
                    counts, training._count_chunk(settings, later), features.kept, strict=True
                )
            ]
        ).toarray(),
        rtol=1e-5,
        atol=1e-7,
    )


def test_items_sharing_a_text_and_label_fit_as_one_weighted_row() -> None:
    data = items(300)
    data = pd.concat([data, data.iloc[:90], data.iloc[:30]], ignore_index=True)
    labels = data["label"].astype(object).to_numpy().copy()
    inputs, input_of, _ = training.fit_features(data, SETTINGS)
    assert inputs.shape[0] == data["text"].nunique() < len(data)
    train = np.flatnonzero(data["label"].notna().to_numpy())
    # the last copy of one text takes the other label: that pair stays a row of its own
    labels[train[-1]] = "ham" if labels[train[-1]] == "spam" else "spam"
    weighted = training._fit(inputs, input_of, labels, train, SETTINGS)
    one_row_each = training._classifier(SETTINGS).fit(inputs[input_of[train]], labels[train])
    everything = inputs[input_of]
    assert np.allclose(
        weighted.predict_proba(everything), one_row_each.predict_proba(everything), atol=1e-3
    )
    # the weights matter: one row per text without them gives another model
    first = np.unique(input_of[train], return_index=True)[1]
    unweighted = training._classifier(SETTINGS).fit(
        inputs[input_of[train][first]], labels[train][first]
    )
    assert not np.allclose(
        unweighted.predict_proba(everything), one_row_each.predict_proba(everything), atol=1e-3
    )


def test_features_keep_the_most_frequent_columns_and_each_block_is_normalised() -> None:
    texts = np.array(["aa bb", "aa cc", "aa dd", "bb ee", "ff"] * 3)
    settings = training.TrainingSettings(max_features=3)
    features, matrix = training.TextFeatures.fit(np.unique(texts), settings)
    assert [len(columns) for columns in features.kept] == [3, 3]
    words = training._word_hasher(settings)
    # the two most frequent words (in 3 and 2 distinct texts) are kept; ties are cut
    for word in ("aa", "bb"):
        assert words.transform([word]).indices[0] in features.kept[0]
    blocks = np.split(matrix.toarray(), [3], axis=1)
    for block in blocks:
        norms = np.linalg.norm(block, axis=1)
        assert np.allclose(norms[norms > 0], 1.0)
