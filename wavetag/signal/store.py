"""Write a recording once; read any window of any channel in time proportional to its size.

A record is written once, at import, by a :class:`StoreWriter` fed block by
block, and from then on only read, through :meth:`RecordStore.window`, which
answers "channel c from ``start`` to ``end`` seconds in at most ``max_points``
points" by reading a few times ``max_points`` stored values, whatever the length
of the record (10 s or 72 h): samples when few enough, else exact min/max
buckets from a pyramid (layout and factor: :mod:`wavetag.signal.pyramid`).

Where records live, under a root folder or any :class:`~wavetag.signal.storage.Storage`::

    <key[:2]>/<key>/meta.json, c<ch>.l<level>.<chunk>     a published record
    .tmp/<key>.<host>.<pid>.<unix time>.<token>/         a record being written

Writing
-------
1. ``StoreWriter(root, key, channels)`` picks a staging folder under ``.tmp``
   named after the key, host, process id and start time.
2. :meth:`StoreWriter.append` (or :meth:`~StoreWriter.append_channel`) streams
   samples into chunk objects and builds the pyramid on the way, with bounded
   memory.
3. :meth:`StoreWriter.commit` writes the final partial buckets and chunks, checks
   that every channel got exactly ``n_samples`` samples, writes ``meta.json``
   last and publishes the staging folder under its final name in one atomic
   step. A killed import leaves only its staging folder, which
   :func:`cleanup_temp` removes later.

Shared and object storage
-------------------------
Several servers can share one store: objects are write-once and readers cache
only immutable metadata, so any server can serve any published record. A
folder on NFS works as it is (:class:`~wavetag.signal.storage.LocalStorage`;
``rename`` is atomic on the server). On S3-compatible object storage,
:class:`~wavetag.signal.s3storage.S3Storage` takes the place of a root folder:

- ``read`` is a ranged GET (through a local block cache), ``list`` a delimiter
  listing, ``delete`` a prefix delete;
- objects under ``.tmp/`` (staging) are local files, so a record being written
  never reaches the bucket; ``publish(staging, final)`` cannot rename: it uploads
  the staged objects under ``final``, ``meta.json`` last (a record opens by its
  ``meta.json``), each PUT conditional so nothing published is replaced, and
  deletes what it uploaded if any upload fails.

Everything else in this module is the same on both.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import re
import secrets
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from wavetag.signal.envelope import (
    ChannelWindow,
    Digital,
    choose_bucket,
    level_for,
    reduce_groups,
    restore_invalid,
    sentinels,
    split_invalid,
    to_physical,
)
from wavetag.signal.pyramid import (
    CHUNK_VALUES,
    FACTOR,
    TOP_BUCKETS,
    ChannelPyramidWriter,
    level_length,
    read_level,
)
from wavetag.signal.recording import ChannelInfo
from wavetag.signal.storage import LocalStorage, Storage

__all__ = [
    "CHUNK_VALUES",
    "FACTOR",
    "TOP_BUCKETS",
    "ChannelWindow",
    "RecordStore",
    "StoreWriter",
    "cleanup_temp",
    "delete_record",
    "list_keys",
    "staging_folder",
    "to_physical",
]

FORMAT = "wavetag-store"
VERSION = 1
META = "meta.json"
TMP = ".tmp"

Root = str | os.PathLike[str] | Storage

_KEY = re.compile(r"[A-Za-z0-9_-]{2,128}")


def as_storage(root: Root) -> Storage:
    """A root folder becomes a :class:`LocalStorage`; a storage is returned as it is."""
    if isinstance(root, str | os.PathLike):
        return _local_storage(os.fspath(root))
    return root


@functools.lru_cache(maxsize=64)
def _local_storage(root: str) -> LocalStorage:
    # Resolving the folder costs a few system calls; every window request opens a store.
    return LocalStorage(root)


def check_key(key: str) -> str:
    """Return ``key`` if it is a valid record key (2-128 of ``A-Z a-z 0-9 _ -``)."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"invalid record key {key!r}: use 2-128 letters, digits, '_' or '-'")
    return key


def record_prefix(key: str) -> str:
    """Folder of a published record; the two-character level keeps folders small."""
    return f"{key[:2]}/{check_key(key)}"


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def staging_folder(key: str) -> str:
    """A new staging folder under ``.tmp`` for ``key`` (letters, digits, ``_``, ``-``):
    named after the host, process id and start time, so that :func:`cleanup_temp` can
    tell when its writer died."""
    return f"{TMP}/{key}.{_host()}.{os.getpid()}.{int(time.time())}.{secrets.token_hex(3)}"


class StoreWriter:
    """Write one record into the store, block by block, then publish it atomically.

    Parameters
    ----------
    root : str, os.PathLike or Storage
        Root folder of the store, or a storage backend.
    key : str
        Record key (2-128 of ``A-Z a-z 0-9 _ -``), unique in the store.
    channels : sequence of ChannelInfo
        Channels in order: ``channels[i].index`` must be ``i``. Their
        ``n_samples`` is checked against what is appended.

    Examples
    --------
    >>> with StoreWriter(root, "ab12", source.channels) as writer:  # doctest: +SKIP
    ...     for block in source.iter_blocks():
    ...         writer.append(block)
    ...     writer.commit()

    Leaving the ``with`` block without :meth:`commit` (by an exception or not)
    discards everything written.
    """

    def __init__(
        self,
        root: Root,
        key: str,
        channels: Sequence[ChannelInfo],
        *,
        chunk_values: int = CHUNK_VALUES,
        factor: int = FACTOR,
        top_buckets: int = TOP_BUCKETS,
    ) -> None:
        self.storage = as_storage(root)
        self.key = check_key(key)
        self.channels = list(channels)
        if [c.index for c in self.channels] != list(range(len(self.channels))):
            raise ValueError("channel indexes must be 0, 1, ... in order")
        for c in self.channels:
            if c.dtype not in ("int16", "int32"):
                raise ValueError(f"channel {c.index}: unsupported dtype {c.dtype!r}")
            if not (c.fs > 0 and math.isfinite(c.fs)) or c.n_samples < 0:
                raise ValueError(f"channel {c.index}: bad fs {c.fs} or n_samples {c.n_samples}")
        if chunk_values < 2 or chunk_values % 2 or factor < 2 or top_buckets < 1:
            raise ValueError("chunk_values must be even and >= 2, factor >= 2, top_buckets >= 1")
        self.final = record_prefix(key)
        if self.storage.list(self.final):
            raise FileExistsError(f"record {key} already exists in the store")
        self.chunk_values, self.factor, self.top_buckets = chunk_values, factor, top_buckets
        self.staging = staging_folder(key)
        self._writers = [
            ChannelPyramidWriter(self.storage, self.staging, c, chunk_values, factor, top_buckets)
            for c in self.channels
        ]
        self.state = "open"  # -> "committed" | "aborted" | "broken"

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.state != "committed":
            self.abort()

    def append(self, block: Sequence[npt.ArrayLike]) -> None:
        """Append one block: one array of digital samples per channel, covering the same span.

        Channels at different rates get different lengths (``n * fs_c / fs``);
        lengths are not compared, only totals at :meth:`commit`.
        """
        self._check_open()
        if len(block) != len(self._writers):
            raise ValueError(f"block has {len(block)} arrays for {len(self._writers)} channels")
        arrays = [w.digital(a) for w, a in zip(self._writers, block, strict=True)]

        def run() -> None:
            for writer, arr in zip(self._writers, arrays, strict=True):
                writer.append(arr)

        self._guarded(run)

    def append_channel(self, index: int, samples: npt.ArrayLike) -> None:
        """Append samples to channel ``index`` only."""
        self._check_open()
        if not 0 <= index < len(self._writers):
            raise ValueError(f"no channel {index} (record has {len(self._writers)})")
        writer = self._writers[index]
        arr = writer.digital(samples)
        self._guarded(lambda: writer.append(arr))

    def commit(self) -> None:
        """Finish every channel, write ``meta.json`` and publish the record atomically.

        Raises
        ------
        ValueError
            A channel did not receive exactly ``n_samples`` samples (nothing is
            published; call :meth:`abort` or leave the ``with`` block).
        FileExistsError
            The key was published meanwhile by another writer.
        """
        self._check_open()
        self._guarded(self._finish)
        self.state = "committed"

    def _finish(self) -> None:
        for w in self._writers:
            w.finish()
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "key": self.key,
            "chunk_values": self.chunk_values,
            "factor": self.factor,
            "top_buckets": self.top_buckets,
            "byte_order": "little",
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "channels": [{**dataclasses.asdict(w.info), "levels": w.levels} for w in self._writers],
        }
        self.storage.write(f"{self.staging}/{META}", json.dumps(meta, indent=1).encode())
        # cleanup_temp may have removed the staging folder of a slow import, and later
        # writes would have recreated it half empty: never publish that
        expected = {META} | {name for w in self._writers for name in w.object_names()}
        missing = expected - set(self.storage.list(self.staging))
        if missing:
            raise FileNotFoundError(
                f"record {self.key}: {len(missing)} of {len(expected)} staged objects vanished "
                f"from {self.staging} (removed by cleanup_temp?)"
            )
        self.storage.publish(self.staging, self.final)

    def abort(self) -> None:
        """Remove everything written so far. Safe to call more than once."""
        if self.state == "committed":
            raise RuntimeError(f"record {self.key} is already committed")
        self.storage.delete(self.staging)
        self.state = "aborted"
        self._writers = []

    def _check_open(self) -> None:
        if self.state != "open":
            raise RuntimeError(f"writer for {self.key} is {self.state}")

    def _guarded(self, action: Callable[[], object]) -> None:
        # a failure half-way leaves channels out of step: refuse anything but abort()
        try:
            action()
        except BaseException:
            self.state = "broken"
            raise


class RecordStore:
    """Read access to one published record. Obtain it with :meth:`open`."""

    _cache: OrderedDict[tuple[object, str], RecordStore] = OrderedDict()
    _cache_lock = threading.Lock()
    cache_size = 256

    def __init__(self, storage: Storage, key: str, meta: dict[str, Any]) -> None:
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise ValueError(
                f"record {key}: unsupported store format {meta.get('format')!r} "
                f"version {meta.get('version')!r}"
            )
        self.storage = storage
        self.key = key
        self.prefix = record_prefix(key)
        self.meta = meta
        self.chunk_values: int = meta["chunk_values"]
        self.factor: int = meta["factor"]
        names = {f.name for f in dataclasses.fields(ChannelInfo)}
        self.channels = [
            ChannelInfo(**{k: v for k, v in c.items() if k in names}) for c in meta["channels"]
        ]
        self.levels: list[int] = [c["levels"] for c in meta["channels"]]
        self._ranges: dict[int, tuple[int, int] | None] = {}

    @classmethod
    def open(cls, root: Root, key: str) -> RecordStore:
        """Open published record ``key``; stores are cached (records never change).

        Raises
        ------
        FileNotFoundError
            No published record has this key.
        """
        storage = as_storage(root)
        ident: object = str(storage.root) if isinstance(storage, LocalStorage) else storage
        with cls._cache_lock:
            store = cls._cache.get((ident, key))
            if store is not None:
                cls._cache.move_to_end((ident, key))
                return store
        try:
            raw = storage.read(f"{record_prefix(key)}/{META}")
        except FileNotFoundError:
            raise FileNotFoundError(f"no record {key} in {storage!r}") from None
        store = cls(storage, key, json.loads(raw))
        with cls._cache_lock:
            cls._cache[(ident, key)] = store
            while len(cls._cache) > cls.cache_size:
                cls._cache.popitem(last=False)
        return store

    @classmethod
    def forget(cls, key: str) -> None:
        """Drop cached stores of ``key`` (after it was deleted)."""
        with cls._cache_lock:
            for k in [k for k in cls._cache if k[1] == key]:
                del cls._cache[k]

    def __repr__(self) -> str:
        return f"<RecordStore {self.key}: {len(self.channels)} channels>"

    def _channel(self, channel: int) -> ChannelInfo:
        if not isinstance(channel, int | np.integer) or not 0 <= channel < len(self.channels):
            raise ValueError(f"no channel {channel!r} (record has {len(self.channels)})")
        return self.channels[channel]

    def read_samples(self, channel: int, first: int, stop: int) -> Digital:
        """Digital samples ``[first, stop)`` of ``channel`` (clipped to the record)."""
        info = self._channel(channel)
        first, stop = max(0, first), min(stop, info.n_samples)
        if stop <= first:
            return np.zeros(0, info.dtype)
        return read_level(self.storage, self.prefix, info, 0, first, stop, self.chunk_values)

    def digital_range(self, channel: int) -> tuple[int, int] | None:
        """Lowest and highest valid digital value of ``channel``, from the pyramid's top level
        (a few hundred items); None when the channel holds no valid sample. Read once per
        channel: a record never changes, and a JSON window may ask on every request."""
        if channel in self._ranges:
            return self._ranges[channel]
        found = self._digital_range(channel)
        self._ranges[channel] = found
        return found

    def _digital_range(self, channel: int) -> tuple[int, int] | None:
        info = self._channel(channel)
        top = self.levels[channel]
        if info.n_samples == 0:
            return None
        n = level_length(info.n_samples, top, self.factor)
        items = read_level(self.storage, self.prefix, info, top, 0, n, self.chunk_values)
        if top == 0:
            mins, maxs = split_invalid(items, info.invalid)
        else:
            mins, maxs = items[:, 0], items[:, 1]
        hi, lo = sentinels(np.dtype(info.dtype))
        valid_min, valid_max = mins[mins != hi], maxs[maxs != lo]
        if info.invalid is not None:
            valid_min = valid_min[valid_min != info.invalid]
            valid_max = valid_max[valid_max != info.invalid]
        if valid_min.size == 0 or valid_max.size == 0:
            return None
        return int(valid_min.min()), int(valid_max.max())

    def window(self, channel: int, start: float, end: float, max_points: int) -> ChannelWindow:
        """Samples of ``channel`` with ``start <= i / fs < end``, in at most ``max_points`` points.

        Parameters
        ----------
        channel : int
            Channel index.
        start, end : float
            Seconds from the start of the record; clipped to ``[0, duration]``.
        max_points : int
            Most values (raw) or buckets (minmax) to return, at least 1.

        Returns
        -------
        ChannelWindow
            ``"raw"`` when the span holds at most ``max_points`` samples, else
            ``"minmax"`` buckets of the smallest allowed size that gives at most
            ``max_points`` buckets (at least ``max_points / 2``), aligned to the
            grid ``k * bucket``.

        Raises
        ------
        ValueError
            Unknown channel, ``max_points < 1``, non-finite times, ``end <= start``,
            or a span holding no sample of the channel.

        Notes
        -----
        1. Convert the times to sample indexes exactly as a client computing
           ``i / fs`` would: first index with ``i / fs >= start``, same for ``end``.
        2. Few enough samples: read them (one or two byte ranges) and return them.
        3. Otherwise pick the bucket size ``B = m * factor**j``, read the aligned
           buckets of level ``min(j, top level)`` that cover the window (at most
           ``3 * max_points``, or the whole top level of at most ``TOP_BUCKETS``),
           and merge each group of ``B / factor**level`` of them.
        """
        return self.windows([channel], start, end, max_points)[0]

    def windows(
        self, channels: Sequence[int], start: float, end: float, max_points: int
    ) -> list[ChannelWindow]:
        """:meth:`window` of each of ``channels``, with the same arguments and errors.

        Channels on one sampling grid (same rate, length, dtype, invalid value and
        pyramid depth: every lead of a 12-lead ECG) are read, then reduced together in
        the same numpy passes; per channel, a 12-lead window cost ~0.1 ms of Python and
        numpy call overhead, more than its arithmetic.
        """
        infos = [self._channel(c) for c in channels]
        if isinstance(max_points, bool) or not isinstance(max_points, int | np.integer):
            raise ValueError(f"max_points must be an integer, got {max_points!r}")
        if max_points < 1:
            raise ValueError(f"max_points must be at least 1, got {max_points}")
        start, end = float(start), float(end)
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError(f"window times must be finite, got [{start}, {end})")
        if end <= start:
            raise ValueError(f"empty window: end {end} s is not after start {start} s")
        grids: dict[tuple[Any, ...], list[ChannelInfo]] = {}
        for info in infos:
            grid = (info.fs, info.n_samples, info.dtype, info.invalid, self.levels[info.index])
            grids.setdefault(grid, []).append(info)
        found: dict[int, ChannelWindow] = {}
        for members in grids.values():
            for w in self._grid_windows(members, start, end, max_points):
                found[w.channel] = w
        return [found[info.index] for info in infos]

    def _grid_windows(
        self, members: list[ChannelInfo], start: float, end: float, max_points: int
    ) -> list[ChannelWindow]:
        info = members[0]
        n, fs = info.n_samples, info.fs
        first = _index_at_or_after(start, fs, n)
        stop = _index_at_or_after(end, fs, n)
        if stop <= first:
            raise ValueError(
                f"window [{start}, {end}) s holds no sample of channel {info.index} "
                f"(duration {info.duration:g} s)"
            )

        def read(level: int, lo: int, hi: int) -> list[Digital]:
            return [
                read_level(self.storage, self.prefix, m, level, lo, hi, self.chunk_values)
                for m in members
            ]

        if stop - first <= max_points:
            return [
                ChannelWindow(
                    channel=m.index,
                    kind="raw",
                    t0=first / fs,
                    step=1 / fs,
                    first=first,
                    count=stop - first,
                    bucket=1,
                    values=values,
                )
                for m, values in zip(members, read(0, first, stop), strict=True)
            ]
        bucket = choose_bucket(first, stop, max_points, self.factor)
        level = level_for(bucket, self.factor, self.levels[info.index])
        group = bucket // self.factor**level
        k0, k1 = first // bucket, (stop - 1) // bucket + 1
        lo, hi = k0 * group, min(k1 * group, level_length(n, level, self.factor))
        rows = read(level, lo, hi)
        items = rows[0][np.newaxis] if len(rows) == 1 else np.stack(rows)
        if level == 0:
            mins, maxs = split_invalid(items, info.invalid)
        else:
            mins, maxs = items[..., 0], items[..., 1]
        mins, maxs = reduce_groups(mins, maxs, group)
        restore_invalid(mins, maxs, info.invalid)
        return [
            ChannelWindow(
                channel=m.index,
                kind="minmax",
                t0=k0 * bucket / fs,
                step=bucket / fs,
                first=k0,
                count=k1 - k0,
                bucket=bucket,
                min=mins[i],
                max=maxs[i],
            )
            for i, m in enumerate(members)
        ]


def _index_at_or_after(t: float, fs: float, n: int) -> int:
    """Smallest ``i`` in ``[0, n]`` with ``i / fs >= t`` (``n`` if none).

    ``ceil(t * fs)`` alone can be off by one (``0.1 * 360`` is a hair above 36),
    and the contract is the comparison a client makes with ``i / fs``.
    """
    if t <= 0:
        return 0
    if t > n / fs:
        return n
    i = min(n, math.ceil(t * fs))
    while i > 0 and (i - 1) / fs >= t:
        i -= 1
    while i < n and i / fs < t:
        i += 1
    return i


def list_keys(root: Root) -> list[str]:
    """Keys of every published record, sorted (to find records no database row refers to)."""
    storage = as_storage(root)
    keys: list[str] = []
    for top in storage.list(""):
        if top.startswith(".") or len(top) != 2:
            continue
        keys.extend(k for k in storage.list(top) if _KEY.fullmatch(k) and k[:2] == top)
    return sorted(keys)


def delete_record(root: Root, key: str) -> bool:
    """Delete published record ``key``; return whether it existed.

    ``meta.json`` goes first, so a deletion cut short leaves a record that no
    longer opens (and that :func:`list_keys` still lists for a retry), never one
    that opens with chunks missing.
    """
    storage = as_storage(root)
    prefix = record_prefix(key)
    existed = bool(storage.list(prefix))
    storage.delete(f"{prefix}/{META}")
    storage.delete(prefix)
    RecordStore.forget(key)
    return existed


def cleanup_temp(root: Root, older_than_seconds: float, *, now: float | None = None) -> list[str]:
    """Remove staging folders left by imports that died; return their names.

    A staging folder goes when the process that wrote it (same host) is no
    longer running, or when it was started more than ``older_than_seconds``
    ago, on any host (pick a limit well above the longest import: a writer
    whose folder is removed fails at commit, it never publishes half a record).
    Names this module did not make are left alone.
    """
    storage = as_storage(root)
    now = time.time() if now is None else now
    host = _host()
    removed: list[str] = []
    for name in storage.list(TMP):
        parts = name.split(".")
        if len(parts) != 5 or not (name.isascii() and parts[2].isdigit() and parts[3].isdigit()):
            continue
        _, their_host, pid, started, _ = parts
        stale = now - int(started) > older_than_seconds
        if stale or (their_host == host and not _pid_alive(int(pid))):
            storage.delete(f"{TMP}/{name}")
            removed.append(name)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
