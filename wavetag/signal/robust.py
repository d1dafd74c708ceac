"""Order statistics computed the cheap way, with the values of the expensive one.

:func:`median` serves the loops that walk a record beat by beat (the QRS classifier, the
dominant-rhythm RR), which take a median of the last eight or so values at every step:
numpy's per-call overhead would dominate such tiny inputs. :func:`percentiles` serves the
quality grades and the pacing-spike test, which take percentiles of many short rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
FArr = npt.NDArray[np.floating]


def median(values: Iterable[float]) -> float:
    """The median of a few numbers (the mean of the two middle ones for an even count).

    Plain Python on purpose: on eight numbers this is about ten times faster than
    ``np.median``, and it is called once per candidate or beat of a day-long record.
    Raises ``IndexError`` on no values (the callers check first).

    Examples
    --------
    >>> median([3.0, 1.0, 2.0]), median([4.0, 1.0, 3.0, 2.0])
    (2.0, 2.5)
    """
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


def median_rows(w: F64) -> F64:
    """``np.median(w, axis=1)`` of a 2-D float64 array of short rows (sliding windows of
    beat intervals), to the bit: NaN for a row holding NaN.

    numpy partitions each row at both middles for an even count, then averages them
    through ``np.mean``; a vectorised sort of short rows is two to three times faster
    and gives the same two values, summed and halved as ``np.mean`` does.

    Examples
    --------
    >>> median_rows(np.array([[3.0, 1.0, 2.0, 8.0], [1.0, np.nan, 0.0, 0.0]]))
    array([2.5, nan])
    """
    ranked = np.sort(w, axis=1)  # NaN last
    half = w.shape[1] // 2
    if w.shape[1] % 2:
        out: F64 = ranked[:, half].copy()
    else:
        out = (ranked[:, half - 1] + ranked[:, half]) / 2.0
    out[np.isnan(ranked[:, -1])] = np.nan
    return out


def nanmedian_rows(w: F64) -> F64:
    """``np.nanmedian(w, axis=1)`` of a 2-D float64 array of short rows, to the bit, for
    values that are finite or NaN: NaN for a row of NaN only (without the warning).

    numpy takes the median of rows shorter than 600 values through a masked array
    (``np.ma.median``): on the 300,000 windows of 32 RR intervals of a 72-h Holter, half a
    second per call. Here the same steps without the mask: a sort of each row (NaN
    last, where the masked sort puts its masked values), the low and high middle of the
    row's valid values (the same one twice for an odd count), their sum halved.

    Examples
    --------
    >>> w = np.array([[3.0, np.nan, 1.0, 2.0], [4.0, 1.0, np.nan, np.nan], [np.nan] * 4])
    >>> nanmedian_rows(w)
    array([2. , 2.5, nan])
    """
    ranked = np.sort(w, axis=1)
    count = np.count_nonzero(~np.isnan(w), axis=1)
    high = count // 2
    low = np.where(count % 2 == 1, high, high - 1)
    rows = np.arange(len(w))
    out: F64 = (ranked[rows, low] + ranked[rows, high]) / 2.0
    out[count == 0] = np.nan
    return out


def percentiles(v: FArr, q: float | Sequence[float]) -> FArr:
    """``np.percentile(v, q, axis=-1)`` (its default "linear" method), to the bit, for an
    array without NaN: the same shape, dtype and values.

    Parameters
    ----------
    v : ndarray of float
        Values, percentiles taken along the last axis; no NaN (not checked).
    q : float or sequence of float
        Percentiles, 0 to 100.

    Notes
    -----
    np.percentile moves the axis to the front and partitions along it, copying each
    strided row out and back, at the row ends too (where it looks for NaN). Here:

    1. The order statistics the percentiles fall between, and no others
       (:func:`order_statistics`).
    2. numpy's own interpolation between them, step for step (``_lerp`` of numpy 2:
       from the lower value below one half, from the upper one above), with the weight
       a Python float for a scalar ``q`` as numpy keeps it, so that float32 rows give
       float32 percentiles as they do there.

    ``tests/signal/test_robust.py`` compares the two on random rows with ties.

    Examples
    --------
    >>> v = np.array([[4.0, 1.0, 3.0, 2.0], [0.0, 0.0, 1.0, 9.0]])
    >>> bool(np.array_equal(percentiles(v, [25, 90]), np.percentile(v, [25, 90], axis=-1)))
    True
    """
    scalar = np.ndim(q) == 0
    n = v.shape[-1]
    virtual = (n - 1) * np.true_divide(np.atleast_1d(np.asarray(q, dtype=np.float64)), 100)
    lower = np.floor(virtual).astype(np.intp)
    # At the top (q = 100, or a single value per row) numpy interpolates the last value
    # with itself.
    top = virtual >= n - 1
    lower[top] = n - 1
    upper = np.where(top, n - 1, lower + 1)
    gamma = virtual - np.where(top, -1, lower)
    ranked = order_statistics(v, np.unique(np.concatenate([lower, upper])).tolist())
    a = np.stack([ranked[k] for k in lower.tolist()])
    b = np.stack([ranked[k] for k in upper.tolist()])
    t: float | F64 = gamma.reshape((-1,) + (1,) * (v.ndim - 1))
    if scalar:
        t = float(gamma[0])
        a, b = a[0], b[0]
    diff = b - a
    out = np.add(a, diff * t)
    np.subtract(b, diff * (1 - t), out=out, where=np.asarray(t) >= 0.5)
    return out


def order_statistics(v: FArr, ks: list[int]) -> dict[int, FArr]:
    """The ``k``-th smallest value of each row of ``v`` (along the last axis), for each
    ``k`` of ``ks`` (sorted, distinct): exactly the values a sort of each row has there.

    numpy partitions at one index in a few passes, but at several indices many times
    slower (on 39-value rows, two indices took five times as long as one): one index
    ``k`` also gives ``k - 1`` as the largest value below it; more than that, a sort of
    each row (vectorised in numpy 2) is cheaper. Long rows (the 2,000 samples of a
    5-s quality segment at 400 Hz) take the few values around each ``k`` out first
    (:func:`_bracketed`): about twice as fast as either.
    """
    n = v.shape[-1]
    if n >= BRACKET_MIN and v.size:
        flat = v.reshape(-1, n)
        return {k: r.reshape(v.shape[:-1]) for k, r in _bracketed(flat, ks).items()}
    part = np.array(v, order="C")
    top = ks[-1]
    if len(ks) == 1 or (len(ks) == 2 and ks[0] == top - 1):
        part.partition(top, axis=-1)
        out = {top: part[..., top]}
        if len(ks) == 2:
            out[ks[0]] = part[..., :top].max(axis=-1)
        return out
    part.sort(axis=-1)
    return {k: part[..., k] for k in ks}


BRACKET_MIN = 1000  # values a row, from which order_statistics brackets
_SAMPLE = 128  # values of each row sorted to place the brackets
_MARGIN = 6  # sample values either side of a rank's estimate: wide enough nearly always


def _bracketed(v: FArr, ks: list[int]) -> dict[int, FArr]:
    """:func:`order_statistics` of long rows (2-D ``v``) by bracketing.

    1. Sort an evenly spaced sample of each row; around where a rank (or a run of
       close ranks) falls in it, take two sample values as a bracket ``lo``-``hi``.
    2. Count the values below ``lo``, and take the values from ``lo`` to ``hi`` out
       (a few percent of the row), padded with +inf into one array, and sort that.
    3. The rank's value is the sorted candidates' ``k - below``-th, when the
       candidates hold it (``below <= k < below + count``, ties included, since
       every value under ``lo`` ranks before them and every one over ``hi`` after);
       rows where they do not (a sample far from typical) are partitioned whole.
    """
    m, n = v.shape
    step = max(1, n // _SAMPLE)
    sample = np.sort(v[:, ::step], axis=-1)
    ns = sample.shape[1]
    groups: list[list[int]] = []
    for k in ks:
        if groups and k - groups[-1][-1] <= 2:
            groups[-1].append(k)
        else:
            groups.append([k])
    rows = np.arange(m)
    out: dict[int, FArr] = {}
    for group in groups:
        a = group[0] * ns // n - _MARGIN
        b = group[-1] * ns // n + _MARGIN + 1
        if a > 0:
            low = v < sample[:, a, None]
            below = np.count_nonzero(low, axis=1)
            inside = ~low if b >= ns else ~low & (v <= sample[:, b, None])
        else:
            below = np.zeros(m, dtype=np.intp)
            inside = np.ones(v.shape, dtype=bool) if b >= ns else (v <= sample[:, b, None])
        count = np.count_nonzero(inside, axis=1)
        width = max(int(count.max()), 1)
        values = v[inside]  # row after row
        start = np.cumsum(count) - count
        candidates = np.full((m, width), np.inf, dtype=v.dtype)
        candidates[np.repeat(rows, count), np.arange(len(values)) - np.repeat(start, count)] = (
            values
        )
        candidates.sort(axis=-1)
        missed = np.flatnonzero((below > group[0]) | (below + count <= group[-1]))
        for k in group:
            at = np.clip(k - below, 0, width - 1)
            found = candidates[rows, at]
            if len(missed):
                found[missed] = np.partition(v[missed], k, axis=-1)[:, k]
            out[k] = found
    return out
