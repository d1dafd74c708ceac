"""The edit history of a human annotation set, as the API gives it and as a page shows it.

Each logged operation keeps the touched rows before and after (``editing.snapshot``); a
history line says in words what changed, where (seconds into the record) and by whom.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .models import Annotation, AnnotationEdit, AnnotationSet


def edits(aset: AnnotationSet) -> QuerySet[AnnotationEdit]:
    """The set's edits, oldest first, with their users."""
    return AnnotationEdit.objects.filter(annotation_set=aset).select_related("user").order_by("id")


def edit_out(edit: AnnotationEdit) -> dict[str, Any]:
    return {
        "id": edit.pk,
        "at": edit.at.isoformat(),
        "user": edit.user.get_username() if edit.user else None,
        "batch": edit.batch,
        "op": edit.op,
        "before": edit.before,
        "after": edit.after,
    }


def _what(row: dict[str, Any]) -> str:
    symbol = row.get("symbol") or "?"
    if symbol == "+":
        return (_("segment %(name)s") % {"name": row.get("aux_note") or ""}).strip()
    return _("beat %(symbol)s") % {"symbol": symbol}


def _symbols(rows: list[dict[str, Any]]) -> str:
    counts = Counter(r.get("symbol") or "?" for r in rows)
    return ", ".join(f"{n} {s}" for s, n in counts.most_common())


def describe(edit: AnnotationEdit) -> dict[str, Any]:
    """``{"text": "...", "time": seconds or None}`` for one logged operation."""
    before: list[dict[str, Any]] = list(edit.before or [])
    after: list[dict[str, Any]] = list(edit.after or [])
    first = (after or before or [{}])[0]
    time = first.get("time")
    op = edit.op
    if op == "add" and after:
        text = _("added %(what)s") % {"what": _what(after[0])}
    elif op == "delete" and before:
        what = _what(before[0]) if len(before) == 1 else _symbols(before)
        text = _("deleted %(what)s") % {"what": what}
    elif op == "move" and before and after:
        text = _("moved %(what)s from %(start).3f s to %(end).3f s") % {
            "what": _what(before[0]),
            "start": before[0]["time"],
            "end": after[0]["time"],
        }
    elif op == "relabel" and after:
        new = after[0].get("symbol")
        if len(after) == 1 and before:
            text = _("relabelled beat %(old)s as %(new)s") % {
                "old": before[0].get("symbol"),
                "new": new,
            }
        else:
            text = _("relabelled %(n)d beats (%(old)s) as %(new)s") % {
                "n": len(after),
                "old": _symbols(before),
                "new": new,
            }
    elif op == "segment" and after:
        row = after[0]
        values = {"name": row.get("aux_note") or "", "seconds": row.get("duration") or 0}
        text = (
            _("changed segment %(name)s for %(seconds).2f s")
            if before
            else _("added segment %(name)s for %(seconds).2f s")
        ) % values
        text = " ".join(text.split())  # a segment without a name
    elif op == "fiducial" and after:
        text = _("placed fiducial point (moved)") if before else _("placed fiducial point")
    else:
        text = _("%(op)s: %(before)d row(s) before, %(after)d after") % {
            "op": op,
            "before": len(before),
            "after": len(after),
        }
    return {"text": text, "time": time}


def lines(page: list[AnnotationEdit]) -> list[dict[str, Any]]:
    """One described line per edit; where an edit logged no time (a relabel keeps only ids
    and codes), the row's present time, looked up in one query for the whole page."""
    out = [{"edit": e, **describe(e)} for e in page]
    missing = {
        row["id"]
        for line in out
        if line["time"] is None
        for row in (line["edit"].after or line["edit"].before or [])[:1]
        if isinstance(row, dict) and isinstance(row.get("id"), int)
    }
    if missing:
        times = dict(Annotation.objects.filter(pk__in=missing).values_list("pk", "time"))
        for line in out:
            rows = line["edit"].after or line["edit"].before or []
            if line["time"] is None and rows and isinstance(rows[0], dict):
                line["time"] = times.get(rows[0].get("id"))
    return out
