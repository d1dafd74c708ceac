"""A bounded on-disk cache of immutable byte blocks, shared by the processes of one machine.

The object-store backend (:mod:`wavetag.signal.s3storage`) keeps here the blocks it
fetched, so that a viewer panning back and forth, or a second web process showing the
same record, does not ask the object store again. Store objects never change once
published, so an entry never goes stale and needs no validation: the only question is
which entries to drop when the cache is full.

1. **Entries** are files ``<folder>/<h[:2]>/<h>``, ``h`` the SHA-256 of the block's name.
   A new entry is written to a temporary file and renamed into place, so a reader in
   another process sees the whole block or none of it.
2. **Recency** is the file's modification time, bumped on every hit; the oldest go first
   (least recently used, across processes, with no shared index to keep consistent).
3. **Size** is a counter in ``<folder>/.size``, updated under an exclusive ``flock`` on
   ``<folder>/.lock`` at each insertion. When it passes ``max_bytes``, the process that
   holds the lock scans the folder, recounts (a killed process may have left the counter
   short) and removes the least recently used entries down to 90 % of ``max_bytes``, so
   the scan runs once per tenth of the cache filled, not at every insertion.

A reader that opened an entry just before another process evicted it still reads it
(POSIX keeps an unlinked file's data until it is closed); one that finds it gone fetches
the block again. POSIX only (``fcntl``), as is the server.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import threading
import time
from pathlib import Path

LOW_WATER = 0.9
STALE_TMP_SECONDS = 3600


class BlockCache:
    """Immutable blocks on local disk, at most ``max_bytes`` of them, least recently used out.

    Parameters
    ----------
    folder : str or os.PathLike
        Where entries live; created if needed. Every process of a machine may share it.
    max_bytes : int
        Most bytes of entries kept (a block larger than this is never kept).
    """

    def __init__(self, folder: str | os.PathLike[str], max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1, got {max_bytes}")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = int(max_bytes)
        self.hits = self.misses = 0
        # flock excludes other processes, not the threads of this one (they share the fd)
        self._thread_lock = threading.Lock()
        self._open_files()

    def _open_files(self) -> None:
        # A forked child shares its parent's open files, and with them the flock: each
        # process opens its own (see _locked).
        self._pid = os.getpid()
        self._lock_fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        self._size_fd = os.open(self.folder / ".size", os.O_RDWR | os.O_CREAT, 0o644)

    def __repr__(self) -> str:
        return f"BlockCache({str(self.folder)!r}, max_bytes={self.max_bytes})"

    def _path(self, key: str) -> str:
        h = hashlib.sha256(key.encode()).hexdigest()
        return os.path.join(self.folder, h[:2], h)

    def get(self, key: str) -> bytes | None:
        """The block stored under ``key``, or None."""
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                data = f.read()
            os.utime(path)  # recency for the LRU order
        except FileNotFoundError:
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, key: str, data: bytes | bytearray | memoryview) -> None:
        """Keep ``data`` under ``key`` (a block never changes: an existing entry is kept)."""
        size = len(data)
        if size > self.max_bytes:
            return
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        with self._locked():
            existed = os.path.exists(path)  # two processes fetched the same block
            os.replace(tmp, path)
            total = self._read_size() + (0 if existed else size)
            if total > self.max_bytes:
                total = self._evict(int(self.max_bytes * LOW_WATER))
            self._write_size(total)

    def size(self) -> int:
        """Bytes held now, counted from the files."""
        return sum(size for _, size, _ in self._entries())

    def clear(self) -> None:
        """Remove every entry."""
        with self._locked():
            for _, _, path in self._entries():
                _unlink(path)
            self._write_size(0)

    def _locked(self) -> _FileLock:
        if os.getpid() != self._pid:
            self._thread_lock = threading.Lock()  # a fork may have copied it held
            self._open_files()
        return _FileLock(self._thread_lock, self._lock_fd)

    def _read_size(self) -> int:
        raw = os.pread(self._size_fd, 20, 0)
        try:
            return int(raw)
        except ValueError:  # new or damaged counter: recount
            return self.size()

    def _write_size(self, total: int) -> None:
        os.pwrite(self._size_fd, f"{total:020d}".encode(), 0)

    def _entries(self) -> list[tuple[int, int, str]]:
        """``(mtime_ns, size, path)`` of every entry (temporary files left out)."""
        out = []
        for sub in os.scandir(self.folder):
            if not sub.is_dir() or len(sub.name) != 2:
                continue
            for entry in os.scandir(sub.path):
                try:
                    st = entry.stat()
                except FileNotFoundError:
                    continue
                if entry.name.endswith(".tmp"):
                    if time.time() - st.st_mtime > STALE_TMP_SECONDS:
                        _unlink(entry.path)  # left by a process killed while writing
                    continue
                out.append((st.st_mtime_ns, st.st_size, entry.path))
        return out

    def _evict(self, target: int) -> int:
        entries = sorted(self._entries())
        total = sum(size for _, size, _ in entries)
        for _, size, path in entries:
            if total <= target:
                break
            _unlink(path)
            total -= size
        return total


class _FileLock:
    def __init__(self, thread_lock: threading.Lock, fd: int) -> None:
        self.thread_lock, self.fd = thread_lock, fd

    def __enter__(self) -> None:
        self.thread_lock.acquire()
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.thread_lock.release()


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
