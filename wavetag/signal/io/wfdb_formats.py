"""Byte layout of WFDB signal files, and fast numpy decoders for the common formats.

``wfdb.rdrecord`` re-reads and re-parses the header on every call, which costs
more than decoding a one-minute block; reading a record block by block through
it takes about three times as long as reading it whole. Every fixed-size format
is therefore decoded here with numpy, straight from the file; only the FLAC
formats (508/516/524) go through ``wfdb`` (see
:mod:`wavetag.signal.io.wfdb_reader`). The decoders reproduce ``wfdb``'s values
exactly (the test suite checks them against it), with one exception: ``wfdb``
reads the third sample of a format-311 group with bit 30 included, which the
WFDB specification leaves unused; it is ignored here.
"""

from __future__ import annotations

import math
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from wavetag.signal.io.source import IntArray
from wavetag.signal.io.wfdb_header import FORMAT_BITS

# Formats decoded by :class:`NumpySignalFile`.
NUMPY_FORMATS = frozenset({"8", "16", "24", "32", "61", "80", "160", "212", "310", "311"})
# FLAC-compressed formats: the file size says nothing about the length.
COMPRESSED_FORMATS = frozenset({"508", "516", "524"})

_BYTES_PER_SAMPLE = {"8": 1, "16": 2, "24": 3, "32": 4, "61": 2, "80": 1, "160": 2}

# WFDB's "invalid sample" value of each format (format 8, a difference
# encoding, has none).
INVALID_VALUE: dict[str, int | None] = {
    "8": None,
    "16": -(2**15),
    "24": -(2**23),
    "32": -(2**31),
    "61": -(2**15),
    "80": -(2**7),
    "160": -(2**15),
    "212": -(2**11),
    "310": -(2**9),
    "311": -(2**9),
    "508": -(2**7),
    "516": -(2**15),
    "524": -(2**23),
}


def sample_dtype(fmt: str) -> type[np.int16] | type[np.int32]:
    """Narrowest integer type holding every value of ``fmt``.

    Format 8 stores differences whose running sum is unbounded, so it needs
    32 bits even though each byte holds only 8.
    """
    if fmt == "8" or FORMAT_BITS[fmt] > 16:
        return np.int32
    return np.int16


def bytes_for_samples(fmt: str, n_samples: int) -> int | None:
    """Bytes a file of ``fmt`` needs to hold ``n_samples`` samples.

    Returns None for compressed formats, whose size depends on the content.
    Partial byte groups at the end count as ``wfdb`` counts them when reading.
    """
    if fmt in COMPRESSED_FORMATS:
        return None
    if fmt == "212":
        return math.ceil(n_samples * 3 / 2)
    if fmt in ("310", "311"):
        # Three samples per 4 bytes; a last group of two needs all 4 bytes in
        # format 310, whose second sample ends in the fourth byte.
        groups, rest = divmod(n_samples, 3)
        return 4 * groups + (0, 2, 4 if fmt == "310" else 3)[rest]
    return n_samples * _BYTES_PER_SAMPLE[fmt]


def samples_in_bytes(fmt: str, n_bytes: int) -> int | None:
    """Whole samples of ``fmt`` that ``n_bytes`` bytes hold (None if compressed)."""
    if fmt in COMPRESSED_FORMATS:
        return None
    if fmt == "212":
        groups, rest = divmod(n_bytes, 3)
        return 2 * groups + (1 if rest >= 2 else 0)
    if fmt in ("310", "311"):
        groups, rest = divmod(n_bytes, 4)
        return 3 * groups + (0, 0, 1, 1 if fmt == "310" else 2)[rest]
    return n_bytes // _BYTES_PER_SAMPLE[fmt]


def _decode_212(raw: npt.NDArray[np.uint8], n: int) -> npt.NDArray[np.int16]:
    # Two 12-bit samples in three bytes: low byte, shared nibble byte, low byte.
    pairs = n // 2
    groups = raw[: 3 * pairs].reshape(pairs, 3).astype(np.int16)
    out = np.empty(n, np.int16)
    out[0 : 2 * pairs : 2] = groups[:, 0] | ((groups[:, 1] & 0x0F) << 8)
    out[1 : 2 * pairs : 2] = groups[:, 2] | ((groups[:, 1] & 0xF0) << 4)
    if n % 2:
        out[-1] = int(raw[3 * pairs]) | ((int(raw[3 * pairs + 1]) & 0x0F) << 8)
    # Sign-extend the 12-bit values: shift the sign bit to bit 15 and back.
    out <<= 4
    out >>= 4
    return out


def _decode_10bit(raw: npt.NDArray[np.uint8], n: int, fmt: str) -> npt.NDArray[np.int16]:
    # Three 10-bit samples per little-endian 32-bit word; a last, partial
    # group is padded with zero bytes.
    groups = -(-n // 3)
    padded = np.zeros(4 * groups, np.uint8)
    padded[: min(len(raw), 4 * groups)] = raw[: 4 * groups]
    words = padded.view("<u4").astype(np.int32)
    if fmt == "311":
        parts = (words & 0x3FF, (words >> 10) & 0x3FF, (words >> 20) & 0x3FF)
    else:
        # Format 310: bits 1-10 of each 16-bit half, the third sample split
        # over the top five bits of both halves.
        low, high = words & 0xFFFF, words >> 16
        parts = (
            (low >> 1) & 0x3FF,
            (high >> 1) & 0x3FF,
            ((low >> 11) & 0x1F) | (((high >> 11) & 0x1F) << 5),
        )
    out = np.stack(parts, axis=1).ravel()[:n].astype(np.int16)
    out <<= 6
    out >>= 6
    return out


def decode(fmt: str, buffer: bytes, n: int) -> IntArray:
    """Decode ``n`` consecutive samples of a numpy-decoded format.

    Format 8 yields the raw differences (int8 widened to int32); the caller
    accumulates them because the running sum spans blocks.
    """
    if fmt == "212":
        return _decode_212(np.frombuffer(buffer, np.uint8), n)
    if fmt in ("310", "311"):
        return _decode_10bit(np.frombuffer(buffer, np.uint8), n, fmt)
    if fmt == "16":
        return np.frombuffer(buffer, "<i2", count=n).astype(np.int16)
    if fmt == "61":
        return np.frombuffer(buffer, ">i2", count=n).astype(np.int16)
    if fmt == "32":
        return np.frombuffer(buffer, "<i4", count=n).astype(np.int32)
    if fmt == "80":
        return (np.frombuffer(buffer, np.uint8, count=n).astype(np.int16) - 128).astype(np.int16)
    if fmt == "160":
        return (np.frombuffer(buffer, "<u2", count=n).astype(np.int32) - 32768).astype(np.int16)
    if fmt == "24":
        triples = np.frombuffer(buffer, np.uint8, count=3 * n).reshape(n, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        return ((value << 8) >> 8).astype(np.int32)
    if fmt == "8":
        return np.frombuffer(buffer, np.int8, count=n).astype(np.int32)
    raise ValueError(f"format {fmt} is not decoded with numpy")


def read_flat(handle: BinaryIO, fmt: str, byte_offset: int, start: int, stop: int) -> IntArray:
    """Read the interleaved samples ``start`` to ``stop`` of an open signal file.

    Parameters
    ----------
    handle : BinaryIO
        The signal file, opened in binary mode.
    fmt : str
        Its WFDB format (one of :data:`NUMPY_FORMATS`).
    byte_offset : int
        Bytes before the first sample (e.g. the 24-byte preamble of WFDB-MAT).
    start, stop : int
        Flat sample numbers (frame number x samples per frame + position).

    Returns
    -------
    ndarray
        ``stop - start`` decoded samples.

    Raises
    ------
    EOFError
        If the file ends early (it was checked to be long enough, so this
        means it changed while being read).
    """
    lead = 0
    if fmt == "212":
        # Start on a byte-triplet boundary; drop the extra sample afterwards.
        lead = start % 2
        start -= lead
        first_byte = byte_offset + start // 2 * 3
    elif fmt in ("310", "311"):
        lead = start % 3
        start -= lead
        first_byte = byte_offset + start // 3 * 4
    else:
        first_byte = byte_offset + start * _BYTES_PER_SAMPLE[fmt]
    n = stop - start
    size = bytes_for_samples(fmt, n)
    assert size is not None
    handle.seek(first_byte)
    buffer = handle.read(size)
    if len(buffer) < size:
        raise EOFError(f"signal file ended after {first_byte + len(buffer)} bytes")
    samples = decode(fmt, buffer, n)
    return samples[lead:] if lead else samples
