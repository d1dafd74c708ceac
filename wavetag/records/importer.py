"""Import records into a dataset: validate, stream into the store, then publish.

A record becomes visible only when its database rows commit, and its rows
commit only after every sample has been written and checked:

1. open the source (header-level validation; nothing written yet);
2. stream its blocks into a temporary store folder (checksums verified on the way);
3. in one transaction, create the rows and publish the store folder;
4. if the transaction fails after publishing, delete the published folder.

A process killed during 2 leaves a temporary folder only (swept by the next
import); killed between the publish and the commit (or, on object storage, during
the upload that publishes), it leaves an unreferenced store folder, which
``wavetag store-gc`` removes. Neither is ever visible.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from wavetag.signal import store as wstore
from wavetag.signal.io import RecordRef, find_records, open_recording
from wavetag.signal.recording import AnnotationSetData, RecordError, RecordingSource

from .models import SYMBOL_MAX, Annotation, AnnotationSet, Channel, Dataset, Record
from .storage import store_root

log = logging.getLogger(__name__)

BLOCK_SECONDS = 60.0
ANNOTATION_BATCH = 5000


@dataclass
class ImportResult:
    """What happened to one record; ``message`` is the line shown to the user."""

    path: str
    name: str
    status: str  # "imported" | "skipped" | "failed"
    message: str
    record_id: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def dataset_name_for(path: str) -> str:
    """Default dataset name: the folder imported, or the folder holding the file."""
    p = Path(path).resolve()
    return (p if p.is_dir() else p.parent).name or "default"


def record_name(ref: RecordRef) -> str:
    """The record's name within its dataset: its path below the imported folder."""
    folder = Path(ref.path).resolve().parent
    try:
        rel = folder.relative_to(Path(ref.root).resolve())
    except ValueError:
        rel = Path()
    return (rel / ref.name).as_posix() if rel.parts else ref.name


ProgressFactory = Callable[[RecordingSource], Any]


def import_paths(
    paths: Iterable[str],
    dataset: str | None = None,
    *,
    keep_patient_info: bool = False,
    verify_checksums: bool = True,
    user: Any = None,
    progress: ProgressFactory | None = None,
    on_result: Callable[[ImportResult], None] | None = None,
    csv_fs: float | None = None,
) -> list[ImportResult]:
    """Import every record found under ``paths``; one result per record, never raises
    for a bad record."""
    paths = list(paths)
    refs, errors = find_records(paths)
    results: list[ImportResult] = []

    def report(result: ImportResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    for error in errors:
        report(ImportResult(error.path, Path(error.path).name, "failed", str(error)))
    if not refs:
        return results
    wstore.cleanup_temp(store_root(), older_than_seconds=24 * 3600)
    # A new dataset is made with its first record, in the same transaction: an import
    # that fails, or is killed, leaves no empty dataset behind.
    datasets: dict[str, Dataset | None] = {}
    for ref in refs:
        ds_name = dataset or dataset_name_for(ref.root)
        if datasets.get(ds_name) is None:
            datasets[ds_name] = Dataset.objects.filter(name=ds_name).first()
        found = datasets[ds_name]
        if found is not None and found.tutorial:
            # Every signed-in user reads the tutorial's dataset: nothing else goes in it.
            message = f"{ref.path}: dataset {ds_name} is the tutorial's; choose another name"
            report(ImportResult(ref.path, record_name(ref), "failed", message))
            continue
        report(
            import_one(
                ref,
                found or ds_name,
                keep_patient_info=keep_patient_info,
                verify_checksums=verify_checksums,
                user=user,
                progress=progress,
                csv_fs=csv_fs,
            )
        )
    return results


def import_one(
    ref: RecordRef,
    dataset: Dataset | str,
    *,
    keep_patient_info: bool = False,
    verify_checksums: bool = True,
    user: Any = None,
    progress: ProgressFactory | None = None,
    csv_fs: float | None = None,
) -> ImportResult:
    """Import one record into ``dataset``, or into the dataset of that name, made with
    the record if it does not exist yet."""
    name = record_name(ref)
    ds_name = dataset if isinstance(dataset, str) else dataset.name
    if Record.objects.filter(dataset__name=ds_name, name=name).exists():
        return ImportResult(ref.path, name, "skipped", f"{ref.path}: already in dataset {ds_name}")
    try:
        source = open_recording(
            ref,
            keep_patient_info=keep_patient_info,
            verify_checksums=verify_checksums,
            csv_fs=csv_fs,
        )
        record = _write(source, dataset, name, user=user, progress=progress)
    except RecordError as exc:
        return ImportResult(ref.path, name, "failed", str(exc))
    except IntegrityError:
        # Another process imported the same record name at the same moment.
        return ImportResult(ref.path, name, "skipped", f"{ref.path}: already in dataset {ds_name}")
    except (MemoryError, OSError) as exc:
        return ImportResult(ref.path, name, "failed", f"{ref.path}: could not be stored: {exc}")
    n_sets = len(source.annotation_sets)
    message = (
        f"{ref.path}: imported as {ds_name}/{name} ({len(source.channels)} channels, "
        f"{record.duration:.1f} s, {n_sets} annotation set{'s' if n_sets != 1 else ''})"
    )
    return ImportResult(ref.path, name, "imported", message, record.pk, list(source.warnings))


def _write(
    source: RecordingSource,
    dataset: Dataset | str,
    name: str,
    *,
    user: Any,
    progress: ProgressFactory | None,
) -> Record:
    root = store_root()
    record = Record(name=name)
    record.store_key = os.urandom(16).hex()
    bar = progress(source) if progress else None
    with wstore.StoreWriter(root, record.store_key, source.channels) as writer:
        for block in source.iter_blocks(BLOCK_SECONDS):
            writer.append(block)
            if bar is not None:
                bar.update(BLOCK_SECONDS)
        if bar is not None:
            bar.close()
        published = False
        try:
            with transaction.atomic():
                if isinstance(dataset, str):
                    dataset, _ = Dataset.objects.get_or_create(name=dataset)
                record.dataset = dataset
                _create_rows(record, source, user)
                writer.commit()
                published = True
        except BaseException:
            if published:
                wstore.delete_record(root, record.store_key)
            raise
    return record


def _create_rows(record: Record, source: RecordingSource, user: Any) -> None:
    record.format = source.format
    record.duration = max((c.duration for c in source.channels), default=0.0)
    record.start_time = source.start_time
    start_date = source.start_date
    if start_date is not None and timezone.is_naive(start_date):
        # File formats carry local wall-clock time with no zone; keep it as written.
        start_date = timezone.make_aware(start_date, UTC)
    record.start_date = start_date
    record.patient_info = dict(source.patient_info)
    record.comments = "\n".join(source.comments)
    record.source_path = str(source.path)
    record.warnings = list(source.warnings)
    record.imported_by = user if getattr(user, "pk", None) else None
    record.save()
    Channel.objects.bulk_create(
        Channel(
            record=record,
            index=c.index,
            name=c.name,
            units=c.units,
            fs=c.fs,
            gain=c.gain,
            baseline=c.baseline,
            n_samples=c.n_samples,
            adc_resolution=c.adc_resolution,
        )
        for c in source.channels
    )
    for data in source.annotation_sets:
        aset = AnnotationSet.objects.create(
            record=record,
            name=data.name,
            origin=data.origin,
            source=data.source,
            fs=data.fs,
            count=len(data),
        )
        insert_annotations(aset.pk, data)


def insert_annotations(
    set_id: int, data: AnnotationSetData, clusters: Sequence[int | None] | None = None
) -> None:
    """Insert a set's rows with one prepared statement; ``clusters``, in the rows' order,
    are the beats' morphology clusters (the automatic analysis has them).

    A day-long Holter carries ~100 000 beat labels; building a model object per
    row costs several times more than the samples' import, so rows go in as tuples.
    """
    n = len(data)
    if clusters is not None and len(clusters) != n:
        raise ValueError(f"clusters: {len(clusters)} values for {n} annotations")

    def column(values: Any) -> list[int]:
        return [int(v) for v in values] if len(values) == n else [0] * n

    labels = [_label(sym, aux) for sym, aux in zip(data.symbol, data.aux_note, strict=True)]
    rows = zip(
        [set_id] * n,
        data.time.astype(float).tolist(),
        data.sample.astype(np.int64).tolist(),
        data.duration.astype(float).tolist(),
        [sym for sym, _ in labels],
        column(data.subtype),
        column(data.chan),
        column(data.num),
        [aux for _, aux in labels],
        [None if c is None else int(c) for c in clusters] if clusters is not None else [None] * n,
        strict=True,
    )
    meta = Annotation._meta
    fields = ["annotation_set", "time", "sample", "duration", "symbol", "subtype", "chan", "num"]
    names = [meta.get_field(f).column for f in [*fields, "aux_note", "cluster"]]
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(meta.db_table), ", ".join(qn(c) for c in names), ", ".join(["%s"] * len(names))
    )
    with connection.cursor() as cursor:
        batch = list(itertools.islice(rows, ANNOTATION_BATCH))
        while batch:
            cursor.executemany(sql, batch)
            batch = list(itertools.islice(rows, ANNOTATION_BATCH))


def _label(symbol: str, aux_note: str) -> tuple[str, str]:
    # A label too long for a symbol (free-text EDF+ annotations) is kept whole as a note.
    if len(symbol) <= SYMBOL_MAX:
        return symbol, aux_note
    return "", f"{symbol} {aux_note}".strip()


def delete_record(record: Record) -> None:
    """Remove a record's rows, then its samples."""
    key = record.store_key
    with transaction.atomic():
        record.delete()
    wstore.delete_record(store_root(), key)


def garbage_collect(*, dry_run: bool = False) -> list[str]:
    """Delete store folders that no record refers to (left by a killed import); with
    ``dry_run``, only list them. Returns their keys."""
    root = store_root()
    if not dry_run:
        wstore.cleanup_temp(root, older_than_seconds=24 * 3600)
    known = set(Record.objects.values_list("store_key", flat=True))
    removed = []
    for key in wstore.list_keys(root):
        if key not in known:
            if not dry_run:
                wstore.delete_record(root, key)
            removed.append(key)
    return removed
