"""Robust statistics of a few numbers, for the loops that walk a record beat by beat.

The QRS classifier and the dominant-rhythm estimate take a median of the last eight or
so values at every step: numpy's per-call overhead would dominate such tiny inputs.
"""

from __future__ import annotations

from collections.abc import Iterable


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
