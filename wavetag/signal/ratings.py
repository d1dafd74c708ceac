"""Agreement between annotators on nominal labels: percent agreement, Fleiss' kappa,
Krippendorff's alpha, Cohen's kappa per pair, and one annotator against final labels.

An *item* is a mapping from rater name to the category that rater gave it; raters who
did not rate the item are absent, so items may have different numbers of ratings.
Functions that take ``categories`` (the schema's choices) raise ``ValueError`` for a
value outside them: a caller passing such a value has a bug that a statistic over a
silently grown category list would hide.

Every function returns plain Python numbers (no numpy scalars, no NaN) and ``None`` where
a statistic is undefined, so that the results go to JSON as they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from itertools import combinations

import numpy as np
import numpy.typing as npt

Item = Mapping[str, Hashable]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def _index(categories: Sequence[Hashable]) -> dict[Hashable, int]:
    """Position of each category; the categories must be distinct."""
    index = {c: i for i, c in enumerate(categories)}
    if len(index) != len(categories):
        raise ValueError("categories must be distinct")
    return index


def _code(index: Mapping[Hashable, int], value: Hashable) -> int:
    try:
        return index[value]
    except KeyError:
        raise ValueError(f"{value!r} is not one of the categories {list(index)!r}") from None


def _counts(items: Sequence[Item], index: Mapping[Hashable, int]) -> F64:
    """Ratings per category (columns) of each item with at least two ratings (rows).

    Every item is checked against the categories, also those left out.
    """
    coded = [[_code(index, v) for v in item.values()] for item in items]
    pairable = [row for row in coded if len(row) >= 2]
    counts = np.zeros((len(pairable), len(index)))
    if pairable:
        rows = np.repeat(np.arange(len(pairable)), [len(r) for r in pairable])
        np.add.at(counts, (rows, np.concatenate(pairable)), 1.0)
    return counts


def _same_size(counts: F64) -> bool:
    return len(np.unique(counts.sum(axis=1))) <= 1


def _fleiss(counts: F64) -> float | None:
    n = counts.sum(axis=1)
    totals = counts.sum(axis=0)
    # Expected agreement is 1 (kappa 0/0) when a single category was used.
    if not len(counts) or not _same_size(counts) or np.count_nonzero(totals) < 2:
        return None
    m = n[0]
    p_bar = float(np.mean((np.sum(counts**2, axis=1) - m) / (m * (m - 1))))
    p_j = totals / totals.sum()
    p_e = float(p_j @ p_j)
    return (p_bar - p_e) / (1.0 - p_e)


def _coincidence(counts: F64) -> F64:
    # o_ck = sum over items of n_c (n_k - [c == k]) / (m - 1): every ordered pair of
    # ratings by different raters in an item, each item weighing as its m ratings.
    weighted = counts / (counts.sum(axis=1) - 1.0)[:, None]
    out: F64 = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    return out


def _alpha(o: F64) -> float | None:
    n_c = o.sum(axis=1)
    if np.count_nonzero(n_c) < 2:
        return None
    n = float(n_c.sum())
    # Nominal metric: alpha = 1 - D_o / D_e with D_o = (n - trace o) / n and
    # D_e = (n^2 - sum n_c^2) / (n (n - 1)).
    return 1.0 - (n - 1.0) * (n - float(np.trace(o))) / (n * n - float(n_c @ n_c))


def _matrix(
    rows: Sequence[Hashable], cols: Sequence[Hashable], categories: Sequence[Hashable]
) -> I64:
    if len(rows) != len(cols):
        raise ValueError(f"both raters must label the same items ({len(rows)} and {len(cols)})")
    index = _index(categories)
    m = np.zeros((len(index), len(index)), dtype=np.int64)
    np.add.at(m, ([_code(index, v) for v in rows], [_code(index, v) for v in cols]), 1)
    return m


def _kappa(m: I64) -> float | None:
    n = int(m.sum())
    # Chance agreement in integers, so that "p_e == 1" is an exact test.
    chance = int(m.sum(axis=1) @ m.sum(axis=0))
    if n == 0 or chance == n * n:
        return None
    p_o, p_e = int(np.trace(m)) / n, chance / (n * n)
    return (p_o - p_e) / (1.0 - p_e)


def percent_agreement(items: Sequence[Item]) -> float | None:
    """Mean share of agreeing rater pairs per item.

    Parameters
    ----------
    items : sequence of mapping of str to hashable
        Per item, each rater's category.

    Returns
    -------
    float or None
        Over the items with at least two ratings, the mean of (pairs of raters who gave
        the same category) / (pairs of raters); None when no item has two ratings.

    Examples
    --------
    >>> percent_agreement([{"a": "N", "b": "N", "c": "V"}, {"a": "N", "b": "N"}, {"a": "V"}])
    0.6666666666666666
    """
    shares = []
    for item in items:
        m = len(item)
        if m >= 2:
            same = sum(c * (c - 1) for c in Counter(item.values()).values())
            shares.append(same / (m * (m - 1)))
    return sum(shares) / len(shares) if shares else None


def fleiss_kappa(items: Sequence[Item], categories: Sequence[Hashable]) -> float | None:
    """Fleiss' kappa over the items with at least two ratings.

    Parameters
    ----------
    items : sequence of mapping of str to hashable
        Per item, each rater's category. Who gave which rating does not matter.
    categories : sequence of hashable
        The possible categories.

    Returns
    -------
    float or None
        (P_bar - P_e) / (1 - P_e). None when no item has two ratings, when those items
        have different numbers of ratings (Fleiss' kappa assumes the same number; use
        :func:`krippendorff_alpha`), or when one category takes every rating (P_e = 1).

    Notes
    -----
    1. Count, per item, how many raters chose each category (n_ij), m ratings per item.
    2. P_i = (sum_j n_ij^2 - m) / (m (m - 1)); P_bar is their mean.
    3. p_j = share of all ratings in category j; P_e = sum_j p_j^2.
    """
    return _fleiss(_counts(items, _index(categories)))


def coincidence(items: Sequence[Item], categories: Sequence[Hashable]) -> list[list[float]]:
    """Krippendorff's coincidence matrix, rows and columns in ``categories`` order.

    Entry (c, k) counts the ordered pairs of ratings c and k given to one item by two
    different raters, each pair weighted 1 / (m - 1) for an item with m ratings, so that
    every pairable rating adds 1 to its row. Items with fewer than two ratings are left
    out.
    """
    return [[float(x) for x in row] for row in _coincidence(_counts(items, _index(categories)))]


def krippendorff_alpha(
    items: Sequence[Item], categories: Sequence[Hashable] | None = None
) -> float | None:
    """Krippendorff's alpha for nominal data, any number of ratings per item.

    Parameters
    ----------
    items : sequence of mapping of str to hashable
        Per item, each rater's category; items with fewer than two ratings cannot be
        paired and are ignored.
    categories : sequence of hashable, optional
        The possible categories (default: those used, in order of appearance). The value
        does not depend on unused categories; given, they check the data.

    Returns
    -------
    float or None
        1 - D_o / D_e from the coincidence matrix; None when there is nothing to pair or
        a single category was used (no expected disagreement).

    Examples
    --------
    >>> round(krippendorff_alpha([{"a": 1, "b": 1}, {"a": 2, "b": 2, "c": 1}, {"a": 2}]), 4)
    0.3333
    """
    if categories is None:
        categories = list(dict.fromkeys(v for item in items for v in item.values()))
    return _alpha(_coincidence(_counts(items, _index(categories))))


def confusion(
    rows: Sequence[Hashable], cols: Sequence[Hashable], categories: Sequence[Hashable]
) -> list[list[int]]:
    """Counts of (``rows[i]``, ``cols[i]``): row = value in ``rows``, column = value in
    ``cols``, both in ``categories`` order."""
    return [[int(x) for x in row] for row in _matrix(rows, cols, categories)]


def cohen_kappa(
    a: Sequence[Hashable], b: Sequence[Hashable], categories: Sequence[Hashable] | None = None
) -> float | None:
    """Cohen's kappa between two raters' labels of the same items.

    Parameters
    ----------
    a, b : sequence of hashable
        One label per item from each rater, aligned.
    categories : sequence of hashable, optional
        The possible categories (default: those used).

    Returns
    -------
    float or None
        (p_o - p_e) / (1 - p_e); None when there are no items or both raters gave one
        and the same category throughout (p_e = 1).
    """
    if categories is None:
        categories = list(dict.fromkeys([*a, *b]))
    return _kappa(_matrix(a, b, categories))


def field_agreement(
    items: Sequence[Item], categories: Sequence[Hashable], *, min_shared: int = 10
) -> dict[str, object]:
    """Every agreement figure of one labelled field, JSON-ready.

    Parameters
    ----------
    items : sequence of mapping of str to hashable
        Per item, each rater's category.
    categories : sequence of hashable
        The field's choices.
    min_shared : int
        Fewest items two raters must share for their pair to be reported: kappa over a
        handful of items says little.

    Returns
    -------
    dict
        ``items`` and ``ratings`` (items with at least two ratings, and their ratings),
        ``percent_agreement``, ``fleiss_kappa``, ``krippendorff_alpha``, ``coefficient``
        (``"fleiss_kappa"`` when those items all have the same number of ratings, else
        ``"krippendorff_alpha"``) and its ``value``, ``categories``, ``coincidence``, and
        ``pairs``: per pair of raters a < b (by name) sharing at least ``min_shared``
        items, ``a``, ``b``, ``shared``, ``agreement`` (share of equal labels),
        ``cohen_kappa`` and ``confusion`` (rows: a's label, columns: b's label).
    """
    counts = _counts(items, _index(categories))
    fleiss = _fleiss(counts)
    alpha = _alpha(_coincidence(counts))
    coefficient = "fleiss_kappa" if _same_size(counts) else "krippendorff_alpha"
    by_rater: dict[str, dict[int, Hashable]] = {}
    for i, item in enumerate(items):
        for rater, value in item.items():
            by_rater.setdefault(rater, {})[i] = value
    pairs: list[dict[str, object]] = []
    for a, b in combinations(sorted(by_rater), 2):
        shared = by_rater[a].keys() & by_rater[b].keys()
        if len(shared) < min_shared or not shared:
            continue
        order = sorted(shared)
        m = _matrix([by_rater[a][i] for i in order], [by_rater[b][i] for i in order], categories)
        pairs.append(
            {
                "a": a,
                "b": b,
                "shared": len(order),
                "agreement": int(np.trace(m)) / len(order),
                "cohen_kappa": _kappa(m),
                "confusion": m.tolist(),
            }
        )
    return {
        "items": len(counts),
        "ratings": int(counts.sum()),
        "percent_agreement": percent_agreement(items),
        "coefficient": coefficient,
        "value": fleiss if coefficient == "fleiss_kappa" else alpha,
        "fleiss_kappa": fleiss,
        "krippendorff_alpha": alpha,
        "categories": list(categories),
        "coincidence": _coincidence(counts).tolist(),
        "pairs": pairs,
    }


def versus_reference(
    answers: Sequence[Hashable], reference: Sequence[Hashable], categories: Sequence[Hashable]
) -> dict[str, object]:
    """One rater's answers against the final labels of the same items.

    Parameters
    ----------
    answers : sequence of hashable
        The rater's label per item.
    reference : sequence of hashable
        The final (adjudicated or aggregated) label per item, aligned with ``answers``.
    categories : sequence of hashable
        The field's choices.

    Returns
    -------
    dict
        ``n``; ``agreement`` (share of answers equal to the reference; None without
        items); ``cohen_kappa``; ``confusion`` (rows: reference, columns: answer); and
        ``classes``: per category, keyed ``str(category)``, its ``support`` (reference
        items of the class), ``sensitivity`` (of those, the share answered as the class)
        and ``precision`` (of the items answered as the class, the share that are it),
        None where the denominator is 0.

    Examples
    --------
    >>> r = versus_reference(["N", "N", "V", "N"], ["N", "V", "V", "N"], ["N", "V"])
    >>> r["agreement"], r["classes"]["V"]
    (0.75, {'support': 2, 'sensitivity': 0.5, 'precision': 1.0})
    """
    m = _matrix(reference, answers, categories)
    n = int(m.sum())
    hits, support, answered = np.diag(m).tolist(), m.sum(axis=1).tolist(), m.sum(axis=0).tolist()
    classes = {
        str(c): {
            "support": support[j],
            "sensitivity": hits[j] / support[j] if support[j] else None,
            "precision": hits[j] / answered[j] if answered[j] else None,
        }
        for j, c in enumerate(categories)
    }
    return {
        "n": n,
        "agreement": sum(hits) / n if n else None,
        "cohen_kappa": _kappa(m),
        "confusion": m.tolist(),
        "classes": classes,
    }
