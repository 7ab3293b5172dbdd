"""Training inside the dbt run: a seeded scikit-learn text classifier, out-of-fold
probabilities for labelled train and validation items, and scores for the rest.

- Features: TF-IDF of hashed word n-grams and character n-grams (within word boundaries;
  the max_features most frequent columns of each), or a numeric embedding the items carry
  (a metadata column holding a JSON array of numbers). The features learn no labels, so
  they are fitted once on every distinct text; only the classifier is cross-fitted. Many
  texts are counted in parallel worker processes; character n-grams are counted with numpy
  (:mod:`smartloop.ngrams`: scikit-learn's char_wb n-grams, built one Python string at a
  time there, were most of the training time at a million items).
- Out of fold: labelled train and validation items are split into K folds grouped by
  duplicate cluster (:func:`stratified_group_folds`), so no item is scored by a model that saw
  a copy of it; each item's probabilities come from the model trained on the other folds.
- Test items, unlabelled items and untrainable items are scored by a model fitted on every
  labelled train item.
- Reuse: given a model folder, the fitted features and that final model are saved there
  with a hash of every scored text. A build asked not to retrain (var ``retrain: false``)
  keeps the last run's probabilities of every item whose text is unchanged and scores only
  new or edited items with the saved model; it retrains when there is no usable saved model
  (none yet, other settings, other classes).

The output is long: one row per scored item and class, with the run's settings on each row.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

from smartloop import ngrams

HASHED_COLUMNS = 2**20  # per hasher, before the max_features most frequent are kept
# names the feature code in a saved model's params: a model saved by other feature code is
# not reused (its columns would not match)
FEATURES = (
    "hashed tf-idf (smartloop weighting): scikit-learn word n-grams, smartloop.ngrams char_wb"
)

# what a run that does not retrain reads of the previous run's rows
PREVIOUS_COLUMNS = ["item_id", "label", "probability", "fold"]

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
        return json.dumps(
            {**values, "classifier": "LogisticRegression", "features": FEATURES},
            sort_keys=True,
        )


PARALLEL_MIN_TEXTS = 50_000  # below this, starting worker processes costs more than it saves
CHUNK_TEXTS = 50_000


def _word_hasher(settings: TrainingSettings) -> HashingVectorizer:
    """Word n-grams counted into hashed columns (stateless: no vocabulary to learn, so texts
    can be counted in parallel)."""
    return HashingVectorizer(
        ngram_range=(1, settings.word_ngram_max),
        dtype=np.float32,
        alternate_sign=False,
        norm=None,
        n_features=HASHED_COLUMNS,
    )


def _count_chunk(settings: TrainingSettings, texts: np.ndarray) -> list[sparse.csr_matrix]:
    """Word n-gram counts (scikit-learn's HashingVectorizer) and character n-gram counts within
    word boundaries (the n-grams of its char_wb analyzer, counted by :mod:`smartloop.ngrams`,
    several times faster)."""
    chars = ngrams.char_wb_counts(
        texts, settings.char_ngram_min, settings.char_ngram_max, HASHED_COLUMNS
    )
    return [_word_hasher(settings).transform(texts), chars]


def _counts(texts: np.ndarray, settings: TrainingSettings) -> list[list[sparse.csr_matrix]]:
    """The n-gram counts of ``texts``, by chunk of texts (in order), one matrix per hasher in
    each; many texts are counted in joblib's worker processes (loky: started afresh, never
    forked from the dbt process and its threads)."""
    workers = min(os.cpu_count() or 1, 4)
    if len(texts) < PARALLEL_MIN_TEXTS or workers < 2:
        return [_count_chunk(settings, texts)]
    chunks = [texts[i : i + CHUNK_TEXTS] for i in range(0, len(texts), CHUNK_TEXTS)]
    return Parallel(n_jobs=workers, backend="loky")(
        delayed(_count_chunk)(settings, chunk) for chunk in chunks
    )


def _idf(df: np.ndarray, n_texts: int) -> np.ndarray:
    """Smoothed inverse document frequency, as scikit-learn's TfidfTransformer (float32)."""
    idf = np.full(len(df), n_texts + 1, dtype=np.float32)
    idf /= df.astype(np.float32) + 1.0
    np.log(idf, out=idf)
    idf += 1.0
    return idf


def _weighted(counts: sparse.csr_matrix, lookup: np.ndarray, idf: np.ndarray) -> sparse.csr_matrix:
    """The kept columns of ``counts`` (``lookup``: each hashed column's kept index, -1 when
    dropped), TF-IDF weighted with sublinear tf and each row l2-normalised: what
    TfidfTransformer(sublinear_tf=True) makes of ``counts[:, kept]``, without scipy's column
    slicing (a copy per step at 160M entries)."""
    mapped = lookup[counts.indices]
    kept = np.flatnonzero(mapped >= 0)
    indptr = np.searchsorted(kept, counts.indptr).astype(np.int64)  # kept entries before a row
    indices = mapped[kept]
    data = counts.data[kept].astype(np.float32, copy=False)
    np.log(data, out=data)
    data += 1.0
    data *= idf[indices]
    starts, lengths = indptr[:-1], np.diff(indptr)
    squares = np.zeros(len(lengths), dtype=np.float32)
    if len(data):  # (reduceat takes the next row's first entry for an empty row: skipped)
        squares[lengths > 0] = np.add.reduceat(np.square(data), starts[lengths > 0])
    norms = np.sqrt(squares)
    norms[norms == 0] = 1.0
    data /= np.repeat(norms, lengths)
    return sparse.csr_matrix((data, indices, indptr), shape=(counts.shape[0], len(idf)))


def _side_by_side(blocks: list[sparse.csr_matrix]) -> sparse.csr_matrix:
    """``sparse.hstack(blocks)`` for CSR blocks of sorted rows, placed by arithmetic on their
    row pointers (scipy stacks CSR side by side through COO, with two int64 copies)."""
    indptr = np.sum([block.indptr.astype(np.int64) for block in blocks], axis=0)
    data = np.empty(indptr[-1], dtype=np.float32)
    indices = np.empty(indptr[-1], dtype=np.int32)
    before = np.zeros_like(indptr)  # entries of the earlier blocks in each row, so far
    offset = 0
    for block in blocks:
        row_of = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
        positions = np.arange(block.nnz) + (indptr[:-1] - block.indptr[:-1] + before[:-1])[row_of]
        data[positions] = block.data
        indices[positions] = block.indices + offset
        before[:-1] += np.diff(block.indptr)
        offset += block.shape[1]
    return sparse.csr_matrix((data, indices, indptr), shape=(blocks[0].shape[0], offset))


@dataclass
class TextFeatures:
    """TF-IDF of hashed word and character n-grams, as scikit-learn's TfidfVectorizer with
    sublinear tf (one l2-normalised block per hasher): of each hasher's columns, those in at
    least ``min_df`` distinct texts are kept, at most ``max_features`` of them, the most
    frequent. Duplicated texts count once. The weighting and stacking are done here, chunk by
    chunk of texts (the tests check them against TfidfTransformer and scipy)."""

    settings: TrainingSettings
    kept: list[np.ndarray]
    idf: list[np.ndarray]

    @classmethod
    def fit(cls, texts: np.ndarray, settings: TrainingSettings):
        """The fitted features and the matrix of ``texts`` (distinct texts, in any order)."""
        chunks = _counts(texts, settings)
        kept, idf = [], []
        min_dfs = (1, 2 if len(texts) > 1000 else 1)
        for k, min_df in enumerate(min_dfs):
            df = sum(np.bincount(chunk[k].indices, minlength=HASHED_COLUMNS) for chunk in chunks)
            columns = np.flatnonzero(df >= min_df)
            if len(columns) > settings.max_features:
                totals = sum(
                    np.bincount(chunk[k].indices, weights=chunk[k].data, minlength=HASHED_COLUMNS)
                    for chunk in chunks
                )
                top = np.lexsort((columns, -totals[columns]))[: settings.max_features]
                columns = np.sort(columns[top])
            kept.append(columns)
            idf.append(_idf(df[columns], len(texts)))
        features = cls(settings, kept, idf)
        return features, features._matrix(chunks)

    def transform(self, texts: np.ndarray) -> sparse.csr_matrix:
        return self._matrix(_counts(texts, self.settings))

    def _matrix(self, chunks: list[list[sparse.csr_matrix]]) -> sparse.csr_matrix:
        """The weighted blocks side by side, chunk by chunk (each chunk's counts are freed once
        weighted)."""
        lookups = []
        for columns in self.kept:
            lookup = np.full(HASHED_COLUMNS, -1, dtype=np.int32)
            lookup[columns] = np.arange(len(columns), dtype=np.int32)
            lookups.append(lookup)
        rows = []
        for i, chunk in enumerate(chunks):
            chunks[i] = None
            rows.append(
                _side_by_side(
                    [
                        _weighted(counts, lookup, idf)
                        for counts, lookup, idf in zip(chunk, lookups, self.idf, strict=True)
                    ]
                )
            )
        return rows[0] if len(rows) == 1 else sparse.vstack(rows, format="csr")


def _texts(items: pd.DataFrame) -> np.ndarray:
    return items["text"].fillna("").astype(str).to_numpy()


def fit_features(
    items: pd.DataFrame, settings: TrainingSettings
) -> tuple[sparse.csr_matrix | np.ndarray, np.ndarray, TextFeatures | None]:
    """The classifier's inputs, the input of each row of ``items`` (an index into them) and
    the fitted text features (None for embeddings, which need no fitting). The inputs are one
    row per distinct text, each counted once; for embeddings, one row per item."""
    if settings.embedding_column:
        return _embeddings(items, settings.embedding_column), np.arange(len(items)), None
    distinct, row_text = np.unique(_texts(items), return_inverse=True)
    text_features, matrix = TextFeatures.fit(distinct, settings)
    return matrix, row_text, text_features


def transform_features(
    items: pd.DataFrame, settings: TrainingSettings, text_features: TextFeatures | None
) -> sparse.csr_matrix | np.ndarray:
    """The input for ``items`` through features fitted before (see :func:`fit_features`)."""
    if text_features is None:
        return _embeddings(items, settings.embedding_column)
    return text_features.transform(_texts(items))


def features(items: pd.DataFrame, settings: TrainingSettings) -> sparse.csr_matrix | np.ndarray:
    """The classifier's input for every row of ``items`` (``smartloop bench`` gives cleanlab's
    Datalab the same representation)."""
    inputs, input_of, _ = fit_features(items, settings)
    return inputs[input_of]


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


def stratified_group_folds(
    labels: np.ndarray, groups: np.ndarray, n_folds: int, seed: int
) -> np.ndarray:
    """The fold (0 to n_folds - 1) of each item: all items of a group share a fold, and each
    label is spread over the folds as evenly as the groups allow.

    Groups are taken largest first (ties in a seeded random order) and each goes to the fold
    holding the fewest items of the group's most common label, then the fewest items. This
    is the greedy rule of scikit-learn's StratifiedGroupKFold without its cost: that one
    scores every fold for every group with a standard deviation over all labels, in Python,
    which took 10.5 s for 100,000 items of mostly single-item groups (this rule: 0.3 s)."""
    group_codes, group_of = np.unique(groups, return_inverse=True)
    label_codes, label_of = np.unique(labels, return_inverse=True)
    n_groups = len(group_codes)
    sizes = np.bincount(group_of, minlength=n_groups)
    # the most common label of each group (the first in label order on a tie)
    pairs, pair_counts = np.unique(np.stack([group_of, label_of]), axis=1, return_counts=True)
    ranked = np.lexsort((pairs[1], -pair_counts, pairs[0]))
    first = ranked[np.r_[True, np.diff(pairs[0][ranked]) != 0]]
    majority = pairs[1][first].tolist()
    breakdown: dict[int, list[tuple[int, int]]] = {}
    for group, label, count in zip(*pairs.tolist(), pair_counts.tolist(), strict=True):
        if sizes[group] > 1:
            breakdown.setdefault(group, []).append((label, count))
    shuffled = np.random.default_rng(seed).permutation(n_groups)
    order = shuffled[np.argsort(-sizes[shuffled], kind="stable")].tolist()
    label_counts = [[0] * n_folds for _ in label_codes]
    totals = [0] * n_folds
    folds = range(n_folds)
    fold_of_group = [0] * n_groups
    for group in order:
        counts = label_counts[majority[group]]
        fold = min(folds, key=lambda f: (counts[f], totals[f]))
        fold_of_group[group] = fold
        for label, count in breakdown.get(group, ((majority[group], 1),)):
            label_counts[label][fold] += count
            totals[fold] += count
    return np.asarray(fold_of_group, dtype=np.int64)[group_of]


def _fit(
    inputs, input_of: np.ndarray, labels: np.ndarray, train: np.ndarray, settings: TrainingSettings
):
    """A classifier fitted on items ``train`` (item i's features: row ``input_of[i]`` of
    ``inputs``); with one class only, that class (it is certain). Items with the same input
    and label are fitted as one row weighted by their count: the loss, and so the model, is
    that of one row each, and each iteration goes through fewer rows (duplicated texts are
    common: 18% of the labelled rows of the 1M benchmark)."""
    seen, label_codes = np.unique(labels[train], return_inverse=True)
    if len(seen) == 1:
        return str(seen[0])
    pairs, counts = np.unique(
        input_of[train].astype(np.int64) * len(seen) + label_codes, return_counts=True
    )
    rows, codes = np.divmod(pairs, len(seen))
    weights = counts.astype(np.float64) if counts.max() > 1 else None
    return _classifier(settings).fit(inputs[rows], seen[codes], sample_weight=weights)


def _predict(model, matrix, classes: list[str]) -> np.ndarray:
    """Probabilities over ``classes`` for each row of ``matrix``."""
    out = np.zeros((matrix.shape[0], len(classes)))
    if isinstance(model, str):
        out[:, classes.index(model)] = 1.0
        return out
    proba = model.predict_proba(matrix)
    for j, label in enumerate(model.classes_):
        out[:, classes.index(label)] = proba[:, j]
    return out


MODEL_FILE = "model.pkl"


@dataclass
class SavedModel:
    """What a later run needs to score new items without retraining."""

    params: str
    classes: list[str]
    vectorisers: TextFeatures | None
    final_model: object
    trained_in: str
    scored: pd.DataFrame  # item_id, text_hash: the texts the probabilities were computed from


def text_hashes(items: pd.DataFrame) -> pd.DataFrame:
    """A 64-bit hash of each item's text (and its metadata, which embeddings come from)."""
    content = items["text"].fillna("").astype(str) + "\x00" + items["metadata"].fillna("")
    return pd.DataFrame(
        {
            "item_id": items["item_id"].astype(str).to_numpy(),
            "text_hash": pd.util.hash_array(content.to_numpy(dtype=object)),
        }
    )


def save_model(model_dir: str | os.PathLike, saved: SavedModel) -> None:
    """Write the model file atomically (temp file, fsync, rename)."""
    folder = Path(model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".model-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(saved, fh, protocol=pickle.HIGHEST_PROTOCOL)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / MODEL_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_model(model_dir: str | os.PathLike) -> SavedModel | None:
    """The saved model, or None when there is none (or it cannot be read)."""
    path = Path(model_dir) / MODEL_FILE
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            saved = pickle.load(fh)  # written by this home's own builds
    except Exception:  # an unreadable model only means retraining
        return None
    return saved if isinstance(saved, SavedModel) else None


def _trainable(items: pd.DataFrame) -> np.ndarray:
    """Which rows are labelled and trainable."""
    return (
        items["is_trainable"].fillna(False).astype(bool).to_numpy()
        & items["label"].notna().to_numpy()
    )


def _classes(labels: np.ndarray, trainable: np.ndarray) -> list[str]:
    return sorted({str(label) for label in labels[trainable]})


def _prepared(items: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[str]]:
    """Items sorted by id, which rows are trainable, their labels, and the classes."""
    items = items.sort_values("item_id", kind="stable").reset_index(drop=True)
    trainable = _trainable(items)
    labels = items["label"].astype(object).where(trainable, None).to_numpy()
    return items, trainable, labels, _classes(labels, trainable)


def _params(settings: TrainingSettings, trained_in: str) -> str:
    return json.dumps(
        {**json.loads(settings.as_json()), "trained_in_run": trained_in}, sort_keys=True
    )


def _strings(values: pa.Array) -> pd.Series:
    """A pandas string column of Arrow strings (converting a Python list of a million
    references, or a repeated 300-character string, one by one took seconds)."""
    return pd.Series(pd.array(values, dtype="string"))


def _long(
    model_run_id: str,
    item_ids: np.ndarray,
    classes: list[str],
    probabilities: np.ndarray,
    fold_of: np.ndarray,
    params: str,
    seconds: float,
) -> pd.DataFrame:
    n, k = len(item_ids), len(classes)
    return pd.DataFrame(
        {
            "model_run_id": _strings(pa.array([model_run_id]).take(np.zeros(n * k, np.int32))),
            "item_id": _strings(pa.array(np.repeat(item_ids, k), type=pa.string())),
            "label": _strings(pa.array(np.tile(np.asarray(classes, dtype=object), n))),
            "probability": probabilities.reshape(-1),
            "is_out_of_fold": np.repeat(fold_of >= 0, k),
            "fold": pd.array(np.repeat(np.where(fold_of >= 0, fold_of, -1), k), dtype="Int64"),
            "params": _strings(pa.array([params]).take(np.zeros(n * k, np.int32))),
            "train_seconds": np.full(n * k, seconds),
        }
    ).assign(fold=lambda df: df["fold"].where(df["fold"] >= 0))


def train_and_score(
    items: pd.DataFrame,
    settings: TrainingSettings,
    model_run_id: str,
    *,
    model_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Long probabilities for every item of ``items``; with ``model_dir``, the fitted model is
    saved there for runs that do not retrain.

    ``items`` has item_id, text, metadata, split, cluster_id, label (NULL when unlabelled)
    and is_trainable.
    """
    started = time.perf_counter()
    items, trainable, labels, classes = _prepared(items)
    split = items["split"].astype(str).to_numpy()
    if len(items) == 0 or len(classes) < 2:
        return empty_output()
    inputs, input_of, vectorisers = fit_features(items, settings)

    oof_rows = np.flatnonzero(trainable & np.isin(split, ["train", "validation"]))
    final_train = np.flatnonzero(trainable & (split == "train"))
    if len(final_train) == 0:
        raise TrainingError("no labelled item is in the train split, so no model can be fitted.")
    probabilities = np.zeros((len(items), len(classes)))
    fold_of = np.full(len(items), -1)

    groups = items["cluster_id"].astype(str).to_numpy()[oof_rows]
    n_folds = min(settings.n_folds, len(np.unique(groups)))
    if n_folds >= 2:
        folds = stratified_group_folds(labels[oof_rows], groups, n_folds, settings.seed)
        for fold in range(n_folds):
            fit_rows, held_rows = oof_rows[folds != fold], oof_rows[folds == fold]
            model = _fit(inputs, input_of, labels, fit_rows, settings)
            probabilities[held_rows] = _predict(model, inputs[input_of[held_rows]], classes)
            fold_of[held_rows] = fold
    final_model = _fit(inputs, input_of, labels, final_train, settings)
    rest = np.flatnonzero(fold_of < 0)
    if len(rest):
        probabilities[rest] = _predict(final_model, inputs[input_of[rest]], classes)
    if model_dir:
        save_model(
            model_dir,
            SavedModel(
                params=settings.as_json(),
                classes=classes,
                vectorisers=vectorisers,
                final_model=final_model,
                trained_in=model_run_id,
                scored=text_hashes(items),
            ),
        )
    elapsed = time.perf_counter() - started
    return _long(
        model_run_id,
        items["item_id"].to_numpy(),
        classes,
        probabilities,
        fold_of,
        _params(settings, model_run_id),
        elapsed,
    )


def reusable_model(
    model_dir: str | os.PathLike | None, settings: TrainingSettings, items: pd.DataFrame
) -> SavedModel | None:
    """The saved model when it was trained with these settings on these classes, else None."""
    saved = load_model(model_dir) if model_dir else None
    if saved is None or saved.params != settings.as_json():
        return None
    classes = _classes(items["label"].astype(object).to_numpy(), _trainable(items))
    return saved if saved.classes == classes else None  # (no need to sort the items for it)


def score_without_retraining(
    items: pd.DataFrame,
    previous: pd.DataFrame,
    saved: SavedModel,
    settings: TrainingSettings,
    model_run_id: str,
    model_dir: str | os.PathLike,
) -> pd.DataFrame:
    """Long probabilities for every item of ``items`` without fitting anything: an item whose
    text is the one last scored keeps its ``previous`` probabilities (out of fold or not, as
    they were); new and edited items are scored by the saved final model (which never saw
    them). The saved model's record of scored texts is updated."""
    started = time.perf_counter()
    items, _, _, classes = _prepared(items)
    hashes = text_hashes(items)
    known = hashes.merge(saved.scored, on=["item_id", "text_hash"], how="left", indicator=True)
    unchanged = (known["_merge"] == "both").to_numpy().copy()
    wide = (
        previous.pivot_table(
            index="item_id", columns="label", values="probability", aggfunc="first"
        ).reindex(columns=classes)
        if len(previous)
        else pd.DataFrame(columns=classes)
    )
    folds = previous.groupby("item_id")["fold"].first() if len(previous) else pd.Series()
    item_ids = items["item_id"].astype(str).to_numpy()
    unchanged &= wide.index.get_indexer(item_ids) >= 0  # (np.isin on strings is quadratic)
    probabilities = np.zeros((len(items), len(classes)))
    fold_of = np.full(len(items), -1)
    kept = np.flatnonzero(unchanged)
    if len(kept):
        probabilities[kept] = wide.loc[item_ids[kept]].to_numpy(dtype=float)
        fold_of[kept] = folds.reindex(item_ids[kept]).fillna(-1).astype(int).to_numpy()
    fresh = np.flatnonzero(~unchanged)
    if len(fresh):
        matrix = transform_features(items.iloc[fresh], settings, saved.vectorisers)
        probabilities[fresh] = _predict(saved.final_model, matrix, classes)
    saved.scored = hashes
    save_model(model_dir, saved)
    elapsed = time.perf_counter() - started
    return _long(
        model_run_id,
        item_ids,
        classes,
        probabilities,
        fold_of,
        _params(settings, saved.trained_in),
        elapsed,
    )


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
