"""Dawid-Skene consensus: each annotator's confusion matrix and each item's true-label
posterior, estimated together by expectation-maximisation (Dawid and Skene, 1979).

The EM starts from the (weighted) majority vote's label shares, so it needs no random
start and gives the same result for the same evidence. Each step:

- M: class priors ``p_k = mean_i T_ik``; confusions
  ``pi[a, k, l] = (sum_i T_ik w_ail + s) / (sum_i T_ik w_ai + L s)`` with a small additive
  smoothing ``s`` so no label is impossible;
- E: ``log T_ik = log p_k + sum_(a, l) w_ail log pi[a, k, l]``, normalised per item;

until no posterior moves by more than ``tolerance``, or ``max_iterations``. Only items
with two or more annotators identify confusions, so the EM is fitted on them; the rest get
one E-step with the fitted confusions (vote shares for an annotator who shares no item).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SMOOTHING = 0.01


@dataclass(frozen=True)
class DawidSkeneFit:
    """The result of one fit: posteriors (items x labels), confusions, priors, convergence."""

    items: list[str]
    annotators: list[str]
    labels: list[str]
    posteriors: np.ndarray  # (n_items, n_labels)
    confusions: np.ndarray  # (n_annotators, n_labels true, n_labels given)
    priors: np.ndarray  # (n_labels,)
    n_iterations: int
    converged: bool


def _codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    codes, uniques = pd.factorize(values.astype(str), sort=True)
    return codes.astype(np.int64), [str(value) for value in uniques]


def dawid_skene(
    evidence: pd.DataFrame, tolerance: float = 1e-5, max_iterations: int = 500
) -> DawidSkeneFit:
    """Fit Dawid-Skene on rows of (item_id, annotator_id, label[, weight]).

    >>> rows = pd.DataFrame({
    ...     "item_id": ["a", "a", "a", "b", "b", "b"],
    ...     "annotator_id": ["x", "y", "z", "x", "y", "z"],
    ...     "label": ["spam", "spam", "ham", "ham", "ham", "ham"]})
    >>> fit = dawid_skene(rows)
    >>> fit.labels, fit.posteriors.argmax(axis=1).tolist(), fit.converged
    (['ham', 'spam'], [1, 0], True)
    """
    if evidence.empty:
        return DawidSkeneFit(
            [], [], [], np.zeros((0, 0)), np.zeros((0, 0, 0)), np.zeros(0), 0, True
        )
    # the sums below add rows in order: a fixed order gives the same doubles on every run
    evidence = evidence.sort_values(
        [c for c in ("item_id", "annotator_id", "label", "weight") if c in evidence],
        kind="stable",
    )
    item, items = _codes(evidence["item_id"])
    annotator, annotators = _codes(evidence["annotator_id"])
    label, labels = _codes(evidence["label"])
    weight = (
        evidence["weight"].to_numpy(dtype=float) if "weight" in evidence else np.ones(len(evidence))
    )
    n_items, n_annotators, n_labels = len(items), len(annotators), len(labels)

    # Start from the weighted vote shares of each item.
    votes = np.zeros((n_items, n_labels))
    np.add.at(votes, (item, label), weight)
    shares = votes / votes.sum(axis=1, keepdims=True)

    # Only items with two or more annotators say anything about an annotator's confusion:
    # the EM is fitted on them; an item with one annotator gets one E-step with that
    # annotator's fitted confusion, or its vote shares if the annotator shares no item.
    pairs = np.unique(np.stack([item, annotator]), axis=1)
    shared_item = np.bincount(pairs[0], minlength=n_items) >= 2
    fit_row = shared_item[item]
    fitted_annotator = np.bincount(annotator, weights=fit_row, minlength=n_annotators) > 0
    if not fit_row.any():
        return DawidSkeneFit(
            items,
            annotators,
            labels,
            shares,
            np.full((n_annotators, n_labels, n_labels), 1.0 / n_labels),
            shares.mean(axis=0),
            0,
            True,
        )
    # The EM runs on the shared items' rows only (the others weigh nothing in it).
    rows = np.flatnonzero(fit_row)
    shared = np.flatnonzero(shared_item)
    fit_item = np.searchsorted(shared, item[rows])
    fit_annotator, fit_label, fit_weight = annotator[rows], label[rows], weight[rows]
    fit_cell = fit_annotator * n_labels + fit_label  # (annotator, given label) of each row
    every_shared = np.ones(len(shared), dtype=bool)
    posteriors = shares[shared]
    converged = False
    n_iterations = 0
    while n_iterations < max_iterations:
        n_iterations += 1
        priors, confusions = _m_step(
            posteriors, fit_item, fit_cell, fit_weight, every_shared, n_annotators, n_labels
        )
        updated = _e_step(
            priors, confusions, fit_item, fit_annotator, fit_label, fit_weight, len(shared)
        )
        change = float(np.abs(updated - posteriors).max())
        posteriors = updated
        if change <= tolerance:
            converged = True
            break
    priors, confusions = _m_step(
        posteriors, fit_item, fit_cell, fit_weight, every_shared, n_annotators, n_labels
    )
    known_weight = weight * fitted_annotator[annotator]
    posteriors = _e_step(priors, confusions, item, annotator, label, known_weight, n_items)
    has_known = np.bincount(item, weights=known_weight, minlength=n_items) > 0
    posteriors[~has_known] = shares[~has_known]
    return DawidSkeneFit(
        items, annotators, labels, posteriors, confusions, priors, n_iterations, converged
    )


def _e_step(
    priors: np.ndarray,
    confusions: np.ndarray,
    item: np.ndarray,
    annotator: np.ndarray,
    label: np.ndarray,
    weight: np.ndarray,
    n_items: int,
) -> np.ndarray:
    n_labels = len(priors)
    log_post = np.tile(np.log(priors), (n_items, 1))
    # each row adds w * log pi[a, k, l] to its item, for every true label k
    row_terms = weight[:, None] * np.log(confusions)[annotator, :, label]
    for k in range(n_labels):
        log_post[:, k] += np.bincount(item, weights=row_terms[:, k], minlength=n_items)
    log_post -= log_post.max(axis=1, keepdims=True)
    posteriors = np.exp(log_post)
    return posteriors / posteriors.sum(axis=1, keepdims=True)


def _m_step(
    posteriors: np.ndarray,
    item: np.ndarray,
    cell: np.ndarray,
    weight: np.ndarray,
    fitted_item: np.ndarray,
    n_annotators: int,
    n_labels: int,
) -> tuple[np.ndarray, np.ndarray]:
    priors = posteriors[fitted_item].mean(axis=0)
    priors = np.clip(priors, 1e-12, None)
    priors /= priors.sum()
    counts = np.empty((n_annotators, n_labels, n_labels))
    for k in range(n_labels):
        counts[:, k, :] = np.bincount(
            cell, weights=weight * posteriors[item, k], minlength=n_annotators * n_labels
        ).reshape(n_annotators, n_labels)
    counts += SMOOTHING
    return priors, counts / counts.sum(axis=2, keepdims=True)


def posterior_table(
    evidence: pd.DataFrame, tolerance: float = 1e-5, max_iterations: int = 500
) -> pd.DataFrame:
    """Long table of the fit: one row per item and label with its posterior probability,
    and the fit's iterations and convergence on every row."""
    fit = dawid_skene(evidence, tolerance=tolerance, max_iterations=max_iterations)
    n_items, n_labels = len(fit.items), len(fit.labels)
    return pd.DataFrame(
        {
            "item_id": pd.Series(np.repeat(fit.items, n_labels), dtype="string"),
            "label": pd.Series(np.tile(fit.labels, n_items), dtype="string"),
            "posterior": fit.posteriors.reshape(-1).astype(float),
            "n_iterations": np.full(n_items * n_labels, fit.n_iterations, dtype=np.int64),
            "is_converged": np.full(n_items * n_labels, fit.converged, dtype=bool),
        }
    )
