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

    1. Concatenate, and take differences from the previous value (in int32 for 8- and
       16-bit samples, int64 otherwise, so no delta can overflow); each array's first
       value is taken from zero, so every array decodes on its own.
    2. Zigzag-map them to unsigned numbers, small in magnitude -> small number.
    3. Write each value's varint into one little-endian word of 2, 4 or 8 bytes (as
       wide as the largest value needs), count the bytes each really needs, and
       compress the words' bytes by that mask: the varints come out end to end. A
       handful of contiguous passes over ``n`` values, with no scattered writes and
       no boolean fancy indexing (whose branches mispredict on ECG, where one value
       in two may need a second byte): a fifth of the time of placing each varint
       at its own offset, on a 12-lead window of ~50,000 numbers.
    4. Cut the bytes at the array boundaries (byte counts summed per array).
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
    nonempty = np.asarray(sizes) > 0
    firsts = np.cumsum([0, *sizes[:-1]])[nonempty]
    delta[firsts] = v[firsts]
    zig: NDArray[Any] = ((delta << 1) ^ (delta >> (bits - 1))).view(unsigned)
    width = max(1, (int(zig.max()).bit_length() + 6) // 7)
    if width == 1:
        # Every value fits one byte: the bytes are the values themselves.
        data = zig.astype(np.uint8).tobytes()
        counts = np.asarray(sizes, dtype=np.int64)[nonempty]
    else:
        lanes, word = (2, "<u2") if width == 2 else (4, "<u4") if width <= 4 else (8, "<u8")
        wtype = np.dtype(word).type
        words = np.zeros(zig.size, dtype=word)
        # Byte k of a value's mask word is 1 when the value needs a k-th byte; viewed as
        # bytes it is the mask itself (building it by broadcasting costs 4x more).
        keep = np.ones(zig.size, dtype=word)
        overs = []
        for k in range(width):
            part = (zig >> unsigned(7 * k)) & unsigned(0x7F)
            if k + 1 < width:
                more = zig >= unsigned(1) << unsigned(7 * (k + 1))
                overs.append(more)
                flag = more.astype(word)
                keep |= flag << wtype(8 * (k + 1))
                part |= flag << wtype(7)
            words |= part.astype(word) << wtype(8 * k)
        # Bytes of 0 or 1 are valid booleans; numpy's bool path is the fast one.
        index = np.flatnonzero(keep.view(np.bool_))
        data = words.view(np.uint8).take(index).tobytes()
        bounds = np.cumsum([0, *sizes])
        counts = np.array(
            [
                hi - lo + sum(np.count_nonzero(o[lo:hi]) for o in overs)
                for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
                if hi > lo
            ]
        )
    result = []
    position = 0
    it = iter(counts.tolist())
    for size in sizes:
        if size:
            length = next(it)
            result.append(data[position : position + length])
            position += length
        else:
            result.append(b"")
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
