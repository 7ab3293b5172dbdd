"""Character n-grams within word boundaries: the n-grams of scikit-learn's char_wb analyzer,
hashed and counted with numpy."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from smartloop import ngrams

TEXTS = [
    "",
    "   ",
    "a",
    "Hi",
    "Check out my channel!!! http://x.co/abc",
    "  leading and\ttabs\n\nand  runs   of spaces ",
    "İstanbul ÉTÉ straße",  # lowercasing that changes length
    "日本語 テキスト",
    "emoji 😀 ok",
    "x" * 9,
    "a b c d e",
    "ab cd",
]


def _random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = "abcAB é😀 \t\n.,"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def _sklearn_ngrams(text: str, n_min: int, n_max: int) -> Counter:
    analyzer = CountVectorizer(analyzer="char_wb", ngram_range=(n_min, n_max)).build_analyzer()
    return Counter(analyzer(text))


def _our_ngrams(texts: list[str], n_min: int, n_max: int) -> list[Counter]:
    points, rows, starts, sizes = ngrams.char_wb_windows(texts, n_min, n_max)
    joined = points.tobytes().decode("utf-32-le")
    found = [Counter() for _ in texts]
    for row, start, size in zip(rows.tolist(), starts.tolist(), sizes.tolist(), strict=True):
        found[row][joined[start : start + size]] += 1
    return found


@pytest.mark.parametrize("n_range", [(2, 5), (1, 1), (1, 3), (3, 3), (4, 6), (7, 9)])
def test_ngrams_are_those_of_scikit_learns_char_wb_analyzer(n_range) -> None:
    texts = TEXTS + _random_texts(300, seed=sum(n_range))
    found = _our_ngrams(texts, *n_range)
    for text, ours in zip(texts, found, strict=True):
        assert ours == _sklearn_ngrams(text, *n_range), text


def test_each_ngram_is_counted_in_its_column() -> None:
    texts = TEXTS + _random_texts(200, seed=7)
    counts = ngrams.char_wb_counts(texts, 2, 5, 2**30)  # wide enough for no collision here
    for row, text in enumerate(texts):
        expected = _sklearn_ngrams(text, 2, 5)
        grams = sorted(expected)
        columns = ngrams.ngram_columns(grams, 2**30) if grams else []
        line = counts[row]
        assert dict(zip(line.indices.tolist(), line.data.tolist(), strict=True)) == {
            int(column): float(expected[gram]) for gram, column in zip(grams, columns, strict=True)
        }, text
    assert counts.dtype == np.float32
    assert counts.has_canonical_format


def test_blocks_of_texts_give_the_same_counts(monkeypatch) -> None:
    texts = TEXTS + _random_texts(100, seed=3)
    whole = ngrams.char_wb_counts(texts, 2, 5, 2**20)
    monkeypatch.setattr(ngrams, "BLOCK_TEXTS", 7)
    blocked = ngrams.char_wb_counts(texts, 2, 5, 2**20)
    assert blocked.shape == (len(texts), 2**20)
    assert (whole != blocked).nnz == 0
    assert ngrams.char_wb_counts([], 2, 5, 16).shape == (0, 16)
    wordless = ngrams.char_wb_counts(["", " \t "], 2, 5, 16)
    assert wordless.shape == (2, 16)
    assert wordless.nnz == 0


def test_a_range_below_one_or_reversed_is_refused() -> None:
    with pytest.raises(ValueError, match=r"char n-gram range \(3, 2\)"):
        ngrams.char_wb_counts(["text"], 3, 2, 16)
    with pytest.raises(ValueError, match=r"char n-gram range \(0, 2\)"):
        ngrams.char_wb_windows(["text"], 0, 2)
