"""Human edits of a working annotation set: beats, rhythm segments, fiducial points.

Only human sets are edited, by their maker or an admin of the dataset's project;
reference and machine sets are imported facts and automatic sets are replaced whole by
the next analysis run. Every applied operation is written to the set's edit log with what
the touched rows were before and after, so the history of a set can be shown.

Storage follows the WFDB conventions, so that the set exports as a valid annotation file:

- a beat is a row with a beat code (``N``, ``V``, ...);
- a rhythm segment is one ``+`` row at its start whose aux note is the rhythm (``(AFIB``)
  and whose ``duration`` is its length. One row (not a start/end pair) keeps a segment a
  single thing to move or delete; the WFDB export writes the closing rhythm change (the
  rhythm in effect before the segment) at its end, so the file round-trips;
- a fiducial point is a wave boundary or peak linked to its beat: ``(`` / ``)`` with ``num``
  0 (P), 1 (QRS) or 2 (T) for onsets and ends, ``t`` for the T peak, as ecgpuwave writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wavetag.errors import WavetagError
from wavetag.signal.vocabulary import (
    BEAT_CODES,
    FIDUCIAL_REACH,
    FIDUCIALS,
    RHYTHM_CHANGE,
    RHYTHMS,
)
from wavetag.stored_texts import Texts

from .models import Annotation, AnnotationEdit, AnnotationSet, Record
from .sets import _free_name

# Why a set is frozen: kept in English on the set by whoever froze it (a submitted answer,
# the consensus's final set) and shown in the reader's language by ``frozen_shown``.
SUBMITTED = gettext_noop(
    "it is your submitted answer to task %(task)s; save the task for later to edit it"
)
FINAL = gettext_noop(
    "the final beats of project %(project)s: written by consensus and adjudication only"
)
frozen_shown = Texts([SUBMITTED, FINAL], {"task": r"\d+"})

MAX_OPS = 5000


class EditError(WavetagError):
    """An edit cannot be applied; the message names the field and what is wrong (400), or
    the set may not be edited now (403, 409)."""


def may_edit(user: Any, aset: AnnotationSet, *, as_admin: bool = False) -> None:
    """Raise unless ``user`` may edit ``aset`` (the caller has checked they may see it).

    ``as_admin``: the user administers the record's dataset (a decision about project
    membership, taken above this app), so they may edit someone else's working set.
    """
    if aset.origin == AnnotationSet.Origin.AUTOMATIC:
        raise EditError(
            f"set {aset.name!r} is automatic: the next analysis run replaces it, so it is "
            "never edited; start a working copy from it",
            409,
        )
    if aset.origin != AnnotationSet.Origin.HUMAN:
        raise EditError(
            _(
                "set %(set)s is a %(origin)s set: imported sets are never edited; "
                "start a working copy from it"
            )
            % {"set": repr(aset.name), "origin": aset.origin},
            409,
        )
    if aset.created_by_id != user.pk and not as_admin:
        raise EditError(
            _("set %(set)s is someone else's working set") % {"set": repr(aset.name)}, 403
        )
    if aset.frozen:
        raise EditError(
            _("set %(set)s cannot be edited now: %(why)s")
            % {"set": repr(aset.name), "why": frozen_shown(aset.frozen)},
            409,
        )


def create_empty_set(record: Record, user: Any, name: str | None = None) -> AnnotationSet:
    """A new, empty human set of ``record`` belonging to ``user``."""
    wanted = name or f"edit-{user.get_username()}"
    with transaction.atomic():
        Record.objects.select_for_update().filter(pk=record.pk).first()
        if name and AnnotationSet.objects.filter(record=record, name=name).exists():
            raise EditError(
                "name: " + _("the record already has a set named %(name)s") % {"name": repr(name)}
            )
        channel = record.channels.order_by("index").first()
        return AnnotationSet.objects.create(
            record=record,
            name=_free_name(record, wanted),
            origin=AnnotationSet.Origin.HUMAN,
            source="made in wavetag",
            fs=channel.fs if channel is not None else None,
            created_by=user,
        )


def snapshot(row: Annotation) -> dict[str, Any]:
    return {
        "id": row.pk,
        "time": row.time,
        "sample": row.sample,
        "symbol": row.symbol,
        "aux_note": row.aux_note,
        "duration": row.duration,
        "chan": row.chan,
        "num": row.num,
        "subtype": row.subtype,
        "cluster": row.cluster,
        "beat": row.beat_id,
    }


class _Batch:
    """The state of one batch while it is applied (inside one transaction)."""

    def __init__(self, aset: AnnotationSet, user: Any) -> None:
        self.aset = aset
        self.user = user
        self.record = aset.record
        channel = self.record.channels.order_by("index").first()
        self.fs = float(aset.fs or (channel.fs if channel is not None else 0.0) or 1.0)
        last = AnnotationEdit.objects.filter(annotation_set=aset).aggregate(m=Max("batch"))["m"]
        self.number = (last or 0) + 1
        self.where = ""
        self.log: list[AnnotationEdit] = []

    # -- checks -------------------------------------------------------------------------
    def fail(self, field: str, message: str) -> EditError:
        return EditError(f"{self.where}.{field}: {message}")

    def time_of(self, op: dict[str, Any], field: str = "time") -> float:
        value = op.get(field)
        if field == "time" and value is None and op.get("sample") is not None:
            sample = op["sample"]
            if type(sample) is not int or not 0 <= sample < 2**53:
                raise self.fail("sample", _("must be a sample number (an integer ≥ 0)"))
            value = sample / self.fs
            field = "sample"
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise self.fail(field, _("must be a number of seconds"))
        if not 0 <= value <= self.record.duration:
            raise self.fail(
                field,
                _("%(value)s is outside the record (0 to %(end)s s)")
                % {"value": value, "end": f"{self.record.duration:g}"},
            )
        return float(value)

    def row(self, op: dict[str, Any], field: str = "id") -> Annotation:
        value = op.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
            raise self.fail(field, _("must be the id of an annotation of this set"))
        row = Annotation.objects.filter(annotation_set=self.aset, pk=value).first()
        if row is None:
            raise self.fail(field, _("the set has no annotation %(id)s") % {"id": value})
        return row

    def beat_code(self, op: dict[str, Any]) -> str:
        symbol = op.get("symbol")
        if not isinstance(symbol, str) or symbol not in BEAT_CODES:
            raise self.fail(
                "symbol", _("%(symbol)s is not a WFDB beat code") % {"symbol": repr(symbol)}
            )
        return symbol

    def record_edit(self, op: str, before: list[Any], after: list[Any]) -> None:
        self.log.append(
            AnnotationEdit(
                annotation_set=self.aset,
                user=self.user,
                batch=self.number,
                op=op,
                before=before,
                after=after,
            )
        )

    def sample_of(self, time: float) -> int:
        return round(time * self.fs)

    # -- operations ---------------------------------------------------------------------
    def add(self, op: dict[str, Any]) -> list[int]:
        time = self.time_of(op)
        symbol = self.beat_code(op)
        chan = op.get("chan", 0)
        if type(chan) is not int or not 0 <= chan < 256:
            raise self.fail("chan", _("must be a channel number from 0 to 255"))
        row = Annotation.objects.create(
            annotation_set=self.aset,
            time=time,
            sample=self.sample_of(time),
            symbol=symbol,
            chan=chan,
        )
        self.record_edit("add", [], [snapshot(row)])
        return [row.pk]

    def move(self, op: dict[str, Any]) -> list[int]:
        """Move a row; a beat's fiducial points move with it, by the same amount."""
        row = self.row(op)
        time = self.time_of(op)
        shift = time - row.time
        points = list(row.fiducials.all())
        before = [snapshot(row)] + [snapshot(p) for p in points]
        row.time, row.sample = time, self.sample_of(time)
        row.save(update_fields=["time", "sample"])
        for p in points:
            p.time = min(max(p.time + shift, 0.0), self.record.duration)
            p.sample = self.sample_of(p.time)
            p.save(update_fields=["time", "sample"])
        self.record_edit("move", before, [snapshot(row)] + [snapshot(p) for p in points])
        return [row.pk]

    def delete(self, op: dict[str, Any]) -> list[int]:
        row = self.row(op)
        before = [snapshot(row)] + [snapshot(f) for f in row.fiducials.all()]
        row.delete()
        self.record_edit("delete", before, [])
        return []

    def relabel(self, op: dict[str, Any]) -> list[int]:
        symbol = self.beat_code(op)
        beats = Annotation.objects.filter(annotation_set=self.aset, symbol__in=BEAT_CODES)
        if op.get("cluster") is not None:
            cluster = op["cluster"]
            if type(cluster) is not int or not -(2**15) <= cluster < 2**15:
                raise self.fail("cluster", _("must be a cluster number (a small integer)"))
            rows = list(beats.filter(cluster=cluster).values_list("id", "symbol"))
        else:
            ids = op.get("ids")
            if (
                not isinstance(ids, list)
                or not ids
                or not all(type(i) is int and 0 < i < 2**63 for i in ids)
            ):
                raise self.fail("ids", _("must be a non-empty list of annotation ids"))
            rows = list(beats.filter(pk__in=ids).values_list("id", "symbol"))
            missing = set(ids) - {pk for pk, _ in rows}
            if missing:
                raise self.fail(
                    "ids", _("the set has no beats %(ids)s") % {"ids": sorted(missing)[:10]}
                )
        changed = [pk for pk, old in rows if old != symbol]
        Annotation.objects.filter(pk__in=changed).update(symbol=symbol)
        self.record_edit(
            "relabel",
            [{"id": pk, "symbol": old} for pk, old in rows if old != symbol],
            [{"id": pk, "symbol": symbol} for pk in changed],
        )
        return [pk for pk, _ in rows]

    def segment(self, op: dict[str, Any]) -> list[int]:
        label = op.get("label")
        existing = self.row(op) if op.get("id") is not None else None
        if existing is not None and existing.symbol != RHYTHM_CHANGE:
            raise self.fail(
                "id", _("annotation %(id)s is not a rhythm segment") % {"id": existing.pk}
            )
        if label is None and existing is not None:
            label = existing.aux_note
        if not isinstance(label, str) or label not in RHYTHMS:
            raise self.fail(
                "label",
                _("%(value)s is not one of %(values)s")
                % {"value": repr(label), "values": ", ".join(RHYTHMS)},
            )
        if existing is not None and op.get("start") is None:
            start = existing.time
        else:
            start = self.time_of(op, "start")
        if existing is not None and op.get("end") is None:
            end = existing.time + existing.duration
        else:
            end = self.time_of(op, "end")
        if end <= start:
            raise self.fail("end", _("must be after start"))
        row = existing or Annotation(annotation_set=self.aset, symbol=RHYTHM_CHANGE)
        before = [snapshot(existing)] if existing is not None else []
        row.time, row.sample, row.duration, row.aux_note = (
            start,
            self.sample_of(start),
            end - start,
            label,
        )
        row.save()
        self.record_edit("segment", before, [snapshot(row)])
        return [row.pk]

    def fiducial(self, op: dict[str, Any]) -> list[int]:
        beat = self.row(op, "beat")
        if beat.symbol not in BEAT_CODES:
            raise self.fail("beat", _("annotation %(id)s is not a beat") % {"id": beat.pk})
        kind = op.get("kind")
        if kind not in FIDUCIALS:
            raise self.fail(
                "kind",
                _("%(value)s is not one of %(values)s")
                % {"value": repr(kind), "values": ", ".join(FIDUCIALS)},
            )
        symbol, num = FIDUCIALS[kind]
        current = beat.fiducials.filter(symbol=symbol, num=num).first()
        before = [snapshot(current)] if current is not None else []
        if op.get("time") is None:  # no time: the point is removed
            if current is not None:
                current.delete()
            self.record_edit("fiducial", before, [])
            return []
        time = self.time_of(op)
        if abs(time - beat.time) > FIDUCIAL_REACH:
            raise self.fail(
                "time", _("must lie within %(n)s s of its beat") % {"n": FIDUCIAL_REACH}
            )
        row = current or Annotation(
            annotation_set=self.aset, symbol=symbol, num=num, chan=beat.chan, beat=beat
        )
        row.time, row.sample = time, self.sample_of(time)
        row.save()
        self.record_edit("fiducial", before, [snapshot(row)])
        return [row.pk]


OPERATIONS = ("add", "move", "delete", "relabel", "segment", "fiducial")


def apply_edits(
    aset: AnnotationSet, user: Any, ops: Sequence[dict[str, Any]], *, as_admin: bool = False
) -> list[list[int]]:
    """Apply a batch of operations to a human set, all or nothing.

    1. Check that ``user`` may edit the set (its owner, or, ``as_admin``, an admin of the
       dataset).
    2. Apply each operation in order inside one transaction; the first invalid one raises
       ``EditError`` naming it (``edits[2].symbol: ...``) and nothing is kept.
    3. Write the edit log and the set's new count.

    Returns, per operation, the ids of the rows it made or touched.
    """
    may_edit(user, aset, as_admin=as_admin)
    if not ops:
        raise EditError("edits: " + _("the list is empty"))
    if len(ops) > MAX_OPS:
        raise EditError("edits: " + _("at most %(n)s operations in one batch") % {"n": MAX_OPS})
    results: list[list[int]] = []
    with transaction.atomic():
        # Frozen meanwhile (its answer was submitted while this batch was on its way)?
        locked = AnnotationSet.objects.select_for_update().filter(pk=aset.pk).first()
        if locked is not None and locked.frozen:
            raise EditError(
                _("set %(set)s cannot be edited now: %(why)s")
                % {"set": repr(aset.name), "why": frozen_shown(locked.frozen)},
                409,
            )
        batch = _Batch(aset, user)
        for i, op in enumerate(ops):
            batch.where = f"edits[{i}]"
            name = op.get("op") if isinstance(op, dict) else None
            if name not in OPERATIONS:
                raise batch.fail(
                    "op",
                    _("%(value)s is not one of %(values)s")
                    % {"value": repr(name), "values": ", ".join(OPERATIONS)},
                )
            results.append(getattr(batch, name)(op))
        AnnotationEdit.objects.bulk_create(batch.log)
        aset.count = Annotation.objects.filter(annotation_set=aset).count()
        aset.save(update_fields=["count"])
    return results
