"""On-disk layout of a stored record: chunked samples plus a min/max pyramid.

Every record is a folder of immutable objects (see :mod:`wavetag.signal.storage`)::

    meta.json                 channels, chunk size, pyramid factor and levels, version
    c<ch>.l<level>.<chunk>    one chunk of one level of one channel

Level 0 of channel ``ch`` holds its digital samples; level ``j >= 1`` holds, for
each bucket of ``factor**j`` samples, the bucket's minimum and maximum,
interleaved (``min0, max0, min1, max1, ...``) so that one byte range serves
both. Values are little-endian in the channel's dtype (int16 or int32), in the
sentinel form of :mod:`wavetag.signal.envelope` (a bucket without a valid sample
is stored as ``(dtype max, dtype min)``). Each level is cut into chunk objects
of ``chunk_values`` values (2**20 by default: 2 MB of int16, 2**19 buckets),
chunk ``k`` holding values ``[k * chunk_values, (k + 1) * chunk_values)``, so
that reading any range touches one or two objects and an object store can
serve it with ranged GETs. Levels stop at the first one with at most
``top_buckets`` buckets. The last bucket of each level ends where the channel
ends, so the final partial bucket is stored exactly too.

Why a pyramid factor of 4
-------------------------
A window uses buckets of ``m * 4**j`` samples, ``m`` in {1, 2, 3}, read from
level ``j`` by merging ``m`` stored buckets: at most 3 stored buckets per point,
and successive bucket sizes differ by at most 2x, so a window always gets
between ``max_points / 2`` and ``max_points`` buckets. The pyramid costs 2/3 of
the raw size on disk (2 values per bucket, sum of 4**-j). Factor 2 would read
one bucket per point but store twice the raw size; factor 8 stores 2/7 but
reads up to 7 buckets per point. Building level 1 takes three strided
``np.minimum`` and three ``np.maximum`` calls over a quarter of the samples,
which keeps writing near memory speed.

Writing is streaming: :class:`ChannelPyramidWriter` receives a channel in pieces
of any size and keeps, per level, at most one unfinished chunk and fewer than
``factor`` values awaiting the level above: memory is bounded by
``levels * chunk size`` per channel, whatever the record length.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from wavetag.signal.envelope import Digital, reduce_minmax, split_invalid
from wavetag.signal.recording import ChannelInfo
from wavetag.signal.storage import Storage

CHUNK_VALUES = 1 << 20
FACTOR = 4
TOP_BUCKETS = 1024


def object_name(channel: int, level: int, chunk: int) -> str:
    return f"c{channel}.l{level}.{chunk}"


def pyramid_levels(n_samples: int, factor: int = FACTOR, top: int = TOP_BUCKETS) -> int:
    """Number of min/max levels above the raw samples: stop at ``top`` buckets or fewer."""
    levels, buckets = 0, n_samples
    while buckets > top:
        buckets = -(-buckets // factor)
        levels += 1
    return levels


def level_length(n_samples: int, level: int, factor: int = FACTOR) -> int:
    """Samples (level 0) or buckets (level >= 1) stored at ``level``."""
    return -(-n_samples // int(factor**level))


class LevelSink:
    """Cuts the stream of one pyramid level into chunk objects.

    Level 0 streams samples; higher levels stream (min, max) pairs, which are
    interleaved here. At most one unfinished chunk is held in memory, sized to
    what the level will ever hold so that short records stay small.
    """

    def __init__(
        self, storage: Storage, prefix: str, channel: int, level: int, dtype: np.dtype[Any],
        total: int, chunk_values: int,
    ) -> None:  # fmt: skip
        self.storage, self.prefix, self.channel, self.level = storage, prefix, channel, level
        self.width = 1 if level == 0 else 2
        self.per_chunk = chunk_values // self.width
        self.disk_dtype = dtype.newbyteorder("<")
        self.dtype = dtype
        self.total = total
        self.done = 0  # items handed over so far
        self.emitted = 0  # items written to storage
        self.fill = 0  # items waiting in self.buf
        self.chunk = 0
        self.buf: npt.NDArray[Any] | None = None

    def put(self, mins: Digital, maxs: Digital | None = None) -> None:
        k = len(mins)
        if self.done + k > self.total:
            raise ValueError(
                f"channel {self.channel}: more than the {self.total} values expected at "
                f"level {self.level}"
            )
        self.done += k
        pos = 0
        while pos < k:
            if self.width == 1 and self.fill == 0 and k - pos >= self.per_chunk:
                # a whole chunk straight from the caller's array: no copy
                self._emit(mins[pos : pos + self.per_chunk])
                pos += self.per_chunk
                continue
            if self.buf is None:
                size = min(self.per_chunk, self.total - self.emitted)
                self.buf = np.empty((size,) if self.width == 1 else (size, 2), self.dtype)
            take = min(len(self.buf) - self.fill, k - pos)
            end = self.fill + take
            if maxs is None:
                self.buf[self.fill : end] = mins[pos : pos + take]
            else:
                self.buf[self.fill : end, 0] = mins[pos : pos + take]
                self.buf[self.fill : end, 1] = maxs[pos : pos + take]
            self.fill = end
            pos += take
            if self.fill == len(self.buf):
                self._emit(self.buf)
                self.fill = 0
                if self.total - self.emitted < len(self.buf):
                    self.buf = None  # the last chunk is shorter: reallocate to its size

    def close(self) -> None:
        if self.done != self.total:
            raise ValueError(
                f"channel {self.channel}: level {self.level} holds {self.done} values, "
                f"expected {self.total}"
            )
        if self.fill:
            assert self.buf is not None
            self._emit(self.buf[: self.fill])
        self.buf = None

    def _emit(self, arr: npt.NDArray[Any]) -> None:
        arr = np.ascontiguousarray(arr, dtype=self.disk_dtype)
        name = f"{self.prefix}/{object_name(self.channel, self.level, self.chunk)}"
        self.storage.write(name, arr.data)
        self.chunk += 1
        self.emitted += len(arr)


class ChannelPyramidWriter:
    """Streams one channel into its level sinks, building the pyramid on the way."""

    def __init__(
        self, storage: Storage, prefix: str, info: ChannelInfo, chunk_values: int, factor: int,
        top: int,
    ) -> None:  # fmt: skip
        self.info = info
        self.dtype: np.dtype[np.signedinteger] = np.dtype(info.dtype)
        self.factor = factor
        self.levels = pyramid_levels(info.n_samples, factor, top)
        self.sinks = [
            LevelSink(
                storage,
                prefix,
                info.index,
                j,
                self.dtype,
                level_length(info.n_samples, j, factor),
                chunk_values,
            )
            for j in range(self.levels + 1)
        ]
        # carry[j]: the last (< factor) items of level j, waiting to make a level j+1 bucket
        self.carry: list[tuple[Digital, Digital] | None] = [None] * self.levels

    @property
    def received(self) -> int:
        return self.sinks[0].done

    def digital(self, arr: npt.ArrayLike) -> Digital:
        """``arr`` as a contiguous array of the channel's dtype, or an error saying why not."""
        a = np.asarray(arr)
        if a.ndim != 1:
            raise ValueError(f"channel {self.info.index}: expected a 1-D array, got {a.shape}")
        if a.dtype.kind not in "iu":
            raise TypeError(
                f"channel {self.info.index}: digital integer samples expected, got {a.dtype}"
            )
        if a.dtype != self.dtype and not np.can_cast(a.dtype, self.dtype) and a.size:
            limits = np.iinfo(self.dtype)
            if a.min() < limits.min or a.max() > limits.max:
                raise ValueError(
                    f"channel {self.info.index}: values outside the range of {self.dtype}"
                )
        if self.received + a.size > self.info.n_samples:
            raise ValueError(
                f"channel {self.info.index}: more than its {self.info.n_samples} samples"
            )
        return np.ascontiguousarray(a, dtype=self.dtype)

    def append(self, a: Digital) -> None:
        """Append digital samples already checked by :meth:`digital`."""
        self.sinks[0].put(a)
        if self.levels:
            mins, maxs = split_invalid(a, self.info.invalid)
            self._feed(1, mins, maxs)

    def _feed(self, level: int, mins: Digital, maxs: Digital) -> None:
        """Turn items of ``level - 1`` (sentinel form) into buckets of ``level``."""
        f = self.factor
        carry = self.carry[level - 1]
        if carry is not None:
            # complete the bucket left open by the previous block before going vectorised
            need = f - len(carry[0])
            head_min = np.concatenate([carry[0], mins[:need]])
            head_max = np.concatenate([carry[1], maxs[:need]])
            if len(head_min) < f:
                self.carry[level - 1] = (head_min, head_max)
                return
            self.carry[level - 1] = None
            self._emit(level, head_min.min(keepdims=True), head_max.max(keepdims=True))
            mins, maxs = mins[need:], maxs[need:]
        whole = len(mins) - len(mins) % f
        if whole:
            self._emit(level, *reduce_minmax(mins[:whole], maxs[:whole], f))
        if whole < len(mins):
            self.carry[level - 1] = (mins[whole:].copy(), maxs[whole:].copy())

    def _emit(self, level: int, mins: Digital, maxs: Digital) -> None:
        self.sinks[level].put(mins, maxs)
        if level < self.levels:
            self._feed(level + 1, mins, maxs)

    def object_names(self) -> list[str]:
        """Names of the chunk objects written so far."""
        return [
            object_name(self.info.index, sink.level, k)
            for sink in self.sinks
            for k in range(sink.chunk)
        ]

    def finish(self) -> None:
        """Write the final partial bucket of every level and the last chunks."""
        n = self.info.n_samples
        if self.received != n:
            raise ValueError(
                f"channel {self.info.index} ({self.info.name}): received {self.received} "
                f"samples, expected {n}"
            )
        for level in range(1, self.levels + 1):
            carry = self.carry[level - 1]
            if carry is not None:
                self.carry[level - 1] = None
                self._emit(level, carry[0].min(keepdims=True), carry[1].max(keepdims=True))
        for sink in self.sinks:
            sink.close()


def read_level(
    storage: Storage, prefix: str, info: ChannelInfo, level: int, first: int, stop: int,
    chunk_values: int = CHUNK_VALUES,
) -> Digital:  # fmt: skip
    """Items ``[first, stop)`` of one level: samples, or an (n, 2) array of min/max pairs.

    Reads exactly the bytes asked for, from one object per chunk touched. The
    result is a writable array in the channel's (native) dtype.
    """
    disk = np.dtype(info.dtype).newbyteorder("<")
    width = 1 if level == 0 else 2
    per_chunk = chunk_values // width
    item = disk.itemsize * width
    c0, c1 = first // per_chunk, (stop - 1) // per_chunk
    out: npt.NDArray[Any] | None = None if c0 == c1 else np.empty((stop - first) * width, disk)
    for chunk in range(c0, c1 + 1):
        base = chunk * per_chunk
        lo, hi = max(first, base) - base, min(stop, base + per_chunk) - base
        name = f"{prefix}/{object_name(info.index, level, chunk)}"
        data = np.frombuffer(storage.read(name, lo * item, (hi - lo) * item), disk)
        if out is None:
            out = data  # one chunk: the buffer read is the result, no copy
        else:
            at = (base + lo - first) * width
            out[at : at + len(data)] = data
    assert out is not None
    arr = out.astype(info.dtype, copy=False)
    if not arr.flags.writeable:  # a backend that returns bytes
        arr = arr.copy()
    return arr if level == 0 else arr.reshape(-1, 2)
