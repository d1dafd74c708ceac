"""Delta + zigzag + LEB128 varint coding of integer sample arrays.

Consecutive ECG samples (and consecutive min/max buckets) differ by a few ADC steps
far more often than by hundreds, so the difference of each value from the one
before it, zigzag-mapped to an unsigned number and written 7 bits a byte, takes one
byte for most samples and two around a QRS complex. That is what lets the binary
window form send fewer than 2 bytes a number without losing a single bit: decoding
gives back exactly the digital values.

Layout of one array of ``n`` values: ``n`` varints, the first holding
``zigzag(a[0])`` and each later one ``zigzag(a[i] - a[i-1])``; a varint is
little-endian groups of 7 bits, the high bit of each byte set when another byte
follows. ``zigzag(d) = 2d`` for ``d >= 0`` and ``-2d - 1`` for ``d < 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

ENCODING = "delta-varint"
# Widest integer sample types coded this way: their deltas fit in 33 bits, so zigzag
# values stay exact in a JavaScript number (53 bits) on the decoding side.
CODED_DTYPES = frozenset({"int8", "uint8", "int16", "uint16", "int32", "uint32"})


def encode_delta_varint(values: NDArray[np.integer]) -> bytes:
    """Encode integer samples as delta-zigzag varints.

    Parameters
    ----------
    values : 1-D integer array
        Digital samples (ADC units), of a dtype in ``CODED_DTYPES``.

    Returns
    -------
    bytes
        The coded array; ``decode_delta_varint(result, len(values))`` gives
        ``values`` back exactly.
    """
    return encode_many([values])[0]


def encode_many(arrays: Sequence[NDArray[np.integer]]) -> list[bytes]:
    """Encode several arrays at once (each on its own, as :func:`encode_delta_varint`).

    A window has up to two arrays per channel; coding them in one pass costs one
    set of numpy calls instead of one per array.

    Steps:

    1. Concatenate, and take differences from the previous value, in int64 so no
       delta of a 32-bit type can overflow; each array's first value is taken from
       zero, so every array decodes on its own.
    2. Zigzag-map them to unsigned numbers, small in magnitude -> small number.
    3. Count the 7-bit groups each needs, place the varints with a cumulative sum,
       and write group ``k`` of every value that has one, one vectorised pass per
       group (rarely more than two passes for ECG).
    4. Cut the bytes at the array boundaries.
    """
    sizes = [int(np.size(a)) for a in arrays]
    if sum(sizes) == 0:
        return [b"" for _ in arrays]
    # Deltas of 8- and 16-bit samples fit in int32, which halves the memory traffic.
    narrow = all(np.asarray(a).dtype.itemsize <= 2 for a in arrays)
    signed, unsigned, bits = (np.int32, np.uint32, 32) if narrow else (np.int64, np.uint64, 64)
    v = np.concatenate([np.asarray(a).ravel() for a in arrays]).astype(signed)
    delta = np.empty_like(v)
    delta[0] = v[0]
    np.subtract(v[1:], v[:-1], out=delta[1:])
    firsts = np.cumsum([0, *sizes[:-1]])[np.asarray(sizes) > 0]
    delta[firsts] = v[firsts]
    zig: NDArray[Any] = ((delta << 1) ^ (delta >> (bits - 1))).view(unsigned)
    groups = np.ones(zig.shape, dtype=np.int64)
    for k in range(1, (bits + 6) // 7):
        over = zig >= unsigned(1) << unsigned(7 * k)
        if not over.any():
            break
        groups += over
    ends = np.cumsum(groups)
    starts = ends - groups
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    for k in range(int(groups.max())):
        z: NDArray[Any]
        if k == 0:
            z, g, s = zig, groups, starts
        else:
            idx = np.flatnonzero(groups > k)
            z, g, s = zig[idx], groups[idx], starts[idx]
        byte = ((z >> unsigned(7 * k)) & unsigned(0x7F)).astype(np.uint8)
        byte |= (g > k + 1).astype(np.uint8) << np.uint8(7)
        out[s + k] = byte
    data = out.tobytes()
    result = []
    position = 0
    for size in sizes:
        if size:
            begin, stop = int(starts[position]), int(ends[position + size - 1])
            result.append(data[begin:stop])
        else:
            result.append(b"")
        position += size
    return result


def decode_delta_varint(data: bytes, count: int) -> NDArray[np.int64]:
    """Decode ``count`` values written by :func:`encode_delta_varint`.

    Raises ``ValueError`` when ``data`` does not hold exactly ``count`` varints.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    last = np.flatnonzero(raw < 0x80)  # the final byte of each varint
    if len(last) != count or (count and last[-1] != len(raw) - 1):
        raise ValueError(f"expected {count} varints in {len(raw)} bytes, found {len(last)}")
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.empty(count, dtype=np.int64)
    first[0] = 0
    first[1:] = last[:-1] + 1
    # Each byte's place within its varint, then its 7-bit group summed into the value.
    owner = np.repeat(np.arange(count), last - first + 1)
    place = np.arange(len(raw)) - first[owner]
    parts = (raw.astype(np.uint64) & np.uint64(0x7F)) << (np.uint64(7) * place.astype(np.uint64))
    zig = np.zeros(count, dtype=np.uint64)
    np.add.at(zig, owner, parts)
    delta = (zig >> np.uint64(1)).astype(np.int64) ^ -(zig & np.uint64(1)).astype(np.int64)
    return np.cumsum(delta)
