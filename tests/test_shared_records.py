"""The record fixtures: one import shared by the tests in a transaction, nothing a test
changes (rows or store) seen by the next, and only the records a test asks for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from wavetag.records.importer import delete_record
from wavetag.records.models import Annotation, AnnotationSet, Record
from wavetag.signal.store import RecordStore, record_prefix

from .shared_records import SharedRecords

pytestmark = pytest.mark.django_db

MITDB_100_LABELS = 2274  # rows of its reference set 'atr' (beats and rhythm changes)
CHANGED = "changed by an earlier test"
SEEN: dict[str, Any] = {}  # what an earlier test of this module saw


def assert_whole(record: Record, store_dir: Path) -> None:
    """The record with its rows, and its samples readable from ``store_dir``."""
    atr = AnnotationSet.objects.get(record=record, name="atr")
    assert Annotation.objects.filter(annotation_set=atr).count() == MITDB_100_LABELS
    store = RecordStore.open(store_dir, record.store_key)
    assert store.read_samples(0, 0, 360).shape == (360,)


class TestShared:
    def test_imported_once_outside_the_tests_transaction(
        self, mitdb_100: list[Record], shared_records: SharedRecords, settings: Any
    ) -> None:
        (record,) = mitdb_100
        assert shared_records.test is not None and shared_records.store is not None
        # Ours, then pytest-django's for this test (and nothing else) on the connection.
        assert len(connection.atomic_blocks) == 2
        # The test reads its own copy of the store, not the shared folder.
        store_dir = Path(settings.STORE_DIR)
        assert not store_dir.is_relative_to(shared_records.store)
        assert (store_dir / record_prefix(record.store_key)).is_dir()
        assert_whole(record, store_dir)
        SEEN["first"] = (record.pk, record.store_key, shared_records.loads)

    def test_a_deleted_record_and_its_samples_go_for_this_test_only(
        self, mitdb_100: list[Record], settings: Any
    ) -> None:
        (record,) = mitdb_100
        Annotation.objects.filter(annotation_set__record=record).update(aux_note=CHANGED)
        delete_record(record)
        assert not Record.objects.exists()
        assert not (Path(settings.STORE_DIR) / record_prefix(record.store_key)).exists()

    def test_the_next_test_finds_the_same_import_whole(
        self, mitdb_100: list[Record], shared_records: SharedRecords, settings: Any
    ) -> None:
        (record,) = mitdb_100
        assert not Annotation.objects.filter(
            annotation_set__record=record, aux_note=CHANGED
        ).exists()
        assert_whole(record, Path(settings.STORE_DIR))
        if "first" in SEEN:  # run after the first test of this class: shared, not re-imported
            assert (record.pk, record.store_key, shared_records.loads) == SEEN["first"]


class TestOnlyWhatIsAskedFor:
    def test_other_records_are_rolled_back(self, holter_100: list[Record]) -> None:
        assert list(Record.objects.values_list("dataset__name", "name")) == [("holter", "100")]

    def test_two_fixtures_give_both_in_order(
        self, ecg_record: list[Record], holter_100: list[Record]
    ) -> None:
        names = list(Record.objects.order_by("pk").values_list("dataset__name", "name"))
        assert names == [("ecg", "00001_lr"), ("holter", "100")]
        assert [r.name for r in ecg_record + holter_100] == ["00001_lr", "100"]

    def test_none_without_a_record_fixture(self, shared_records: SharedRecords) -> None:
        assert not Record.objects.exists()
        assert shared_records.test is None and shared_records.store is None


@pytest.mark.django_db(transaction=True)
class TestOutsideATransaction:
    def test_records_are_imported_for_the_test_itself(
        self, mitdb_100: list[Record], shared_records: SharedRecords, settings: Any
    ) -> None:
        (record,) = mitdb_100
        assert not connection.in_atomic_block and shared_records.test is None
        assert list(Record.objects.all()) == [record]
        assert_whole(record, Path(settings.STORE_DIR))
