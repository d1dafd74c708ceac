"""Real records imported once and shared by the database tests that ask for them.

Importing a record (reading it, writing its store, inserting its annotations) takes a
good part of a second, and hundreds of tests start from the same few records. The record
fixtures of ``tests/conftest.py`` (``icu_alarms``, ``mitdb_100``, ...) are served so:

1. **Once, in an outer transaction.** Just before pytest-django opens a test's transaction,
   the records named by the test's fixtures are imported inside a transaction of our own,
   which stays open while the following tests ask for the same records. A test that asks
   for other records, or for none, or that runs outside a transaction
   (``transactional_db``, ``live_server``: browser and concurrency tests) first has it
   rolled back. So a test sees exactly the records its fixtures name, as before.
2. **Changes roll back.** The test's own transaction is nested in the outer one (a
   savepoint) and rolled back at its end, so whatever a test changes in the database,
   shared rows included, is undone before the next one.
3. **Own store.** The waveform store is not rolled back: each test gets a copy of the
   shared records' store folders in its own ``STORE_DIR``, so a record it deletes, or a
   file it writes there, is gone or changed in its copy only.
4. **Outside a transaction** (or when the fixture is requested in a way the setup cannot
   see, e.g. ``request.getfixturevalue``), the fixture imports the records for the test
   alone, as the tests did before.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class Import:
    """One call of the importer: a record (or folder) below the data folder, a dataset."""

    path: str
    dataset: str


# What each record fixture imports, in this order; the fixtures are made from this table
# in tests/conftest.py, and the setup reads it to know what a test needs before it runs.
RECORD_SETS: dict[str, tuple[Import, ...]] = {
    "icu_alarms": (Import("challenge2015/v102s", "icu"), Import("challenge2015/v221l", "icu")),
    "alarm_v102s": (Import("challenge2015/v102s", "icu"),),
    "ecg_record": (Import("ptbxl/00001_lr", "ecg"),),
    "mitdb_100": (Import("mitdb/100", "mitdb"),),
    "mitdb_106": (Import("mitdb/106", "mitdb"),),
    "mitdb_records": tuple(Import(f"mitdb/{n}", "mitdb") for n in ("100", "105", "106", "107")),
    "holter_100": (Import("mitdb/100", "holter"),),
    "holter_106": (Import("mitdb/106", "holter"),),
    "api_records": (
        Import("mitdb/100", "api"),
        Import("mimicdb/03700181", "api"),
        Import("challenge2015/v221l", "icu"),
    ),
}

ALIAS = "default"  # the one database of the suite

# Fixtures that make pytest-django run a test outside a transaction.
TRANSACTIONAL_FIXTURES = ("transactional_db", "live_server", "django_db_reset_sequences")


def wanted(fixturenames: Iterable[str]) -> tuple[Import, ...]:
    """The imports a test's record fixtures make, in the order the fixtures come, once."""
    out: list[Import] = []
    for name in fixturenames:
        out.extend(i for i in RECORD_SETS.get(name, ()) if i not in out)
    return tuple(out)


def is_transactional(request: pytest.FixtureRequest) -> bool:
    """Whether pytest-django runs this test outside a transaction (its own rule)."""
    from pytest_django.fixtures import validate_django_db

    marker = request.node.get_closest_marker("django_db")
    if marker is not None:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        if transaction or reset_sequences:
            return True
    return any(name in request.fixturenames for name in TRANSACTIONAL_FIXTURES)


def import_records(data_dir: Path, imports: Iterable[Import]) -> dict[Import, list[int]]:
    """Import each into the current database and ``STORE_DIR``; the ids of its records
    (a record already in its dataset is found, not imported twice)."""
    from wavetag.records.models import Record

    from .factories import import_ok

    ids: dict[Import, list[int]] = {}
    for item in imports:
        results = import_ok(data_dir / item.path, dataset=item.dataset)
        ids[item] = [
            Record.objects.get(dataset__name=item.dataset, name=r.name).pk for r in results
        ]
    return ids


class SharedRecords:
    """The records of the outer transaction: which imports, their ids, their store."""

    def __init__(self, blocker: Any, data_dir: Path, workdir: Path) -> None:
        self.blocker = blocker
        self.data_dir = data_dir
        self.workdir = workdir
        self.imports: tuple[Import, ...] = ()
        self.ids: dict[Import, list[int]] = {}
        self.store: Path | None = None
        self.test: str | None = None  # node id of the test they are open for
        self.loads = 0  # how many times records were imported (for the suite's own tests)
        self._atomic: Any = None
        self._connection: Any = None  # the connection the records were imported on

    def open_for(self, test: str, imports: tuple[Import, ...]) -> None:
        """Make ``imports`` (and nothing else) the shared records of ``test``."""
        from django.db import connections

        if imports != self.imports or connections[ALIAS] is not self._connection:
            self.close()
            self._load(imports)
        self.test = test

    def _load(self, imports: tuple[Import, ...]) -> None:
        from django.db import connections, transaction
        from django.test.utils import override_settings

        self.store = Path(tempfile.mkdtemp(prefix="store-", dir=self.workdir))
        with self.blocker.unblock():
            self._connection = connections[ALIAS]
            self._atomic = transaction.atomic(using=ALIAS)
            self._atomic.__enter__()
            try:
                with override_settings(STORE_DIR=self.store):
                    self.ids = import_records(self.data_dir, imports)
            except BaseException:
                self.close()
                raise
        self.imports = imports
        self.loads += 1

    def close(self) -> None:
        """Roll the shared records back and remove their store (nothing if none are open)."""
        from django.db import connections, transaction

        self.test = None
        if self._atomic is not None:
            atomic, opened_on = self._atomic, self._connection
            self._atomic = self._connection = None
            # Once Playwright's sync API runs an event loop in this thread (browser tests),
            # Django hands out another connection object here: roll back on the one the
            # records were imported on.
            current = connections[ALIAS]
            connections[ALIAS] = opened_on
            try:
                with self.blocker.unblock():
                    # Only ours may be open here: a test's transaction has ended before.
                    assert opened_on.atomic_blocks[-1:] == [atomic], opened_on.atomic_blocks
                    transaction.set_rollback(True, using=ALIAS)
                    atomic.__exit__(None, None, None)
            finally:
                connections[ALIAS] = current
        if self.store is not None:
            shutil.rmtree(self.store, ignore_errors=True)
            self.store = None
        self.imports, self.ids = (), {}

    def records(self, test: str, name: str, settings: Any, store: Path) -> list[Any]:
        """The records of fixture ``name`` for ``test``, with ``STORE_DIR`` set to ``store``:
        the shared ones with a copy of their store folders, or else imported there."""
        from django.db import connections

        from wavetag.records.models import Record
        from wavetag.signal.store import record_prefix

        settings.STORE_DIR = store
        imports = RECORD_SETS[name]
        shared = self.test == test and self.store is not None
        if shared:
            # The test's transaction must be nested in ours, or its changes would stay.
            blocks = connections[ALIAS].atomic_blocks
            assert blocks[:1] == [self._atomic] and len(blocks) >= 2, blocks
            ids = self.ids
        else:
            ids = import_records(self.data_dir, imports)
        records = [Record.objects.get(pk=pk) for item in imports for pk in ids[item]]
        if shared:
            assert self.store is not None
            for record in records:
                folder = record_prefix(record.store_key)
                shutil.copytree(self.store / folder, store / folder, dirs_exist_ok=True)
        return records
