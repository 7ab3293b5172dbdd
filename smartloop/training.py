"""Training inside the dbt run: a seeded scikit-learn text classifier, out-of-fold
probabilities for labelled train and validation items, and scores for the rest.

- Features: TF-IDF of word n-grams and of character n-grams (within word boundaries), or a
  numeric embedding the items carry (a metadata column holding a JSON array of numbers).
  The vectorisers learn no labels, so they are fitted once on every item's text; only the
  classifier is cross-fitted.
- Out of fold: labelled train and validation items are split into K folds grouped by
  duplicate cluster (StratifiedGroupKFold), so no item is scored by a model that saw a copy
  of it; each item's probabilities come from the model trained on the other folds.
- Test items, unlabelled items and untrainable items are scored by a model fitted on every
  labelled train item.

The output is long: one row per scored item and class, with the run's settings on each row.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

OUTPUT_COLUMNS = [
    "model_run_id",
    "item_id",
    "label",
    "probability",
    "is_out_of_fold",
    "fold",
    "params",
    "train_seconds",
]


def empty_output() -> pd.DataFrame:
    """The output's columns with their types and no rows (nothing to train on)."""
    types = {
        "model_run_id": "string",
        "item_id": "string",
        "label": "string",
        "probability": "float64",
        "is_out_of_fold": "bool",
        "fold": "Int64",
        "params": "string",
        "train_seconds": "float64",
    }
    return pd.DataFrame({column: pd.Series([], dtype=types[column]) for column in OUTPUT_COLUMNS})


class TrainingError(ValueError):
    """Settings or data the classifier cannot use; the message is one sentence."""


@dataclass(frozen=True)
class TrainingSettings:
    """The classifier's settings, from dbt vars (see dbt_project.yml)."""

    seed: int = 42
    n_folds: int = 5
    c: float = 4.0
    word_ngram_max: int = 2
    char_ngram_min: int = 2
    char_ngram_max: int = 5
    max_features: int = 200_000
    embedding_column: str = ""
    extra: dict = field(default_factory=dict)

    def as_json(self) -> str:
        values = {k: v for k, v in asdict(self).items() if k != "extra"}
        return json.dumps({**values, "classifier": "LogisticRegression"}, sort_keys=True)


def features(items: pd.DataFrame, settings: TrainingSettings) -> sparse.csr_matrix | np.ndarray:
    """The classifier's input for every row of ``items`` (``smartloop bench`` gives cleanlab's
    Datalab the same representation)."""
    if settings.embedding_column:
        return _embeddings(items, settings.embedding_column)
    texts = items["text"].fillna("").astype(str).to_numpy()
    words = TfidfVectorizer(
        ngram_range=(1, settings.word_ngram_max),
        sublinear_tf=True,
        min_df=1,
        max_features=settings.max_features,
        dtype=np.float32,
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(settings.char_ngram_min, settings.char_ngram_max),
        sublinear_tf=True,
        min_df=2 if len(texts) > 1000 else 1,
        max_features=settings.max_features,
        dtype=np.float32,
    )
    return sparse.hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()


def _embeddings(items: pd.DataFrame, column: str) -> np.ndarray:
    rows = []
    for item_id, metadata in zip(items["item_id"], items["metadata"], strict=True):
        value = json.loads(metadata or "{}").get(column)
        try:
            vector = json.loads(value) if isinstance(value, str) else value
            rows.append(np.asarray(vector, dtype=float))
        except (TypeError, ValueError) as exc:
            raise TrainingError(
                f"item {item_id}: metadata column '{column}' is not a JSON array of numbers."
            ) from exc
    if len({row.shape for row in rows}) > 1:
        raise TrainingError(
            f"metadata column '{column}' holds embeddings of different lengths "
            f"({', '.join(sorted({str(len(row)) for row in rows}))})."
        )
    return np.vstack(rows) if rows else np.zeros((0, 0))


def _classifier(settings: TrainingSettings) -> LogisticRegression:
    return LogisticRegression(C=settings.c, max_iter=2000, random_state=settings.seed)


def _fit_predict(
    features,
    labels: np.ndarray,
    train: np.ndarray,
    score: np.ndarray,
    classes: list[str],
    settings: TrainingSettings,
) -> np.ndarray:
    """Probabilities over ``classes`` for rows ``score`` from a model fitted on rows ``train``."""
    out = np.zeros((len(score), len(classes)))
    seen = np.unique(labels[train])
    if len(seen) == 1:  # one class only: it is certain
        out[:, classes.index(seen[0])] = 1.0
        return out
    model = _classifier(settings).fit(features[train], labels[train])
    proba = model.predict_proba(features[score])
    for j, label in enumerate(model.classes_):
        out[:, classes.index(label)] = proba[:, j]
    return out


def train_and_score(
    items: pd.DataFrame, settings: TrainingSettings, model_run_id: str
) -> pd.DataFrame:
    """Long probabilities for every item of ``items``.

    ``items`` has item_id, text, metadata, split, cluster_id, label (NULL when unlabelled)
    and is_trainable.
    """
    started = time.perf_counter()
    items = items.sort_values("item_id", kind="stable").reset_index(drop=True)
    trainable = (
        items["is_trainable"].fillna(False).astype(bool).to_numpy()
        & items["label"].notna().to_numpy()
    )
    labels = items["label"].astype(object).where(trainable, None).to_numpy()
    split = items["split"].astype(str).to_numpy()
    classes = sorted({str(label) for label in labels[trainable]})
    if len(items) == 0 or len(classes) < 2:
        return empty_output()
    matrix = features(items, settings)

    oof_rows = np.flatnonzero(trainable & np.isin(split, ["train", "validation"]))
    final_train = np.flatnonzero(trainable & (split == "train"))
    if len(final_train) == 0:
        raise TrainingError("no labelled item is in the train split, so no model can be fitted.")
    probabilities = np.zeros((len(items), len(classes)))
    fold_of = np.full(len(items), -1)

    groups = items["cluster_id"].astype(str).to_numpy()[oof_rows]
    n_folds = min(settings.n_folds, len(np.unique(groups)))
    if n_folds >= 2:
        splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=settings.seed)
        for fold, (fit_idx, held_idx) in enumerate(
            splitter.split(oof_rows, labels[oof_rows], groups)
        ):
            fit_rows, held_rows = oof_rows[fit_idx], oof_rows[held_idx]
            probabilities[held_rows] = _fit_predict(
                matrix, labels, fit_rows, held_rows, classes, settings
            )
            fold_of[held_rows] = fold
    rest = np.flatnonzero(fold_of < 0)
    if len(rest):
        probabilities[rest] = _fit_predict(matrix, labels, final_train, rest, classes, settings)

    n = len(items)
    k = len(classes)
    elapsed = time.perf_counter() - started
    return pd.DataFrame(
        {
            "model_run_id": pd.Series([model_run_id] * (n * k), dtype="string"),
            "item_id": pd.Series(np.repeat(items["item_id"].to_numpy(), k), dtype="string"),
            "label": pd.Series(np.tile(classes, n), dtype="string"),
            "probability": probabilities.reshape(-1),
            "is_out_of_fold": np.repeat(fold_of >= 0, k),
            "fold": pd.array(np.repeat(np.where(fold_of >= 0, fold_of, -1), k), dtype="Int64"),
            "params": pd.Series([settings.as_json()] * (n * k), dtype="string"),
            "train_seconds": np.full(n * k, elapsed),
        }
    ).assign(fold=lambda df: df["fold"].where(df["fold"] >= 0))


def settings_from_config(config: dict) -> TrainingSettings:
    """Training settings from the vars a dbt Python model reads (they may arrive as text)."""
    get = config.get
    char_range = get("char_ngram_range")
    if isinstance(char_range, str):
        char_range = json.loads(char_range.replace("'", '"'))
    return TrainingSettings(
        seed=int(get("model_seed")),
        n_folds=int(get("cv_folds")),
        c=float(get("model_c")),
        word_ngram_max=int(get("word_ngram_max")),
        char_ngram_min=int(char_range[0]),
        char_ngram_max=int(char_range[1]),
        max_features=int(get("max_features")),
        embedding_column=str(get("embedding_column") or ""),
    )
