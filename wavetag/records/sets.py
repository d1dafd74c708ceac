"""Annotation sets made inside wavetag: the automatic analysis's set, working copies.

Imported sets (reference, machine) are never changed here. An automatic set is only ever
replaced whole by the next run; a working copy is a new human set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput
from wavetag.signal.recording import AnnotationSetData

from .importer import insert_annotations
from .models import Annotation, AnnotationSet, Record

AUTOMATIC_SET = "auto"
COPYABLE = (
    AnnotationSet.Origin.REFERENCE,
    AnnotationSet.Origin.MACHINE,
    AnnotationSet.Origin.AUTOMATIC,
)


class SetError(InvalidInput):
    """A set cannot be made as asked; the message says why."""


def _free_name(record: Record, wanted: str, *, replaceable: str | None = None) -> str:
    """``wanted``, or ``wanted-2``, ``-3``... when another set of the record has the name.

    A set of origin ``replaceable`` does not count as taking the name.
    """
    taken = AnnotationSet.objects.filter(record=record)
    if replaceable is not None:
        taken = taken.exclude(origin=replaceable)
    names = set(taken.values_list("name", flat=True))
    name, n = wanted[:64], 1
    while name in names:
        n += 1
        suffix = f"-{n}"
        name = wanted[: 64 - len(suffix)] + suffix
    return name


def replace_automatic_set(
    record: Record,
    *,
    channel: int,
    fs: float,
    samples: npt.NDArray[np.int64],
    symbols: Sequence[str],
    aux_notes: Sequence[str],
    source: str,
    clusters: Sequence[int | None] | None = None,
) -> AnnotationSet:
    """Write the analysis's set of ``record``, replacing the previous automatic one.

    Call inside a transaction: the old set goes and the new one appears together, or
    neither. ``clusters`` (one per beat, in the order of ``samples``; None: no cluster)
    are the beats' morphology clusters, which the beat editor selects by. Sets of any
    other origin are left as they are, whatever their name.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("replace_automatic_set must run inside transaction.atomic()")
    # Two runs finishing together would each delete the other's set: take turns.
    Record.objects.select_for_update().filter(pk=record.pk).first()
    AnnotationSet.objects.filter(record=record, origin=AnnotationSet.Origin.AUTOMATIC).delete()
    order = np.argsort(samples, kind="stable")
    samples = np.asarray(samples, np.int64)[order]
    n = len(samples)
    aset = AnnotationSet.objects.create(
        record=record,
        name=_free_name(record, AUTOMATIC_SET),
        origin=AnnotationSet.Origin.AUTOMATIC,
        source=source[:255],
        fs=fs,
        count=n,
    )
    data = AnnotationSetData(
        name=aset.name,
        origin="machine",
        source=aset.source,
        fs=fs,
        time=samples / fs,
        sample=samples,
        symbol=[symbols[i] for i in order],
        aux_note=[aux_notes[i] for i in order],
        duration=np.zeros(n),
        chan=np.full(n, channel, np.int64),
    )
    if clusters is not None and len(clusters) != n:
        raise ValueError(f"clusters: {len(clusters)} values for {n} beats")
    if clusters is None:
        insert_annotations(aset.pk, data)
    else:
        insert_annotations(aset.pk, data, [clusters[i] for i in order])
    return aset


def create_working_set(
    source: AnnotationSet,
    user: Any,
    name: str | None = None,
    *,
    window: tuple[float, float] | None = None,
) -> AnnotationSet:
    """Copy an imported or automatic set as the starting point of ``user``'s own (human) set.

    The copy records who made it and what it was copied from; the source is not changed.
    With ``window`` (start, end in seconds, both included) only the rows in it are copied:
    a task on 30 s of a Holter needs its 40 beats, not the day's 100 000.
    The caller has checked that ``user`` may see ``source``.
    """
    if source.origin not in COPYABLE:
        raise SetError(
            f"set {source.name!r} is a human set: only imported or automatic sets "
            "can be copied as a starting set"
        )
    if not getattr(user, "pk", None):
        raise SetError(_("a working set belongs to a user: none was given"))
    wanted = name or f"{source.name}-{user.get_username()}"
    with transaction.atomic():
        Record.objects.select_for_update().filter(pk=source.record_id).first()
        if name and AnnotationSet.objects.filter(record_id=source.record_id, name=name).exists():
            raise SetError(
                "name: " + _("the record already has a set named %(name)s") % {"name": repr(name)}
            )
        copy = AnnotationSet.objects.create(
            record_id=source.record_id,
            name=_free_name(source.record, wanted),
            origin=AnnotationSet.Origin.HUMAN,
            source=f"copy of {source.name}",
            fs=source.fs,
            count=source.count,
            created_by=user,
            derived_from=source,
        )
        _copy_rows(source.pk, copy.pk, window)
        if window is not None:
            copy.count = Annotation.objects.filter(annotation_set=copy).count()
            copy.save(update_fields=["count"])
    return copy


def _copy_rows(from_id: int, to_id: int, window: tuple[float, float] | None = None) -> None:
    """Copy every row of a set inside the database: a Holter's 100 000 beats never pass
    through Python."""
    meta = Annotation._meta
    qn = connection.ops.quote_name
    fields = [
        "time",
        "sample",
        "duration",
        "symbol",
        "subtype",
        "chan",
        "num",
        "aux_note",
        "cluster",
    ]
    columns = ", ".join(qn(meta.get_field(f).column) for f in fields)
    set_column = qn(meta.get_field("annotation_set").column)
    table = qn(meta.db_table)
    where = f"{set_column} = %s"
    params: list[float] = [to_id, from_id]
    if window is not None:
        time_column = qn(meta.get_field("time").column)
        where += f" AND {time_column} >= %s AND {time_column} <= %s"
        params += [window[0], window[1]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({set_column}, {columns}) "
            f"SELECT %s, {columns} FROM {table} WHERE {where} ORDER BY {qn('id')}",
            params,
        )
