"""Agreement between two sets of beat annotations, and between annotators' labels.

Beat matching follows the beat-by-beat comparison of ANSI/AAMI EC57 (the
``bxb`` program of the WFDB software): a test beat matches a reference beat
when they lie within a match window (150 ms), each beat matches at most once,
and the closest pairs are matched first.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]


@dataclass
class BeatMatch:
    """Result of :func:`match_beats`.

    Attributes
    ----------
    pairs : ndarray of int64, shape (matches, 2)
        Index into the reference and into the test set of each matched pair,
        in reference order.
    missed : ndarray of int64
        Indices of reference beats without a match (false negatives).
    extra : ndarray of int64
        Indices of test beats without a match (false positives).
    disagreements : list of (int, int, str, str)
        Matched pairs whose labels differ: reference index, test index,
        reference label, test label (empty when no labels were given).
    confusion : dict of (str, str) -> int
        Counts of (reference label, test label) over matched pairs.
    n_ref, n_test : int
        Sizes of the two sets.
    """

    pairs: I64
    missed: I64
    extra: I64
    disagreements: list[tuple[int, int, str, str]] = field(default_factory=list)
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)
    n_ref: int = 0
    n_test: int = 0
    kappa: float | None = None

    @property
    def n_matched(self) -> int:
        return len(self.pairs)

    @property
    def sensitivity(self) -> float:
        """Se = matched / reference beats (1.0 when there are none)."""
        return self.n_matched / self.n_ref if self.n_ref else 1.0

    @property
    def ppv(self) -> float:
        """+P = matched / test beats (1.0 when there are none)."""
        return self.n_matched / self.n_test if self.n_test else 1.0

    def class_stats(self, label: str) -> tuple[float | None, float | None]:
        """Se and +P of one label over matched beats (None when undefined).

        Se: reference beats of ``label`` that the test labelled ``label``, out
        of the reference beats of ``label`` (matched or missed: a missed beat
        counts against Se, as in EC57). +P: out of the matched test beats
        labelled ``label``.
        """
        tp = self.confusion.get((label, label), 0)
        ref_n = sum(v for (r, _), v in self.confusion.items() if r == label)
        test_n = sum(v for (_, t), v in self.confusion.items() if t == label)
        ref_n += self._missed_of.get(label, 0)
        se = tp / ref_n if ref_n else None
        pp = tp / test_n if test_n else None
        return se, pp

    _missed_of: dict[str, int] = field(default_factory=dict, repr=False)

    def summary(self) -> dict[str, object]:
        """Plain numbers (JSON-ready)."""
        return {
            "n_ref": self.n_ref,
            "n_test": self.n_test,
            "matched": self.n_matched,
            "missed": len(self.missed),
            "extra": len(self.extra),
            "sensitivity": self.sensitivity,
            "ppv": self.ppv,
            "label_disagreements": len(self.disagreements),
            "kappa": self.kappa,
        }


def match_beats(
    ref: npt.ArrayLike,
    test: npt.ArrayLike,
    fs: float,
    window_s: float = 0.150,
    ref_labels: Sequence[str] | None = None,
    test_labels: Sequence[str] | None = None,
) -> BeatMatch:
    """Match two sets of beat positions one to one, nearest pairs first.

    Parameters
    ----------
    ref, test : array_like of int
        Beat positions, samples (any order).
    fs : float
        Sampling frequency, Hz.
    window_s : float
        Largest distance between matched beats, s (inclusive; EC57: 0.150).
    ref_labels, test_labels : sequence of str, optional
        Beat codes, aligned with ``ref`` and ``test``; when both are given the
        result has label disagreements, a confusion table and Cohen's kappa.

    Returns
    -------
    BeatMatch

    Examples
    --------
    >>> m = match_beats([1000, 2000, 3000], [1010, 2200, 2990], fs=1000.0)
    >>> m.pairs.tolist(), m.missed.tolist(), m.extra.tolist()
    ([[0, 0], [2, 2]], [1], [1])
    >>> round(m.sensitivity, 3), round(m.ppv, 3)
    (0.667, 0.667)

    Notes
    -----
    1. Candidate pairs: every (reference, test) pair within the window, found
       with two binary searches per reference beat.
    2. Sort the candidates by distance (ties: earlier reference beat first).
    3. Accept a pair when neither of its beats is taken yet.
    """
    r = np.asarray(ref, dtype=np.int64)
    t = np.asarray(test, dtype=np.int64)
    w = window_s * fs
    t_order = np.argsort(t, kind="stable")
    ts = t[t_order]
    lo = np.searchsorted(ts, r - w, side="left")
    hi = np.searchsorted(ts, r + w, side="right")
    counts = hi - lo
    ri = np.repeat(np.arange(len(r)), counts)
    starts = np.repeat(lo, counts)
    within = np.arange(len(ri)) - np.repeat(np.cumsum(counts) - counts, counts)
    tj = t_order[starts + within] if len(ri) else np.zeros(0, dtype=np.int64)
    dist = np.abs(r[ri] - t[tj])
    order = np.lexsort((ri, dist))
    used_r = np.zeros(len(r), dtype=bool)
    used_t = np.zeros(len(t), dtype=bool)
    pairs: list[tuple[int, int]] = []
    for a, b in zip(ri[order].tolist(), tj[order].tolist(), strict=True):
        if not used_r[a] and not used_t[b]:
            used_r[a] = used_t[b] = True
            pairs.append((a, b))
    pair_arr = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    out = BeatMatch(
        pairs=pair_arr,
        missed=np.flatnonzero(~used_r).astype(np.int64),
        extra=np.flatnonzero(~used_t).astype(np.int64),
        n_ref=len(r),
        n_test=len(t),
    )
    if ref_labels is not None and test_labels is not None:
        if len(ref_labels) != len(r) or len(test_labels) != len(t):
            raise ValueError("labels must be as many as the beats they label")
        a_lab = [ref_labels[i] for i in pair_arr[:, 0].tolist()]
        b_lab = [test_labels[j] for j in pair_arr[:, 1].tolist()]
        for (i, j), x, y in zip(pair_arr.tolist(), a_lab, b_lab, strict=True):
            out.confusion[(x, y)] = out.confusion.get((x, y), 0) + 1
            if x != y:
                out.disagreements.append((i, j, x, y))
        for i in out.missed.tolist():
            out._missed_of[ref_labels[i]] = out._missed_of.get(ref_labels[i], 0) + 1
        out.kappa = cohen_kappa(a_lab, b_lab) if a_lab else None
    return out


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa between two raters' categorical labels of the same items.

    Parameters
    ----------
    a, b : sequence of hashable
        One label per item from each rater (same length, at least one item).

    Returns
    -------
    float
        (p_o - p_e) / (1 - p_e): 1 for perfect agreement, 0 for chance level.
        When both raters always give the same single label, 1.0.

    Notes
    -----
    1. Build the confusion matrix over the union of the labels.
    2. p_o: its diagonal share; p_e: the sum over labels of the product of
       the two raters' marginal shares.
    """
    if len(a) != len(b):
        raise ValueError("both raters must label the same items")
    if not a:
        raise ValueError("kappa needs at least one item")
    cats = {c: i for i, c in enumerate(dict.fromkeys([*a, *b]))}
    m = np.zeros((len(cats), len(cats)))
    np.add.at(m, ([cats[x] for x in a], [cats[y] for y in b]), 1)
    m /= m.sum()
    p_o = float(np.trace(m))
    p_e = float(m.sum(axis=1) @ m.sum(axis=0))
    if p_e >= 1.0:
        return 1.0
    return (p_o - p_e) / (1.0 - p_e)


def fleiss_kappa(ratings: Sequence[Sequence[Hashable]]) -> float:
    """Fleiss' kappa: agreement of several raters on categorical labels.

    Parameters
    ----------
    ratings : sequence of sequences of hashable
        One row per item, holding the labels the raters gave it; every row
        has the same number of ratings (at least two). Which rater gave which
        label does not matter (as when tasks go to whoever claims them).

    Returns
    -------
    float
        (P_bar - P_e) / (1 - P_e); 1.0 when every rater always gives the
        same single label.

    Notes
    -----
    1. Count, per item, how many raters chose each category (n_ij).
    2. P_i = (sum_j n_ij^2 - n) / (n (n - 1)); P_bar is their mean.
    3. p_j = share of all ratings in category j; P_e = sum_j p_j^2.
    """
    if not ratings:
        raise ValueError("kappa needs at least one item")
    n = len(ratings[0])
    if n < 2 or any(len(r) != n for r in ratings):
        raise ValueError("every item needs the same number (at least two) of ratings")
    cats = {c: i for i, c in enumerate(dict.fromkeys(c for r in ratings for c in r))}
    counts = np.zeros((len(ratings), len(cats)))
    for i, row in enumerate(ratings):
        for c in row:
            counts[i, cats[c]] += 1
    p_i = (np.sum(counts**2, axis=1) - n) / (n * (n - 1))
    p_j = counts.sum(axis=0) / counts.sum()
    p_bar, p_e = float(p_i.mean()), float(np.sum(p_j**2))
    if p_e >= 1.0:
        return 1.0
    return (p_bar - p_e) / (1.0 - p_e)


@dataclass
class BeatGroup:
    """One beat as k annotation sets have it, or do not.

    Attributes
    ----------
    sample : int
        Position, samples: the mean of its members' positions, rounded.
    members : list of int or None
        Per set, the index of its beat in that set (None: the set has no beat here).
    labels : list of str or None
        Per set, that beat's label (None: no beat).
    """

    sample: int
    members: list[int | None]
    labels: list[str | None]

    @property
    def kind(self) -> str | None:
        """None when every set has the beat with one label; ``"missing"`` when some set
        has no beat here (missing in it, extra in the others); ``"label"`` when every set
        has it but the labels differ."""
        if any(m is None for m in self.members):
            return "missing"
        if len(set(self.labels)) > 1:
            return "label"
        return None


def group_beats(
    samples: Sequence[npt.ArrayLike],
    labels: Sequence[Sequence[str]],
    fs: float,
    window_s: float = 0.150,
) -> list[BeatGroup]:
    """Group the beats of k sets (k ≥ 1) by bxb matching: one group per beat of the record.

    Parameters
    ----------
    samples : sequence of array_like of int
        Per set, its beat positions (samples, any order).
    labels : sequence of sequence of str
        Per set, its beat codes, aligned with ``samples``.
    fs : float
        Sampling frequency, Hz.
    window_s : float
        Largest distance between beats of one group, s (EC57: 0.150).

    Returns
    -------
    list of BeatGroup
        In time order; ``kind`` tells the disagreements.

    Examples
    --------
    >>> g = group_beats([[100, 500, 900], [102, 905], [98, 500, 900]],
    ...                 [["N", "N", "N"], ["N", "V"], ["N", "N", "N"]], fs=1000.0)
    >>> [(x.sample, x.kind) for x in g]
    [(100, None), (500, 'missing'), (902, 'label')]
    >>> g[1].labels, g[2].labels
    (['N', None, 'N'], ['N', 'V', 'N'])

    Notes
    -----
    1. The groups start as the beats of the first set.
    2. Each further set is matched to the groups' positions with :func:`match_beats`
       (nearest pairs first, one to one): a matched beat joins its group, which moves to
       the mean of its members; an unmatched beat starts a group the earlier sets lack.
    3. The groups are sorted by position.

    With two sets this is exactly the bxb comparison of the two; with more, a beat far
    from the first set's could in principle group differently in another order of the
    sets, which for beats 150 ms apart at most does not arise in practice.
    """
    k = len(samples)
    if len(labels) != k:
        raise ValueError("labels must be given for every set")
    positions: list[float] = []
    counts: list[int] = []
    members: list[list[int | None]] = []
    names: list[list[str | None]] = []
    for j in range(k):
        s = np.asarray(samples[j], dtype=np.int64)
        lab = labels[j]
        if len(lab) != len(s):
            raise ValueError(f"set {j}: {len(lab)} labels for {len(s)} beats")
        ref = np.rint(np.asarray(positions, dtype=np.float64)).astype(np.int64)
        m = match_beats(ref, s, fs, window_s)
        for g, i in m.pairs.tolist():
            members[g][j] = i
            names[g][j] = lab[i]
            positions[g] = (positions[g] * counts[g] + int(s[i])) / (counts[g] + 1)
            counts[g] += 1
        for i in m.extra.tolist():
            positions.append(float(s[i]))
            counts.append(1)
            row: list[int | None] = [None] * k
            row[j] = i
            members.append(row)
            label_row: list[str | None] = [None] * k
            label_row[j] = lab[i]
            names.append(label_row)
    order = sorted(range(len(positions)), key=lambda g: positions[g])
    return [BeatGroup(int(round(positions[g])), members[g], names[g]) for g in order]


def pairwise_agreement(
    samples: Sequence[npt.ArrayLike],
    labels: Sequence[Sequence[str]],
    fs: float,
    window_s: float = 0.150,
) -> list[dict[str, object]]:
    """bxb statistics between every two of k sets: Se and +P of set b against set a,
    and Cohen's kappa of their labels on the matched beats.

    Returns
    -------
    list of dict
        One per pair (a < b), as :meth:`BeatMatch.summary` with the set indices
        ``a`` and ``b`` added.
    """
    out: list[dict[str, object]] = []
    for a in range(len(samples)):
        for b in range(a + 1, len(samples)):
            m = match_beats(samples[a], samples[b], fs, window_s, labels[a], labels[b])
            out.append({"a": a, "b": b, **m.summary()})
    return out
