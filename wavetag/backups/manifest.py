"""A backup folder and its manifest: what it holds, and the checks a restore makes first.

A backup is a folder::

    manifest.json          what is here: every file's SHA-256 and size, the wavetag version,
                           the database engine, the store, the time (written last)
    database.sqlite3       SQLite: a copy made with SQLite's online backup API
    database.pgdump        PostgreSQL: ``pg_dump --format=custom``
    store/<ab>/<key>/...   the waveform store's published records (a local store only)
    secret_key             WAVETAG_HOME/secret_key, when the site keeps its key there

It is written as ``<folder>.partial`` and renamed when complete, so a folder without the
suffix and with a manifest is a finished backup; anything else is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wavetag.errors import InvalidInput

FORMAT = "wavetag-backup"
VERSION = 1
MANIFEST = "manifest.json"
PARTIAL = ".partial"
BLOCK = 1 << 20
# Set by ``wavetag restore`` when WAVETAG_SECRET_KEY is unset, so that loading the
# settings does not generate a key into the home being restored (the backup brings one).
RESTORING_KEY = "wavetag-restore-placeholder"


class BackupError(InvalidInput):
    """A backup that cannot be made or restored; the message names the file."""


@dataclass(frozen=True)
class Entry:
    sha256: str
    size: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def copy_hashed(src: Path, dst: Path) -> Entry:
    """Copy ``src`` to a new file ``dst`` and return what was written, hashed on the way
    (one read of the source, not two)."""
    digest = hashlib.sha256()
    size = 0
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as f, open(dst, "xb") as out:
        while block := f.read(BLOCK):
            digest.update(block)
            out.write(block)
            size += len(block)
        out.flush()
        os.fsync(out.fileno())
    return Entry(digest.hexdigest(), size)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    path = folder / MANIFEST
    with open(path, "x") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a finished backup, checked for shape; refused naming the file."""
    if not folder.is_dir():
        raise BackupError(f"{folder}: no such backup folder")
    path = folder / MANIFEST
    if not path.is_file():
        hint = " (an unfinished backup)" if folder.name.endswith(PARTIAL) else ""
        raise BackupError(f"{path}: missing, so {folder} is not a complete backup{hint}")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"{path}: unreadable ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: not a wavetag backup manifest")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{path}: backup format version {manifest.get('version')!r}; "
            f"this wavetag reads version {VERSION}"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("sha256"), str) and isinstance(v.get("size"), int)
        for v in files.values()
    ):
        raise BackupError(f"{path}: 'files' is not a map of name to sha256 and size")
    for name in files:
        if not _safe_name(name):
            raise BackupError(f"{path}: file name {name!r} leaves the backup folder")
    return manifest


def entries(manifest: dict[str, Any]) -> dict[str, Entry]:
    return {name: Entry(v["sha256"], v["size"]) for name, v in manifest["files"].items()}


def verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Check that every file the manifest lists is there, of its size and checksum; the
    first one that is not is named. Sizes first: a missing or truncated file is found
    without reading the others."""
    listed = entries(manifest)
    for name, entry in sorted(listed.items()):
        path = folder / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise BackupError(f"{path}: missing from the backup") from None
        if size != entry.size:
            raise BackupError(f"{path}: {size} bytes, the manifest says {entry.size}")
    for name, entry in sorted(listed.items()):
        path = folder / name
        if sha256_of(path) != entry.sha256:
            raise BackupError(f"{path}: checksum differs from the manifest (damaged or altered)")


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and ".." not in parts and "" not in parts
