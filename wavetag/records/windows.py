"""Signal windows of a record, as JSON or as the compact binary form the viewer reads.

Both encodings are built by hand rather than through a schema layer: a window is
a few thousand numbers and is requested many times a second while panning, so
the serialisation is most of the cost of a request.
"""

from __future__ import annotations

import json
import math
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from wavetag.errors import InvalidInput
from wavetag.signal import codec
from wavetag.signal import store as wstore

from .models import Record
from .storage import store_root

MAX_POINTS_LIMIT = 100_000
BINARY_MAGIC = b"WTW2"


class WindowRequestError(InvalidInput):
    """A window request that cannot be answered; the message names the parameter."""


@dataclass(frozen=True)
class WindowRequest:
    start: float
    end: float
    channels: list[int] | None
    max_points: int


@dataclass(frozen=True)
class WindowParams:
    start: float
    end: float
    channels: str | None
    max_points: int
    format: str | None


# The window endpoint's query, for its OpenAPI description (window_params reads it).
WINDOW_PARAMETERS: list[dict[str, Any]] = [
    {"name": "start", "in": "query", "required": True, "description": "seconds",
     "schema": {"type": "number", "minimum": 0}},
    {"name": "end", "in": "query", "required": True, "description": "seconds, > start",
     "schema": {"type": "number"}},
    {"name": "channels", "in": "query", "required": False,
     "description": "comma-separated channel indices (all when absent)",
     "schema": {"type": "string"}},
    {"name": "max_points", "in": "query", "required": False,
     "schema": {"type": "integer", "default": 2000, "minimum": 2, "maximum": MAX_POINTS_LIMIT}},
    {"name": "format", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["json", "binary"]}},
]  # fmt: skip


def window_params(query: Any) -> WindowParams:
    """The window endpoint's parameters from a query dict; a missing or malformed one is a
    ``WindowRequestError`` naming it. Ranges are checked by :func:`validate`."""

    def number(name: str) -> float:
        text = query.get(name)
        if text is None or text == "":
            raise WindowRequestError(f"{name}: required (seconds)")
        try:
            return float(text)
        except ValueError:
            raise WindowRequestError(f"{name}: {text!r} is not a number of seconds") from None

    text = query.get("max_points", "2000")
    digits = text.strip().lstrip("+-")
    if not (digits.isascii() and digits.isdigit()) or len(text) > 12:  # int() refuses "²"
        raise WindowRequestError(f"max_points: {text!r} is not a whole number")
    fmt = query.get("format") or None
    if fmt not in (None, "json", "binary"):
        raise WindowRequestError(f"format: {fmt!r} is neither json nor binary")
    return WindowParams(number("start"), number("end"), query.get("channels"), int(text), fmt)


def parse_channels(text: str | None, n_channels: int) -> list[int] | None:
    if text is None or text.strip() == "":
        return None
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not (part.isascii() and part.isdigit()):  # "²" is a digit int() refuses
            raise WindowRequestError(f"channels: {part!r} is not a channel index")
        index = int(part)
        if index >= n_channels:
            raise WindowRequestError(
                f"channels: {index} is out of range (the record has {n_channels} channels)"
            )
        if index not in out:
            out.append(index)
    return out


def validate(start: float, end: float, max_points: int, duration: float) -> None:
    for name, value in (("start", start), ("end", end)):
        if not math.isfinite(value):
            raise WindowRequestError(f"{name} must be a finite number of seconds")
    if start < 0:
        raise WindowRequestError("start must be ≥ 0")
    if end <= start:
        raise WindowRequestError("end must be greater than start")
    if start >= duration:
        raise WindowRequestError(f"start is beyond the end of the record ({duration:.3f} s)")
    if not 2 <= max_points <= MAX_POINTS_LIMIT:
        raise WindowRequestError(f"max_points must be between 2 and {MAX_POINTS_LIMIT}")


def open_store(record: Record | str) -> Any:
    """The waveform store of a record (or of a store key); its metadata is cached per process."""
    key = record if isinstance(record, str) else record.store_key
    return wstore.RecordStore.open(store_root(), key)


def read_windows(store: Any, duration: float, req: WindowRequest) -> list[Any]:
    """One ``ChannelWindow`` per requested channel of a record's store (None for a channel
    that ends before ``start``)."""
    validate(req.start, req.end, req.max_points, duration)
    indices = req.channels if req.channels is not None else list(range(len(store.channels)))
    # A channel shorter than the record (multi-rate rounding) is cut at its own end; the
    # channels that end alike are read together (see RecordStore.windows).
    by_end: dict[float, list[int]] = {}
    for index in indices:
        by_end.setdefault(min(req.end, store.channels[index].duration), []).append(index)
    found: dict[int, Any] = {}
    for end, members in by_end.items():
        if req.start < end:
            got = store.windows(members, req.start, end, req.max_points)
            found.update(zip(members, got, strict=True))
    return [found.get(index) for index in indices]


def _round_significant(physical: np.ndarray, digits: int = 8) -> np.ndarray:
    """Round each value to ``digits`` significant digits (8 keeps float32 precision).

    Rounding through a power of ten gives the double nearest to the short decimal,
    so JSON prints ``-0.145`` and not ``-0.14499999582767487``.
    """
    magnitude = np.abs(physical)
    exponent = np.zeros_like(physical)
    np.log10(magnitude, out=exponent, where=magnitude > 0)
    decimals = np.clip(digits - 1 - np.floor(exponent), 0, 15)
    scale = np.power(10.0, decimals)
    return np.rint(physical * scale) / scale


class _Printed:
    """Printed numbers packed for a vectorised join: row ``i`` of ``words`` holds the ASCII
    text of number ``i`` and a comma, NUL-padded to a multiple of 8 bytes.

    Joining ``n`` numbers is one ``take`` of rows and one C pass deleting the NULs, under
    half the time that ``",".join`` of Python strings took (those strings fell out of
    the CPU caches over a 12-lead window's 40,000 numbers).
    """

    __slots__ = ("words",)

    def __init__(self, texts: list[str]) -> None:
        encoded = [t.encode("ascii") + b"," for t in texts]
        width = -(-max(len(t) for t in encoded) // 8) * 8
        packed = np.frombuffer(b"".join(t.ljust(width, b"\0") for t in encoded), np.uint64)
        self.words = packed.reshape(len(encoded), width // 8)

    def __len__(self) -> int:
        return len(self.words)

    def join(self, index: np.ndarray) -> bytes:
        """The numbers at ``index``, each followed by a comma."""
        return np.take(self.words, index, axis=0).tobytes().translate(None, b"\0")


# Printed values per channel, reused across requests: (store key, channel) -> (lowest
# digital value, table). Bounded by TEXT_CACHE_ENTRIES numbers per process.
_text_cache: OrderedDict[tuple[str, int], tuple[int, _Printed]] = OrderedDict()
_text_cache_lock = threading.Lock()
TEXT_CACHE_ENTRIES = 1_000_000
TEXT_TABLE_MAX = 70_000  # a 16-bit channel's whole range fits


def _texts(distinct: np.ndarray, info: Any) -> list[str]:
    physical = (distinct.astype(np.float64) - info.baseline) / info.gain
    texts = [repr(v) for v in _round_significant(physical).tolist()]
    if info.invalid is not None:
        hit = np.flatnonzero(distinct == info.invalid)
        if hit.size:
            texts[int(hit[0])] = "null"
    return texts


def _text_table(
    cache_key: tuple[str, int], info: Any, low: int, high: int, whole: Any = None
) -> tuple[int, _Printed | None]:
    """A lookup table of printed values covering digital values ``low..high``, or None.

    An ADC has a fixed step, so a channel has at most a few tens of thousands of
    distinct values: each is printed once per process rather than once per request.
    ``whole()`` gives the channel's whole range (from the store's top level): a table
    made for it at once is never made again, where one grown window by window was
    remade, ~30 ms each time, a hundred times over the first windows of a record.
    """
    with _text_cache_lock:
        cached = _text_cache.get(cache_key)
        if cached is not None:
            _text_cache.move_to_end(cache_key)
            base, table = cached
            if base <= low and high < base + len(table):
                return base, table
            low, high = min(low, base), max(high, base + len(table) - 1)
    if high - low + 1 > TEXT_TABLE_MAX:
        return low, None
    span = whole() if whole is not None else None
    if span is not None and max(high, span[1]) - min(low, span[0]) + 1 <= TEXT_TABLE_MAX:
        low, high = min(low, span[0]), max(high, span[1])
    table = _Printed(_texts(np.arange(low, high + 1), info))
    with _text_cache_lock:
        _text_cache[cache_key] = (low, table)
        total = sum(len(t) for _, t in _text_cache.values())
        while total > TEXT_CACHE_ENTRIES and len(_text_cache) > 1:
            _, (_, dropped) = _text_cache.popitem(last=False)
            total -= len(dropped)
    return low, table


def _numbers(
    out: list[Any],
    values: np.ndarray,
    info: Any,
    cache_key: tuple[str, int] | None = None,
    whole: Any = None,
) -> None:
    """Append to ``out`` the pieces of a JSON array of the physical values of digital
    ``values`` (pieces, so that a window's text is copied once, at the end).

    Float printing is most of the cost of a JSON window, so values are printed
    from a per-channel table, or at least once per distinct value.
    """
    if values.size == 0:
        out.append(b"[]")
        return
    low, high = int(values.min()), int(values.max())
    table = None
    if cache_key is not None:
        base, table = _text_table(cache_key, info, low, high, whole)
        if table is not None:
            index = np.subtract(values, base, dtype=np.intp)
    if table is None:
        distinct, inverse = np.unique(values, return_inverse=True)
        table, index = _Printed(_texts(distinct, info)), inverse.reshape(-1)
    out += [b"[", memoryview(table.join(index))[:-1], b"]"]  # [:-1]: the last comma


def _channel_head(info: Any, window: Any) -> dict[str, Any]:
    return {
        "index": info.index,
        "name": info.name,
        "units": info.units,
        "fs": info.fs,
        "kind": window.kind if window is not None else "raw",
        "t0": window.t0 if window is not None else 0.0,
        "step": window.step if window is not None else 1.0 / info.fs,
    }


def _json_head(info: Any, window: Any) -> str:
    """``_channel_head`` as JSON without its closing brace, formatted by hand: json.dumps of
    a dict per channel was a sixth of printing a 12-lead window. Floats print as json does
    (``repr``); the times are always finite."""
    head = _channel_head(info, window)
    return (
        f'{{"index":{head["index"]},"name":{json.dumps(head["name"])},'
        f'"units":{json.dumps(head["units"])},"fs":{float(head["fs"])!r},'
        f'"kind":"{head["kind"]}","t0":{float(head["t0"])!r},"step":{float(head["step"])!r}'
    )


def to_json(req: WindowRequest, store: Any, windows: list[Any]) -> bytes:
    out: list[Any] = [json.dumps({"start": req.start, "end": req.end})[:-1].encode()]
    out.append(b',"channels":[')
    for i, (window, info) in enumerate(zip(windows, _infos(store, req), strict=True)):
        out += [b"," if i else b"", _json_head(info, window).encode()]
        key = (store.key, info.index)

        def whole(index: int = info.index) -> Any:
            return store.digital_range(index)

        if window is None:
            out.append(b',"values":[]')
        elif window.kind == "raw":
            out.append(b',"values":')
            _numbers(out, window.values, info, key, whole)
        else:
            out.append(b',"min":')
            _numbers(out, window.min, info, key, whole)
            out.append(b',"max":')
            _numbers(out, window.max, info, key, whole)
        out.append(b"}")
    out.append(b"]}")
    return b"".join(out)


def _infos(store: Any, req: WindowRequest) -> list[Any]:
    indices = req.channels if req.channels is not None else list(range(len(store.channels)))
    return [store.channels[i] for i in indices]


def to_binary(req: WindowRequest, store: Any, windows: list[Any]) -> bytes:
    """``WTW2`` + u32 header length + JSON header + the channels' arrays.

    Each channel's header gives ``dtype``, ``count``, ``encoding``, and per array
    (values; or min then max) its ``offsets`` (from the start of the data section) and
    ``lengths`` in bytes, with ``gain``/``baseline``/``invalid`` so that the client
    converts to physical units itself. Integer samples are ``delta-varint`` coded
    (:mod:`wavetag.signal.codec`: lossless, mostly one byte a number); float samples
    are sent ``raw``, little-endian, each array 8-byte aligned.
    """
    heads = []
    per_channel: list[tuple[bool, list[np.ndarray]]] = []
    for window, info in zip(windows, _infos(store, req), strict=True):
        head = _channel_head(info, window)
        head.update(gain=info.gain, baseline=info.baseline, invalid=info.invalid, dtype=info.dtype)
        if window is None:
            arrays = [np.zeros(0, info.dtype)]
        elif window.kind == "raw":
            arrays = [window.values]
        else:
            arrays = [window.min, window.max]
        coded = info.dtype in codec.CODED_DTYPES
        head["encoding"] = codec.ENCODING if coded else "raw"
        head["count"] = int(len(arrays[0]))
        heads.append(head)
        per_channel.append((coded, arrays))
    # Every integer array of the window is coded in one vectorised pass.
    coded_blobs = iter(codec.encode_many([a for c, arrs in per_channel if c for a in arrs]))
    blobs: list[bytes] = []
    offset = 0
    for head, (coded, arrays) in zip(heads, per_channel, strict=True):
        head["offsets"], head["lengths"] = [], []
        for arr in arrays:
            if coded:
                blob = next(coded_blobs)
            else:
                pad = (-offset) % 8
                if pad:
                    blobs.append(b"\0" * pad)
                    offset += pad
                little = np.dtype(head["dtype"]).newbyteorder("<")
                blob = np.ascontiguousarray(arr, little).tobytes()
            head["offsets"].append(offset)
            head["lengths"].append(len(blob))
            blobs.append(blob)
            offset += len(blob)
    header = json.dumps(
        {"start": req.start, "end": req.end, "channels": heads}, separators=(",", ":")
    ).encode()
    # The data section starts 8-byte aligned, so raw float64 arrays can be viewed in place.
    pad = (-(8 + len(header))) % 8
    return b"".join(
        [BINARY_MAGIC, struct.pack("<I", len(header) + pad), header, b" " * pad, *blobs]
    )
