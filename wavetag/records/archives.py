"""Unpack uploaded ``.zip`` and ``.tar.gz`` archives of a folder, refusing what could harm.

An archive comes from a client: its member names may climb out of the folder (``../``,
``/etc/...``), its members may be links or devices, and a few kilobytes may unpack to
terabytes. Each member is checked before anything is written, sizes are counted as bytes
are written (a header may lie), and any refusal refuses the whole archive, naming the
member: a folder of records half unpacked would import as something else than was sent.
"""

from __future__ import annotations

import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from django.utils.translation import gettext as _

# Far more files than a folder of records holds; an archive past it is refused unread.
MAX_MEMBERS = 20_000
CHUNK = 1 << 20

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")


class ArchiveError(ValueError):
    """An archive refused; the message names the archive's member when one is at fault."""


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def _safe_parts(name: str) -> tuple[str, ...]:
    """The member's path as parts below the folder, or ArchiveError when it would leave it."""
    if "\\" in name or "\x00" in name:
        raise ArchiveError(_("%(file)s: not a plain path inside the archive") % {"file": name})
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise ArchiveError(_("%(file)s: an absolute path") % {"file": name})
    parts = tuple(p for p in path.parts if p not in ("", "."))
    if ".." in parts:
        raise ArchiveError(_("%(file)s: climbs out of the archive's folder (..)") % {"file": name})
    return parts


class _Budget:
    """Bytes and members left to unpack."""

    def __init__(self, max_bytes: int) -> None:
        self.bytes_left = max_bytes
        self.members_left = MAX_MEMBERS

    def member(self, name: str) -> None:
        self.members_left -= 1
        if self.members_left < 0:
            raise ArchiveError(
                _("%(file)s: more than %(n)s members") % {"file": name, "n": MAX_MEMBERS}
            )

    def copy(self, source: IO[bytes], target: Path, name: str, limit: int) -> None:
        with open(target, "xb") as out:
            while chunk := source.read(CHUNK):
                self.bytes_left -= len(chunk)
                if self.bytes_left < 0:
                    raise ArchiveError(
                        _("%(file)s: unpacks to more than the %(n)s bytes allowed")
                        % {"file": name, "n": limit}
                    )
                out.write(chunk)


def _members_zip(archive: zipfile.ZipFile) -> Iterator[tuple[str, bool, IO[bytes] | None]]:
    for info in archive.infolist():
        mode = info.external_attr >> 16
        if info.is_dir():
            yield info.filename, True, None
            continue
        if mode and not stat.S_ISREG(mode):
            raise ArchiveError(
                _("%(file)s: a link or special file, not a plain file") % {"file": info.filename}
            )
        yield info.filename, False, archive.open(info)


def _members_tar(archive: tarfile.TarFile) -> Iterator[tuple[str, bool, IO[bytes] | None]]:
    for member in archive:
        if member.isdir():
            yield member.name, True, None
        elif member.isreg():
            yield member.name, False, archive.extractfile(member)
        else:
            raise ArchiveError(
                _("%(file)s: a link or special file, not a plain file") % {"file": member.name}
            )


def unpack(archive_path: Path, folder: Path, max_bytes: int) -> None:
    """Unpack ``archive_path`` (zip, tar, tar.gz) into the empty ``folder``.

    1. Each member's name must stay inside ``folder``; links and devices are refused.
    2. Members are counted (at most MAX_MEMBERS) and their bytes counted as written (at most
       ``max_bytes`` in all), whatever the archive's headers claim.
    3. One top-level folder holding everything is dropped, so that a zip of ``mitdb/``
       gives records named ``100``, not ``mitdb/100``.

    Raises ArchiveError (naming the member at fault) after removing what was written.
    """
    budget = _Budget(max_bytes)
    try:
        if zipfile.is_zipfile(archive_path):
            _check_zip_entries(archive_path)
            with zipfile.ZipFile(archive_path) as zf:
                _write(_members_zip(zf), folder, budget, max_bytes)
        else:
            try:
                with tarfile.open(archive_path, "r:*") as tf:
                    _write(_members_tar(tf), folder, budget, max_bytes)
            except tarfile.TarError as exc:
                raise ArchiveError(
                    _("not a readable zip or tar archive (%(reason)s)") % {"reason": exc}
                ) from None
    except (ArchiveError, zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        if isinstance(exc, ArchiveError):
            raise
        raise ArchiveError(_("cannot be unpacked (%(reason)s)") % {"reason": exc}) from None
    _drop_single_top_folder(folder)


def _check_zip_entries(path: Path) -> None:
    """Refuse a zip declaring more than MAX_MEMBERS entries before ``ZipFile`` reads its
    directory: it builds an object per entry, and a directory of millions fits in an
    upload. The count is read from the end record (``zipfile``'s own reader of it)."""
    read_end = getattr(zipfile, "_EndRecData", None)
    if read_end is None:
        return
    with open(path, "rb") as f:
        end = read_end(f)
    total = end[getattr(zipfile, "_ECD_ENTRIES_TOTAL", 4)] if end else 0
    if total > MAX_MEMBERS:
        raise ArchiveError(
            _("declares %(total)s members, more than %(n)s") % {"total": total, "n": MAX_MEMBERS}
        )


def _write(
    members: Iterator[tuple[str, bool, IO[bytes] | None]],
    folder: Path,
    budget: _Budget,
    max_bytes: int,
) -> None:
    for name, is_dir, source in members:
        budget.member(name)
        parts = _safe_parts(name)
        if not parts:
            continue
        target = folder.joinpath(*parts)
        if is_dir:
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise ArchiveError(_("%(file)s: appears twice in the archive") % {"file": name})
        assert source is not None
        with source:
            budget.copy(source, target, name, max_bytes)


def _drop_single_top_folder(folder: Path) -> None:
    entries = list(folder.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        top = entries[0]
        moved = top.rename(folder / (".top-" + top.name))
        for child in moved.iterdir():
            child.rename(folder / child.name)
        moved.rmdir()
