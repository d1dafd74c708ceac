"""The edit history of a human annotation set, as the API gives it and as a page shows it.

Each logged operation keeps the touched rows before and after (``editing.snapshot``); a
history line says in words what changed, where (seconds into the record) and by whom.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import QuerySet

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
        return f"segment {row.get('aux_note') or ''}".strip()
    return f"beat {symbol}"


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
        text = f"added {_what(after[0])}"
    elif op == "delete" and before:
        text = f"deleted {_what(before[0])}" if len(before) == 1 else f"deleted {_symbols(before)}"
    elif op == "move" and before and after:
        moved = f"from {before[0]['time']:.3f} s to {after[0]['time']:.3f} s"
        text = f"moved {_what(before[0])} {moved}"
    elif op == "relabel" and after:
        new = after[0].get("symbol")
        if len(after) == 1 and before:
            text = f"relabelled beat {before[0].get('symbol')} as {new}"
        else:
            text = f"relabelled {len(after)} beats ({_symbols(before)}) as {new}"
    elif op == "segment" and after:
        row = after[0]
        where = f"{row.get('aux_note') or ''} for {row.get('duration') or 0:.2f} s".strip()
        text = f"{'changed' if before else 'added'} segment {where}"
    elif op == "fiducial" and after:
        text = "placed fiducial point" + (" (moved)" if before else "")
    else:
        text = f"{op}: {len(before)} row(s) before, {len(after)} after"
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
