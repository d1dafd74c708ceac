"""Back up a whole site while it serves, and restore it into an empty home.

What goes into a backup folder is described in :mod:`wavetag.backups.manifest`. An
object store (``WAVETAG_STORE_URL``) is not copied: its objects are immutable and the
object store keeps them better than a copy would (versioning, replication); a backup of
such a site holds the database and the secret key, and says so.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from django.conf import settings

from wavetag.backups import database, store
from wavetag.backups.manifest import (
    FORMAT,
    MANIFEST,
    PARTIAL,
    RESTORING_KEY,
    VERSION,
    BackupError,
    Entry,
    copy_hashed,
    entries,
    read_manifest,
    sha256_of,
    verify,
    write_manifest,
)
from wavetag.signal import store as wstore
from wavetag.signal.storage import fsync_path

SECRET_FILE = "secret_key"


@dataclass
class Report:
    folder: Path
    seconds: float = 0.0
    bytes: int = 0
    files: int = 0
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# Backing up -----------------------------------------------------------------------------


def backup(folder: str | os.PathLike[str], *, keep: int | None = None) -> Report:
    """Write a backup of this site into ``folder`` (which must not exist).

    1. **Claim** ``folder.partial`` under a lock (a stale one, left by a backup that died,
       is removed; a live one is refused).
    2. **Database**, first: every record its copy refers to was published in the store
       before its row was committed, so the store holds them all afterwards.
    3. **Store**: the records that copy refers to (and no others: unreferenced folders
       are left by interrupted imports), linked from the previous backup or the store
       where possible (see :mod:`wavetag.backups.store`).
    4. **Secret key**, when the site keeps it in WAVETAG_HOME/secret_key.
    5. **Manifest** last, then ``folder.partial`` is renamed ``folder``: a folder without
       the suffix is complete.
    6. ``.partial`` folders of backups that died are removed from the parent folder, and
       with ``keep`` the older complete backups there beyond the ``keep`` newest.
    """
    started = time.monotonic()
    dest = Path(os.path.abspath(folder))
    if dest.exists():
        raise BackupError(f"{dest}: already exists; give each backup a new folder")
    if dest.name.endswith(PARTIAL):
        raise BackupError(f"{dest}: a backup folder's name may not end in {PARTIAL}")
    report = Report(dest)
    previous = _previous(dest)
    partial = dest.with_name(dest.name + PARTIAL)
    lock = _claim(partial)
    try:
        files = _write(partial, previous, report)
        manifest = _manifest(files, previous, report)
        write_manifest(partial, manifest)
        (partial / ".lock").unlink()
        os.rename(partial, dest)
        fsync_path(dest.parent)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        os.close(lock)
    report.files = len(files)
    report.bytes = sum(e.size for e in files.values())
    for stale in _clear_partials(dest.parent):
        report.lines.append(f"removed {stale}, left by a backup that died")
    if keep is not None:
        for old in _prune(dest.parent, keep):
            report.lines.append(f"removed the older backup {old}")
    report.seconds = time.monotonic() - started
    return report


def _claim(partial: Path) -> int:
    partial.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            partial.mkdir(mode=0o700)  # it will hold the secret key and password hashes
        except FileExistsError:
            fd = os.open(partial / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BackupError(
                    f"{partial}: another backup into this folder is running"
                ) from None
            finally:
                os.close(fd)
            shutil.rmtree(partial)  # left by a backup that died
            continue
        fd = os.open(partial / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    raise BackupError(f"{partial}: cannot be claimed (another backup started meanwhile?)")


def _clear_partials(parent: Path) -> list[Path]:
    """Remove the ``.partial`` folders of backups that died: ours (they hold a lock file)
    and locked by no one."""
    removed = []
    for path in sorted(parent.glob("*" + PARTIAL)):
        try:
            fd = os.open(path / ".lock", os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a backup running now
        finally:
            os.close(fd)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _write(
    partial: Path, previous: tuple[Path, dict[str, Any]] | None, report: Report
) -> dict[str, Entry]:
    files: dict[str, Entry] = {}
    kind = database.engine()
    if kind == "sqlite":
        name = database.SQLITE_FILE
        keys = database.dump_sqlite(partial / name)
    else:
        name = database.PG_FILE
        keys = database.dump_postgres(partial / name)
    fsync_path(partial / name)
    files[name] = Entry(sha256_of(partial / name), (partial / name).stat().st_size)
    report.lines.append(f"database ({kind}): {_mb(files[name].size)}, {len(keys)} record(s)")

    if settings.STORE_URL:
        report.warnings.append(
            f"the waveform store is the object store {settings.STORE_URL}: it is NOT in this "
            "backup; keep it with the object store's own versioning or replication"
        )
    else:
        prev = (previous[0], entries(previous[1])) if previous else None
        copied = store.back_up(Path(settings.STORE_DIR), keys, partial, prev)
        files.update(copied.files)
        since = f"{copied.linked_previous} linked from {previous[0].name}, " if previous else ""
        report.lines.append(
            f"store: {len(keys)} record(s), {len(copied.files)} file(s), {_mb(copied.bytes)}: "
            f"{since}{copied.linked_store} linked from the store, {copied.copied} copied"
        )

    secret = Path(settings.HOME) / SECRET_FILE
    if secret.is_file() and secret.read_text().strip() == settings.SECRET_KEY:
        files[SECRET_FILE] = copy_hashed(secret, partial / SECRET_FILE)
        os.chmod(partial / SECRET_FILE, 0o600)
        report.lines.append(f"secret key: {secret}")
    else:
        report.warnings.append(
            "the secret key comes from WAVETAG_SECRET_KEY: it is not in this backup; keep it "
            "with the site's settings"
        )
    return files


def _manifest(
    files: dict[str, Entry], previous: tuple[Path, dict[str, Any]] | None, report: Report
) -> dict[str, Any]:
    kind = database.engine()
    return {
        "format": FORMAT,
        "version": VERSION,
        "wavetag": version("wavetag"),
        "created": datetime.now(UTC).isoformat(timespec="microseconds"),
        "database": {
            "engine": kind,
            "file": database.SQLITE_FILE if kind == "sqlite" else database.PG_FILE,
        },
        "store": (
            {"kind": "object-store", "url": settings.STORE_URL, "included": False}
            if settings.STORE_URL
            else {"kind": "files", "included": True}
        ),
        "secret_key": SECRET_FILE in files,
        "previous": previous[0].name if previous else None,
        "files": {name: {"sha256": e.sha256, "size": e.size} for name, e in sorted(files.items())},
        "warnings": report.warnings,
    }


def _backups_in(parent: Path, leave_out: str = "") -> list[tuple[str, Path, dict[str, Any]]]:
    """The complete backups in folder ``parent``, oldest first (by their time)."""
    found = []
    try:
        siblings = list(parent.iterdir())
    except FileNotFoundError:
        return []
    for path in siblings:
        if path.name == leave_out or path.name.endswith(PARTIAL) or not path.is_dir():
            continue
        try:
            manifest = read_manifest(path)
        except BackupError:
            continue
        found.append((str(manifest.get("created", "")), path, manifest))
    return sorted(found, key=lambda t: t[:2])


def _previous(dest: Path) -> tuple[Path, dict[str, Any]] | None:
    found = _backups_in(dest.parent, leave_out=dest.name)
    return (found[-1][1], found[-1][2]) if found else None


def _prune(parent: Path, keep: int) -> list[Path]:
    found = _backups_in(parent)
    old = [path for _, path, _ in found[: max(0, len(found) - keep)]]
    for path in old:
        shutil.rmtree(path)
    return old


# Restoring ------------------------------------------------------------------------------


def restore(folder: str | os.PathLike[str], *, force: bool = False) -> Report:
    """Restore the backup in ``folder`` into this (empty) home.

    1. **Read the manifest** and check that the backup fits this site (same database
       engine; store files need a local store).
    2. **Refuse a home in use** (a database with tables, a store with records) unless
       ``force``.
    3. **Verify every file** against the manifest: nothing has been changed so far, and
       a damaged or partial backup changes nothing.
    4. **Stage**: the store's files (and a SQLite file) are copied beside their places,
       checked again on the way.
    5. **Put in place**: the store's records, one rename each; then the database (one
       rename, or ``pg_restore`` in one transaction); if that fails, the records are
       taken out again. Then the secret key.
    """
    started = time.monotonic()
    src = Path(os.path.abspath(folder))
    manifest = read_manifest(src)
    report = Report(src)
    kind = database.engine()
    db = manifest.get("database") or {}
    if db.get("engine") != kind:
        raise BackupError(
            f"{src / MANIFEST}: a backup of a {db.get('engine')} database; this site's is "
            f"{kind} ({'DATABASE_URL' if kind == 'postgresql' else 'DATABASE_URL unset'})"
        )
    files = entries(manifest)
    if db.get("file") not in files:
        raise BackupError(f"{src / MANIFEST}: lists no database file")
    keys = store.keys_in(files)
    root = Path(settings.STORE_DIR)
    if keys and settings.STORE_URL:
        raise BackupError(
            f"{src}: holds a local waveform store, and this site's store is "
            f"{settings.STORE_URL} (unset WAVETAG_STORE_URL to restore it into "
            "WAVETAG_STORE_DIR)"
        )
    if not force:
        _refuse_if_in_use(root)
    verify(src, manifest)

    home = Path(settings.HOME)
    home.mkdir(parents=True, exist_ok=True)
    staged_db = None
    if kind == "sqlite":
        staged_db = database.sqlite_path().with_name(f".restoring-{os.getpid()}.sqlite3")
        staged_db.unlink(missing_ok=True)
        if copy_hashed(src / db["file"], staged_db) != files[db["file"]]:
            staged_db.unlink()
            raise BackupError(f"{src / db['file']}: changed while being restored")
        fsync_path(staged_db)
    staging = store.stage(src, files, root) if keys else None
    try:
        placed = store.publish(staging, root, keys, replace=force) if staging else []
        try:
            if staged_db is not None:
                database.restore_sqlite(staged_db)
            else:
                database.restore_postgres(src / db["file"], replace=force)
        except BaseException:
            store.unpublish(placed)
            raise
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            with contextlib.suppress(OSError):
                staging.parent.rmdir()  # the store's staging folder, when nothing else is there
        if staged_db is not None:
            staged_db.unlink(missing_ok=True)
    report.lines.append(f"database ({kind}): {_mb(files[db['file']].size)}")
    if keys:
        report.lines.append(f"store: {len(keys)} record(s) into {root}")
    _restore_secret(src, files, report)
    if not manifest.get("store", {}).get("included", True):
        report.warnings.append(
            f"the waveforms are in the object store {manifest['store'].get('url')}, which this "
            "backup does not hold: point WAVETAG_STORE_URL at it (or at its restored copy)"
        )
    made_by = manifest.get("wavetag")
    if made_by != version("wavetag"):
        report.warnings.append(
            f"made by wavetag {made_by}, this is {version('wavetag')}: run `wavetag migrate`"
        )
    report.files = len(files)
    report.bytes = sum(e.size for e in files.values())
    report.seconds = time.monotonic() - started
    return report


def _refuse_if_in_use(root: Path) -> None:
    found = []
    if database.engine() == "sqlite":
        if database.sqlite_in_use(database.sqlite_path()):
            found.append(f"the database {database.sqlite_path()} has tables")
    elif database.postgres_in_use():
        found.append(f"the database {settings.DATABASES['default']['NAME']} has tables")
    if not settings.STORE_URL:
        n = len(wstore.list_keys(root))
        if n:
            found.append(f"the store {root} holds {n} record(s)")
    if found:
        raise BackupError(
            f"{settings.HOME}: not empty ({'; '.join(found)}): restore into an empty home, "
            "or pass --force to replace what is there"
        )


def _restore_secret(src: Path, files: dict[str, Entry], report: Report) -> None:
    if SECRET_FILE not in files:
        report.warnings.append(
            "the backup holds no secret key (the site had WAVETAG_SECRET_KEY): set the same "
            "WAVETAG_SECRET_KEY here"
        )
        return
    path = Path(settings.HOME) / SECRET_FILE
    tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    if copy_hashed(src / SECRET_FILE, tmp) != files[SECRET_FILE]:
        tmp.unlink()
        raise BackupError(f"{src / SECRET_FILE}: changed while being restored")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    report.lines.append(f"secret key: {path}")
    if os.environ.get("WAVETAG_SECRET_KEY", RESTORING_KEY) != RESTORING_KEY:
        report.warnings.append(
            f"WAVETAG_SECRET_KEY is set: it, not the restored {path}, is the key in use"
        )


# Helpers --------------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
