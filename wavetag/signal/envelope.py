"""Min/max envelopes: downsample a waveform without losing its peaks.

A screen a few thousand pixels wide cannot show a day of ECG sample by sample,
and plain decimation would drop QRS peaks at random. Instead each pixel column
gets the *exact* minimum and maximum of the samples it covers, so every peak
stays visible at every zoom. This module holds the pure arithmetic of that
scheme, shared by the writer and the reader of :mod:`wavetag.signal.store`:

- which bucket sizes a window may use (:func:`bucket_sizes`, :func:`choose_bucket`),
- exact min/max reductions that skip invalid samples (:func:`reduce_minmax`,
  :func:`reduce_groups`, :func:`split_invalid`, :func:`restore_invalid`),
- what a window is (:class:`ChannelWindow`) and how to turn its digital values
  into physical units (:func:`to_physical`).

Invalid samples
---------------
A channel may declare a digital value ``invalid`` that marks a missing sample.
Minima and maxima ignore those samples. While reducing, an invalid sample is
replaced by the dtype's largest value in the minimum stream and by its smallest
in the maximum stream (the *sentinel form*), so plain ``np.minimum`` and
``np.maximum`` do the right thing and a bucket with no valid sample comes out as
``(dtype max, dtype min)``. That pair cannot describe a bucket holding a valid
sample (it would need min > max), so :func:`restore_invalid` can turn it back
into ``(invalid, invalid)`` without ambiguity.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from wavetag.signal.recording import ChannelInfo

Digital = npt.NDArray[np.signedinteger]


@dataclass(frozen=True)
class ChannelWindow:
    """A window of one channel, as raw samples or as min/max buckets.

    Attributes
    ----------
    channel : int
        Channel index in the record.
    kind : {"raw", "minmax"}
        ``"raw"``: ``values`` holds samples ``first .. first + count - 1``.
        ``"minmax"``: ``min`` and ``max`` hold buckets ``first .. first + count - 1``,
        bucket ``k`` covering samples ``[k * bucket, (k + 1) * bucket)`` (the last
        one possibly cut short by the end of the record).
    t0 : float
        Time of the first sample (raw) or of the start of the first bucket
        (minmax), in seconds from the start of the record: ``first * bucket / fs``.
    step : float
        Seconds between successive values or buckets: ``bucket / fs``.
    first : int
        Index of the first sample (raw) or bucket (minmax).
    count : int
        Number of samples or buckets.
    bucket : int
        Samples per bucket; 1 for raw windows.
    values : ndarray or None
        Digital samples in the channel's dtype (raw windows only).
    min, max : ndarray or None
        Digital minimum and maximum of each bucket in the channel's dtype, invalid
        samples ignored; a bucket holding only invalid samples has
        ``min == max == invalid`` (minmax windows only).
    """

    channel: int
    kind: Literal["raw", "minmax"]
    t0: float
    step: float
    first: int
    count: int
    bucket: int = 1
    values: Digital | None = None
    min: Digital | None = None
    max: Digital | None = None


def to_physical(arr: npt.NDArray[np.integer], channel: ChannelInfo) -> npt.NDArray[np.float32]:
    """Convert digital samples to physical units, NaN where a sample is invalid.

    Parameters
    ----------
    arr : ndarray of int
        Digital values (ADC units) of ``channel``.
    channel : ChannelInfo
        Supplies ``gain`` (ADC units per physical unit), ``baseline`` (ADC
        units) and ``invalid``.

    Returns
    -------
    ndarray of float32
        ``(arr - baseline) / gain`` in the channel's ``units``.

    Examples
    --------
    >>> info = ChannelInfo(0, "MLII", "mV", 360.0, 200.0, 1024, 3, invalid=-32768)
    >>> to_physical(np.array([1024, 1224, -32768], np.int16), info)
    array([ 0.,  1., nan], dtype=float32)
    """
    if not channel.gain:
        raise ValueError(f"channel {channel.index} ({channel.name}) has gain 0")
    # float64 arithmetic first: int32 values and large baselines lose digits in float32.
    # In place on one float64 copy: the same values as ``(a - baseline) / gain`` without
    # two more temporaries (every sample the analysis reads passes here, a 72-h Holter's
    # two channels several times).
    wide = arr.astype(np.float64)
    wide -= channel.baseline
    wide /= channel.gain
    out = wide.astype(np.float32)
    if channel.invalid is not None:
        bad = arr == channel.invalid
        if bad.any():
            out[bad] = np.nan
    return out


def bucket_sizes(factor: int) -> Iterator[int]:
    """Yield the bucket sizes a window may use, in increasing order.

    They are ``m * factor**j`` for ``m`` in ``1 .. factor - 1``, so that:

    1. every bucket is a whole number (``m``) of stored buckets of pyramid level
       ``j``, read and merged without touching raw samples, and
    2. two successive sizes differ by a ratio of at most 2, which is what keeps
       the number of buckets of a window within ``[max_points / 2, max_points]``.

    For ``factor == 4``: 1, 2, 3, 4, 8, 12, 16, 32, 48, 64, ...
    """
    if factor < 2:
        raise ValueError(f"pyramid factor must be at least 2, got {factor}")
    power = 1
    while True:
        for m in range(1, factor):
            yield m * power
        power *= factor


def bucket_count(first: int, stop: int, bucket: int) -> int:
    """Number of grid-aligned buckets of size ``bucket`` touched by samples ``[first, stop)``."""
    return (stop - 1) // bucket - first // bucket + 1


def choose_bucket(first: int, stop: int, max_points: int, factor: int) -> int:
    """Smallest allowed bucket size that shows samples ``[first, stop)`` in ``max_points`` buckets.

    Buckets sit on a fixed grid (bucket ``k`` starts at sample ``k * size``), so
    the count depends on where the window starts as well as on its length.

    Why the result never drops below ``max_points / 2`` buckets: call ``n`` the
    number of samples, ``B`` the chosen size and ``B'`` the previous allowed one
    (``B <= 2 B'``, see :func:`bucket_sizes`). ``B'`` was rejected, so
    ``(n - 1) // B' + 2 >= max_points + 1``, i.e. ``n >= (max_points - 1) B' + 1``;
    hence ``ceil(n / B) >= ceil((max_points - 1) / 2 + 1 / (2 B')) >= max_points / 2``.
    """
    if stop <= first:
        raise ValueError("empty sample range")
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    for size in bucket_sizes(factor):
        if bucket_count(first, stop, size) <= max_points:
            return size
    raise AssertionError("unreachable: bucket sizes grow without bound")


def level_for(bucket: int, factor: int, top_level: int) -> int:
    """Highest pyramid level (at most ``top_level``) whose bucket size divides ``bucket``."""
    level = 0
    while level < top_level and bucket % factor ** (level + 1) == 0:
        level += 1
    return level


@functools.lru_cache(maxsize=16)
def sentinels(dtype: np.dtype[np.signedinteger]) -> tuple[int, int]:
    # Cached: np.iinfo costs more than the comparisons it serves, on every window.
    info = np.iinfo(dtype)
    return int(info.max), int(info.min)


def split_invalid(values: Digital, invalid: int | None) -> tuple[Digital, Digital]:
    """Return ``(for_min, for_max)``: ``values`` in sentinel form (see module docstring).

    Without invalid samples both are ``values`` itself, uncopied: the common case
    costs one vectorised comparison.
    """
    if invalid is None:
        return values, values
    mask = values == invalid
    if not mask.any():
        return values, values
    hi, lo = sentinels(values.dtype)
    return np.where(mask, hi, values), np.where(mask, lo, values)


def restore_invalid(mins: Digital, maxs: Digital, invalid: int | None) -> None:
    """Turn buckets without a valid sample (sentinel form) into ``(invalid, invalid)``, in place."""
    if invalid is None:
        return
    hi, lo = sentinels(mins.dtype)
    empty = (mins == hi) & (maxs == lo)
    if empty.any():  # rarely: a gap longer than a bucket
        mins[empty] = invalid
        maxs[empty] = invalid


def reduce_minmax(mins: Digital, maxs: Digital, factor: int) -> tuple[Digital, Digital]:
    """Exact min and max over consecutive groups of ``factor`` values along the last axis.

    ``mins.shape[-1]`` must be a multiple of ``factor``; leading axes (several channels
    of one grid) are reduced in the same passes. Strided element-wise ``np.minimum``
    runs about ten times faster than ``reshape(-1, factor).min(1)``, whose per-row
    overhead dominates when rows are this short.
    """
    out_min = mins[..., 0::factor].copy()
    out_max = maxs[..., 0::factor].copy()
    for k in range(1, factor):
        np.minimum(out_min, mins[..., k::factor], out=out_min)
        np.maximum(out_max, maxs[..., k::factor], out=out_max)
    return out_min, out_max


SMALL_GROUP = 16


def reduce_groups(mins: Digital, maxs: Digital, group: int) -> tuple[Digital, Digital]:
    """Min and max over consecutive groups of ``group`` values along the last axis; the
    last group may be short.

    Returns fresh, contiguous, writable arrays.
    """
    if group == 1:
        return np.array(mins), np.array(maxs)
    n = mins.shape[-1]
    if group > SMALL_GROUP:
        starts = np.arange(0, n, group)
        return (
            np.minimum.reduceat(mins, starts, axis=-1),
            np.maximum.reduceat(maxs, starts, axis=-1),
        )
    # Small groups (a 10-s window reduced from raw samples): strided element-wise passes
    # run about three times faster than reduceat, as in reduce_minmax.
    full = n // group * group
    out_min, out_max = reduce_minmax(mins[..., :full], maxs[..., :full], group)
    if full == n:
        return out_min, out_max
    return (
        np.concatenate([out_min, mins[..., full:].min(axis=-1, keepdims=True)], axis=-1),
        np.concatenate([out_max, maxs[..., full:].max(axis=-1, keepdims=True)], axis=-1),
    )
