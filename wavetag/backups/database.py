"""The database half of a backup: a consistent copy taken while the site serves, and its
restoring into an empty database.

SQLite: the online backup API copies the database as of one read transaction; in WAL
mode writers carry on meanwhile. PostgreSQL: ``pg_dump --format=custom`` reads one
snapshot; the same snapshot, exported, tells which store records the dump refers to.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings

from wavetag.backups.manifest import BackupError
from wavetag.records.models import Record

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
# Django's own connection options, which libpq does not know.
DJANGO_OPTIONS = {"isolation_level", "server_side_binding", "pool", "assume_role"}


def engine() -> str:
    name = str(settings.DATABASES["default"]["ENGINE"])
    if name.endswith("sqlite3"):
        return "sqlite"
    if name.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"DATABASE_URL: cannot back up a {name} database")


def sqlite_path() -> Path:
    return Path(settings.DATABASES["default"]["NAME"])


def _store_keys_sql() -> str:
    return f"SELECT store_key FROM {Record._meta.db_table}"


# SQLite ---------------------------------------------------------------------------------


def dump_sqlite(dest: Path) -> set[str]:
    """Copy the live database to ``dest``; return the store keys the copy refers to."""
    src = sqlite_path()
    if not src.is_file():
        raise BackupError(f"{src}: no database here (set WAVETAG_HOME or DATABASE_URL)")
    # Read-only: a backup never creates or changes the live file. pages=-1 copies in one
    # step, inside one read transaction: a consistent copy, never a mix of two moments.
    live = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=60)
    copy = sqlite3.connect(dest)
    try:
        live.backup(copy, pages=-1)
        # One self-contained file: no -wal beside it to lose on the way.
        copy.execute("PRAGMA journal_mode=DELETE")
        status = copy.execute("PRAGMA quick_check").fetchone()[0]
        if status != "ok":
            raise BackupError(f"{src}: the copy fails SQLite's check ({status})")
        return _keys(copy)
    except sqlite3.Error as exc:
        raise BackupError(f"{src}: cannot copy the database ({exc})") from None
    finally:
        copy.close()
        live.close()


def _keys(conn: sqlite3.Connection) -> set[str]:
    try:
        return {key for (key,) in conn.execute(_store_keys_sql())}
    except sqlite3.OperationalError:
        return set()  # not migrated yet: no records


def sqlite_in_use(path: Path) -> bool:
    """Whether the SQLite database at ``path`` holds any table (opened read-only, so that
    looking does not create it)."""
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
            return bool(tables.fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot read the database here ({exc})") from None


def restore_sqlite(staged: Path) -> None:
    """Put a verified copy in place of the database file, in one rename."""
    path = sqlite_path()
    # A write-ahead log left by the database being replaced would be replayed into the new
    # one: remove it first (the servers are stopped during a restore).
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(staged, path)


# PostgreSQL -----------------------------------------------------------------------------


def _pg() -> tuple[str, dict[str, str]]:
    """libpq connection string (no password) and environment (the password) for the
    database of DATABASE_URL: a password never appears in a process list."""
    db = settings.DATABASES["default"]
    params: dict[str, Any] = {
        "dbname": db["NAME"],
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
    }
    options = dict(db.get("OPTIONS") or {})
    params.update((k, v) for k, v in options.items() if k not in DJANGO_OPTIONS)
    from psycopg.conninfo import make_conninfo

    conninfo = make_conninfo(**{k: v for k, v in params.items() if v not in (None, "")})
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return conninfo, env


def _connect(**kwargs: Any) -> Any:
    import psycopg

    conninfo, env = _pg()
    password = env.get("PGPASSWORD")
    try:
        return psycopg.connect(conninfo, password=password, **kwargs)
    except psycopg.Error as exc:
        raise BackupError(f"DATABASE_URL: cannot connect ({exc})") from None


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name}: not found; install the PostgreSQL client tools (e.g. postgresql-client) "
            "of the server's version or newer"
        )
    return path


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()
        raise BackupError(f"{what} failed: {' / '.join(detail[-3:]) or result.returncode}")


def dump_postgres(dest: Path) -> set[str]:
    """``pg_dump`` the database to ``dest``; return the store keys the dump refers to.

    The snapshot is exported from a transaction of our own and handed to ``pg_dump``, so
    the keys are read from exactly the data that is dumped.
    """
    pg_dump = _tool("pg_dump")
    conninfo, env = _pg()
    import psycopg

    with _connect(autocommit=True) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            try:
                with conn.transaction():
                    keys = {key for (key,) in conn.execute(_store_keys_sql())}
            except psycopg.errors.UndefinedTable:
                keys = set()
            args = [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dest}"]
            name = settings.DATABASES["default"]["NAME"]
            _run([*args, f"--dbname={conninfo}"], env, f"pg_dump of {name}")
    return keys


def postgres_in_use() -> bool:
    """Whether the database of DATABASE_URL holds any table outside PostgreSQL's own."""
    with _connect() as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    return bool(row[0])


def restore_postgres(dump: Path, *, replace: bool) -> None:
    """``pg_restore`` in one transaction: it all goes in, or nothing does. ``replace``
    drops the objects the dump holds first (``--force``)."""
    pg_restore = _tool("pg_restore")
    conninfo, env = _pg()
    args = [pg_restore, "--single-transaction", "--exit-on-error", "--no-owner", "--no-acl"]
    if replace:
        args += ["--clean", "--if-exists"]
    name = settings.DATABASES["default"]["NAME"]
    _run([*args, f"--dbname={conninfo}", str(dump)], env, f"pg_restore of {dump} into {name}")
