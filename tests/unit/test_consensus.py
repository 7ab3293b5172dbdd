"""Dawid-Skene consensus (smartloop.consensus) on small hand cases and simulated crowds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartloop import consensus


def crowd(seed: int, n_items: int = 2000, per_item: int = 3, bias: float = 0.8):
    """Annotations of a crowd of 5 annotators (accuracy 0.55 to 0.95, 3 labels) and the truth."""
    rng = np.random.default_rng(seed)
    accuracies = [0.55, 0.65, 0.75, 0.85, 0.95]
    truth = rng.choice(3, size=n_items, p=[0.5, 0.3, 0.2])
    habit = [[rng.choice([w for w in range(3) if w != k]) for k in range(3)] for _ in accuracies]
    rows = []
    for i in range(n_items):
        for a in rng.choice(5, size=per_item, replace=False):
            k = int(truth[i])
            if rng.random() < accuracies[a]:
                label = k
            elif rng.random() < bias:
                label = habit[a][k]
            else:
                label = int(rng.choice([w for w in range(3) if w != k]))
            rows.append((f"i{i:05d}", f"a{a}", f"c{label}"))
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"]), truth, accuracies


def majority(evidence: pd.DataFrame, items: list[str]) -> np.ndarray:
    votes = evidence.groupby(["item_id", "label"]).size().unstack(fill_value=0)
    return votes.loc[items].to_numpy().argmax(axis=1)  # ties: first label by name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_beats_majority_vote_and_recovers_annotator_accuracy(seed: int) -> None:
    evidence, truth, accuracies = crowd(seed)
    fit = consensus.dawid_skene(evidence)
    assert fit.converged
    true_codes = truth[[int(item[1:]) for item in fit.items]]
    ds_accuracy = float((fit.posteriors.argmax(axis=1) == true_codes).mean())
    mv_accuracy = float((majority(evidence, fit.items) == true_codes).mean())
    assert ds_accuracy >= mv_accuracy + 0.03
    # an annotator's expected accuracy: the mean posterior of the labels it gave
    item_index = evidence["item_id"].map({item: i for i, item in enumerate(fit.items)})
    label_index = evidence["label"].map({label: k for k, label in enumerate(fit.labels)})
    evidence = evidence.assign(p=fit.posteriors[item_index, label_index])
    estimated = evidence.groupby("annotator_id")["p"].mean()
    for a, accuracy in enumerate(accuracies):
        assert abs(estimated[f"a{a}"] - accuracy) <= 0.05


def test_confusions_and_posteriors_are_distributions() -> None:
    evidence, _, _ = crowd(4, n_items=300)
    fit = consensus.dawid_skene(evidence)
    np.testing.assert_allclose(fit.posteriors.sum(axis=1), 1.0)
    np.testing.assert_allclose(fit.confusions.sum(axis=2), 1.0)
    assert fit.priors.sum() == pytest.approx(1.0)


def test_the_same_evidence_in_any_order_gives_the_same_fit() -> None:
    evidence, _, _ = crowd(5, n_items=300)
    shuffled = evidence.sample(frac=1.0, random_state=0)
    a = consensus.posterior_table(evidence).sort_values(["item_id", "label"])
    b = consensus.posterior_table(shuffled).sort_values(["item_id", "label"])
    np.testing.assert_allclose(a["posterior"].to_numpy(), b["posterior"].to_numpy(), atol=1e-12)


def test_a_weighted_vote_outweighs_two_unweighted_ones() -> None:
    evidence = pd.DataFrame(
        {
            "item_id": ["x", "x", "x"],
            "annotator_id": ["a", "b", "reviewer:r"],
            "label": ["ham", "ham", "spam"],
            "weight": [1.0, 1.0, 3.0],
        }
    )
    fit = consensus.dawid_skene(evidence)
    assert fit.labels[int(fit.posteriors[0].argmax())] == "spam"


def test_the_iteration_cap_is_reported_as_not_converged() -> None:
    evidence, _, _ = crowd(6, n_items=300)
    fit = consensus.dawid_skene(evidence, max_iterations=1)
    assert (fit.n_iterations, fit.converged) == (1, False)


def test_no_evidence_gives_an_empty_table() -> None:
    empty = pd.DataFrame({"item_id": [], "annotator_id": [], "label": [], "weight": []})
    table = consensus.posterior_table(empty)
    assert list(table.columns) == ["item_id", "label", "posterior", "n_iterations", "is_converged"]
    assert table.empty


def test_a_single_annotator_gives_one_hot_posteriors() -> None:
    evidence = pd.DataFrame(
        {"item_id": ["a", "b", "c"], "annotator_id": ["x"] * 3, "label": ["ham", "spam", "ham"]}
    )
    fit = consensus.dawid_skene(evidence)
    assert fit.posteriors.argmax(axis=1).tolist() == [0, 1, 0]
    assert fit.posteriors.max(axis=1).min() > 0.9
