"""The waveform store's half of a backup: published records are immutable files, so a
backup links them rather than copies them whenever it can.

For each file of a record the database refers to, in order of preference:

1. **the previous backup's file** (same name and size in the latest earlier backup in the
   same parent folder): a hard link, and its checksum is taken from that backup's
   manifest without reading it again. A store key is 128 random bits, never reused, and
   a published record is never rewritten, so the same name and size is the same file;
2. **the live store's file**, when the backup is on the same file system: a hard link
   (the store deletes records by unlinking, so the backup keeps its copy);
3. **a copy**, hashed while it is written.

A restore copies (never links) the files into a staging folder of the store and then
moves each record into place in one rename, so that a record is there whole or not at all.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from wavetag.backups.manifest import BackupError, Entry, copy_hashed, sha256_of
from wavetag.signal import store as wstore

PREFIX = "store/"
# link() fails with these where the file system cannot link across the two folders.
NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES}


@dataclass
class Copied:
    files: dict[str, Entry] = field(default_factory=dict)
    linked_previous: int = 0
    linked_store: int = 0
    copied: int = 0
    bytes: int = 0


def record_files(root: Path, key: str) -> list[str]:
    """Names of a record's files relative to the store root, sorted."""
    base = root / wstore.record_prefix(key)
    names: list[str] = []
    for folder, _, files in os.walk(base):
        rel = Path(folder).relative_to(root).as_posix()
        names.extend(f"{rel}/{name}" for name in files)
    return sorted(names)


def back_up(
    root: Path, keys: set[str], dest: Path, previous: tuple[Path, dict[str, Entry]] | None
) -> Copied:
    """Put the records ``keys`` of store ``root`` under ``dest/store``."""
    out = Copied()
    can_link_store = True
    for key in sorted(keys):
        names = record_files(root, key)
        if not any(n.endswith("/" + wstore.META) for n in names):
            raise BackupError(
                f"{root / wstore.record_prefix(key)}: the database refers to this record but "
                "the store does not hold it (deleted during the backup? run it again)"
            )
        for name in names:
            src, rel = root / name, PREFIX + name
            dst = dest / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            size = src.stat().st_size
            old = previous[1].get(rel) if previous else None
            if previous and old and old.size == size and _link(previous[0] / rel, dst, size):
                out.files[rel] = old
                out.linked_previous += 1
            elif can_link_store and _link(src, dst, size):
                out.files[rel] = Entry(sha256_of(dst), size)
                out.linked_store += 1
            else:
                can_link_store = False  # one failure says it for the whole file system
                out.files[rel] = copy_hashed(src, dst)
                out.copied += 1
            out.bytes += size
    return out


def _link(src: Path, dst: Path, size: int) -> bool:
    try:
        if src.stat().st_size != size:
            return False
        os.link(src, dst)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno in NO_LINK:
            return False
        raise
    return True


def keys_in(files: dict[str, Entry]) -> set[str]:
    return {name.split("/")[2] for name in files if name.startswith(PREFIX)}


def stage(backup: Path, files: dict[str, Entry], root: Path) -> Path:
    """Copy the store files of a backup into a staging folder of store ``root``, checking
    each checksum again on the way (the backup may change between check and copy)."""
    staging = root / wstore.TMP / f"restore-{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir(parents=True)
    try:
        for rel, entry in sorted(files.items()):
            if not rel.startswith(PREFIX):
                continue
            got = copy_hashed(backup / rel, staging / rel.removeprefix(PREFIX))
            if got != entry:
                raise BackupError(f"{backup / rel}: changed while being restored")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def publish(staging: Path, root: Path, keys: set[str], *, replace: bool) -> list[Placed]:
    """Move each staged record into the store; return what was put in place, to be taken
    out again (:func:`unpublish`) if the database cannot be restored. ``replace``
    (``--force``) sets a record of the same key already in the store aside first."""
    placed: list[Placed] = []
    aside = staging / ".replaced"
    try:
        for key in sorted(keys):
            prefix = wstore.record_prefix(key)
            final, old = root / prefix, None
            if final.exists():
                if not replace:
                    raise BackupError(f"{final}: already in the store")
                aside.mkdir(exist_ok=True)
                old = aside / key
                os.rename(final, old)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging / prefix, final)
            placed.append(Placed(final, old))
    except BaseException:
        unpublish(placed)
        raise
    return placed


@dataclass(frozen=True)
class Placed:
    folder: Path
    replaced: Path | None  # the record of the same key that was there, set aside


def unpublish(placed: list[Placed]) -> None:
    for p in reversed(placed):
        shutil.rmtree(p.folder, ignore_errors=True)
        if p.replaced is not None:
            os.rename(p.replaced, p.folder)
