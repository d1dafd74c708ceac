"""Labels from several annotators' answers, weighing each annotator by how they err.

Majority vote counts every answer alike. The model of Dawid & Skene (1979) gives every
annotator a confusion matrix (the chance of each answer given the true class) and every
class a prior, estimates both with EM from the answers alone, and labels each item with
its most probable class. An annotator who always gives the same answer then carries no
weight, and one who confuses two particular classes is discounted only there.

The model needs at least three raters who carry information: from two, the table of
their joint answers has fewer free cells than the model has parameters, and equally
likely fits can disagree on some items (on simulated crowds of two careful raters and a
careless one, it still beats the majority vote on the whole, not in every crowd).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wavetag.signal.ratings import Item, _code, _index

F64 = npt.NDArray[np.float64]


@dataclass
class DawidSkene:
    """Result of :func:`dawid_skene`.

    Attributes
    ----------
    labels : list of hashable or None
        Per item, its most probable class (None for an item nobody rated).
    posteriors : list of dict of hashable to float
        Per item, the probability of each class (in the order of the categories; the
        priors for an item nobody rated). Each sums to 1.
    p : list of float or None
        Per item, the probability of its label (None for an item nobody rated).
    priors : dict of hashable to float
        Estimated share of each class.
    confusion : dict of str to list of list of float
        Per rater, P(answer | true class): row = true class, column = answer, in the
        order of the categories; rows sum to 1.
    accuracy : dict of str to float
        Per rater, the expected share of right answers, sum_k prior_k * confusion_kk.
    iterations : int
        EM rounds run.
    converged : bool
        Whether the fit stopped improving (by ``tol``) before ``max_iter`` rounds.
    """

    labels: list[Hashable | None]
    posteriors: list[dict[Hashable, float]]
    p: list[float | None]
    priors: dict[Hashable, float]
    confusion: dict[str, list[list[float]]]
    accuracy: dict[str, float]
    iterations: int
    converged: bool


def dawid_skene(
    items: Sequence[Item],
    categories: Sequence[Hashable],
    *,
    max_iter: int = 200,
    tol: float = 1e-6,
    smoothing: float = 0.01,
    diagonal: float = 1.0,
) -> DawidSkene:
    """Estimate each item's class, each class's prior and each rater's confusion matrix.

    Parameters
    ----------
    items : sequence of mapping of str to hashable
        Per item, each rater's answer; raters may rate any subset of the items.
    categories : sequence of hashable
        The classes (at least one); an answer outside them raises ``ValueError``.
    max_iter : int
        Most EM rounds (at least 1).
    tol : float
        Convergence: the mean log-likelihood per answer changes by less than this in one
        round.
    smoothing : float
        Pseudo-count (> 0) added to every cell of every confusion matrix and to every
        class count: a rater who never met a class gets a uniform row for it instead of
        0/0, and no probability is exactly 0, so one answer cannot veto a class.
    diagonal : float
        Pseudo-count (>= 0) added to the diagonal of every confusion matrix: a Dirichlet
        prior that a rater is more often right than wrong. With few informative raters
        (two careful ones and one who always answers the same) the plain model is barely
        identified and EM may settle on a view worse than the vote; one pseudo-answer per
        class keeps it near the raters' agreement without swamping real evidence.

    Returns
    -------
    DawidSkene

    Examples
    --------
    >>> items = [{"a": "N", "b": "N", "c": "V"}, {"a": "V", "b": "V", "c": "V"},
    ...          {"a": "N", "b": "N", "c": "V"}, {"a": "N"}, {}]
    >>> r = dawid_skene(items, ["N", "V"])
    >>> r.labels
    ['N', 'V', 'N', 'N', None]
    >>> r.accuracy["c"] < r.accuracy["a"]
    True

    Notes
    -----
    1. **Start** from the soft majority vote: each item's posterior is the share of its
       answers in each class. A hard vote would have to break ties arbitrarily.
    2. **M-step.** Priors: the posteriors' mean over rated items. Confusion of rater r,
       row k: the posterior weight of class k over the items r rated, split by r's
       answer; smoothed, then normalised.
    3. **E-step.** log posterior of class k for an item = log prior_k + the sum over
       its answers of log confusion[rater, k, answer], normalised with log-sum-exp
       (many answers would underflow a product of probabilities).
    4. Repeat 2-3 until the log-likelihood of the answers stops improving (by ``tol``
       per answer) or ``max_iter`` rounds. Not until the posteriors stop moving: with
       few informative raters the model is barely identified (two raters leave a ridge
       of equally likely confusion matrices), and EM then creeps along the ridge for
       thousands of rounds away from the vote it started from, towards one rater's
       view, with no better fit to show for it.
    5. The label is the class of highest posterior; ties go to the earlier category.

    The result depends only on the input: no random start, and raters in name order.
    """
    # Here: scipy.special takes ~0.5 s to import, and the API (which every command and
    # server start loads) reaches this module.
    from scipy.special import logsumexp

    index = _index(categories)
    k = len(index)
    if k == 0:
        raise ValueError("categories must not be empty")
    if max_iter < 1 or smoothing <= 0 or diagonal < 0:
        raise ValueError(
            "max_iter must be at least 1, smoothing more than 0 and diagonal at least 0"
        )
    raters = sorted({r for item in items for r in item})
    rater_of = {r: j for j, r in enumerate(raters)}
    # One entry per answer: which item, which rater, which class.
    answers = np.array(
        [(i, rater_of[r], _code(index, v)) for i, it in enumerate(items) for r, v in it.items()],
        dtype=np.int64,
    ).reshape(-1, 3)
    item_idx, rater_idx, answer_idx = answers.T
    n = len(items)
    rated = np.zeros(n, dtype=bool)
    rated[item_idx] = True

    votes = np.zeros((n, k))
    np.add.at(votes, (item_idx, answer_idx), 1.0)
    post: F64 = np.where(rated[:, None], votes, 1.0)
    post /= post.sum(axis=1, keepdims=True)

    iterations, converged, log_like = 0, False, -np.inf
    while iterations < max_iter and not converged:
        iterations += 1
        priors = (post[rated].sum(axis=0) + smoothing) / (int(rated.sum()) + k * smoothing)
        # weight[r, answer, class]: posterior mass of each class behind r's answers.
        weight = np.zeros((len(raters) * k, k))
        np.add.at(weight, rater_idx * k + answer_idx, post[item_idx])
        pi = weight.reshape(len(raters), k, k).transpose(0, 2, 1) + smoothing
        pi += diagonal * np.eye(k)
        pi /= pi.sum(axis=2, keepdims=True)

        log_post = np.tile(np.log(priors), (n, 1))
        np.add.at(log_post, item_idx, np.log(pi[rater_idx, :, answer_idx]))
        norm = logsumexp(log_post, axis=1, keepdims=True)
        post = np.exp(log_post - norm)
        previous, log_like = log_like, float(norm[rated].sum()) / max(len(answers), 1)
        converged = abs(log_like - previous) < tol

    best = post.argmax(axis=1)
    cats = list(categories)
    return DawidSkene(
        labels=[cats[b] if rated[i] else None for i, b in enumerate(best.tolist())],
        posteriors=[dict(zip(cats, row, strict=True)) for row in post.tolist()],
        p=[float(post[i, b]) if rated[i] else None for i, b in enumerate(best.tolist())],
        priors=dict(zip(cats, priors.tolist(), strict=True)),
        confusion={r: pi[j].tolist() for j, r in enumerate(raters)},
        accuracy={r: float(priors @ np.diag(pi[j])) for j, r in enumerate(raters)},
        iterations=iterations,
        converged=converged,
    )
