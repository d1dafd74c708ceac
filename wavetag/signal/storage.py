"""Where the waveform store keeps its bytes: a tiny backend protocol and local files.

The store (:mod:`wavetag.signal.store`) never touches the file system itself. It
names *objects* with ``/``-separated relative names (``ab/abcd/meta.json``) and
asks a :class:`Storage` to read byte ranges of them, write them once, list a
folder, delete a folder, and publish a finished staging folder under its final
name in one atomic step. Objects are immutable: written whole, once, then only
read or deleted. That is the whole contract, small enough for a shared file
system (NFS) or an object store (S3-style range GET / PUT) to honour.

:class:`LocalStorage` implements it on a local or network-mounted folder; see the
module docstring of :mod:`wavetag.signal.store` for how another backend plugs in.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import Protocol

Data = bytes | bytearray | memoryview


class Storage(Protocol):
    """What the waveform store needs from the place that holds its objects.

    Names are relative, ``/``-separated, never start with ``/`` and never
    contain ``..``; the empty string names the root folder.
    """

    def read(self, name: str, offset: int = 0, length: int | None = None) -> bytes | bytearray:
        """Return ``length`` bytes of object ``name`` from ``offset`` (all of it if None).

        Raises
        ------
        FileNotFoundError
            The object does not exist.
        OSError
            The object is shorter than the range asked for.
        """
        ...

    def write(self, name: str, data: Data) -> None:
        """Create object ``name`` holding ``data``; an existing object is an error."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Names of the entries directly inside folder ``prefix`` (sorted; [] if absent)."""
        ...

    def delete(self, prefix: str) -> None:
        """Remove object ``prefix``, or folder ``prefix`` with everything in it.

        Removing something that does not exist is not an error.
        """
        ...

    def publish(self, staging: str, final: str) -> None:
        """Make every object written under ``staging`` readable under ``final``, atomically.

        Before the call returns nothing exists under ``final``; afterwards all of
        it does. ``staging`` is gone (or hidden) afterwards.

        Raises
        ------
        FileExistsError
            ``final`` already exists; published objects are never replaced.
        """
        ...


@functools.lru_cache(maxsize=65536)
def _join(root: str, name: str) -> str:
    # Checked and joined once per object name: a window request opens one object per
    # channel, always the same few thousand names, and pathlib (or even this check) cost
    # more than the read itself.
    parts = [p for p in name.split("/") if p]
    if any(p in (".", "..") for p in parts) or name.startswith("/"):
        raise ValueError(f"invalid object name {name!r}")
    return os.path.join(root, *parts)


class LocalStorage:
    """:class:`Storage` on a folder of the local (or an NFS-mounted) file system.

    Objects are plain files, folders are directories, and :meth:`publish` is a
    ``rename(2)`` of the staging directory, atomic on local file systems and on
    NFS alike because both folders live under the same root.

    Parameters
    ----------
    root : str or os.PathLike
        Folder holding everything; created on first write.
    durable : bool
        Flush every object to disk (``fsync``) before it counts as written and
        the parent folders after :meth:`publish`. Without it a crashed *process*
        still loses nothing (the page cache survives), but a power cut right
        after an import could leave a published record with missing bytes. Off by
        default because it makes imports several times slower on spinning disks.
    """

    def __init__(self, root: str | os.PathLike[str], durable: bool = False) -> None:
        self.root = Path(root).resolve()
        self._root = str(self.root)
        self.durable = durable

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def path(self, name: str) -> Path:
        """The file-system path of object or folder ``name``."""
        return Path(self._os_path(name))

    def _os_path(self, name: str) -> str:
        return _join(self._root, name)

    def read(self, name: str, offset: int = 0, length: int | None = None) -> bytearray:
        fd = os.open(self._os_path(name), os.O_RDONLY)
        try:
            if length is None:
                length = os.fstat(fd).st_size - offset
            # bytearray keeps numpy views of the result writable
            buf = bytearray(length)
            got = os.preadv(fd, [buf], offset) if length else 0
        finally:
            os.close(fd)
        if got != length:
            raise OSError(f"{name}: wanted {length} bytes at {offset}, object holds {got}")
        return buf

    def write(self, name: str, data: Data) -> None:
        path = self.path(name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(path, flags, 0o644)
        except FileNotFoundError:
            # parent folders appear lazily so that a writer costs nothing until it writes
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, flags, 0o644)
        try:
            view = memoryview(data).cast("B")
            while view:
                view = view[os.write(fd, view) :]
            if self.durable:
                os.fsync(fd)
        finally:
            os.close(fd)

    def list(self, prefix: str) -> list[str]:
        try:
            return sorted(os.listdir(self.path(prefix)))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def delete(self, prefix: str) -> None:
        path = self.path(prefix)
        if path == self.root:
            raise ValueError("refusing to delete the storage root")
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def publish(self, staging: str, final: str) -> None:
        src, dst = self.path(staging), self.path(final)
        if not src.is_dir():
            raise FileNotFoundError(f"nothing staged at {staging}")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if self.durable:
            fsync_path(src)
        if dst.exists():
            raise FileExistsError(f"{final} already exists")
        try:
            # rename() replaces an *empty* directory silently, hence the check above;
            # a racing publisher that got there first leaves a non-empty one -> error
            os.rename(src, dst)
        except OSError as exc:
            if dst.exists():
                raise FileExistsError(f"{final} already exists") from exc
            raise
        if self.durable:
            fsync_path(dst.parent)
            fsync_path(src.parent)


def fsync_path(path: Path) -> None:
    """fsync a file or a folder by its path: a file's data is safe after fsync(file), its
    *name* only after fsync(folder)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
