"""Editing a human annotation set: start one, send batches of edits, read its history."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from wavetag.annotations import access as set_access
from wavetag.projects import access
from wavetag.records import editing, sets
from wavetag.records import history as set_history
from wavetag.records.models import AnnotationSet

from .projects import Status
from .users import api_user

router = Router(tags=["editing"])


class StartIn(Schema):
    from_: str | None = Field(
        None,
        alias="from",
        description="name of a set you may see to copy (reference, machine or automatic); "
        "omit for an empty set",
    )
    name: str | None = Field(None, max_length=64, description="name of the new set")


class EditableSetOut(Schema):
    id: int
    name: str
    origin: Literal["reference", "machine", "human", "automatic"]
    source: str
    count: int
    created_by: str | None
    derived_from: str | None


class EditsIn(Schema):
    edits: list[dict[str, Any]] = Field(
        ...,
        description=(
            "operations applied in order, all or nothing: "
            '`{"op": "add", "time": s | "sample": n, "symbol": "N", "chan": 0}`, '
            '`{"op": "move", "id": n, "time": s}`, `{"op": "delete", "id": n}`, '
            '`{"op": "relabel", "ids": [n, ...] | "cluster": k, "symbol": "V"}`, '
            '`{"op": "segment", ["id": n,] "start": s, "end": s, "label": "(AFIB"}`, '
            '`{"op": "fiducial", "beat": n, "kind": "P_on|P_off|QRS_on|QRS_off|T_peak|T_end", '
            '"time": s | null}` (null removes the point)'
        ),
    )


class EditsOut(Schema):
    set: EditableSetOut
    results: list[list[int]] = Field(
        ..., description="per operation, the ids of the annotations it made or touched"
    )


class EditOut(Schema):
    id: int
    at: str
    user: str | None
    batch: int
    op: str
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]


class SetHistoryOut(Schema):
    set: str
    items: list[EditOut]
    count: int


def _set_out(aset: AnnotationSet) -> dict[str, Any]:
    return {
        "id": aset.pk,
        "name": aset.name,
        "origin": aset.origin,
        "source": aset.source,
        "count": aset.count,
        "created_by": aset.created_by.get_username() if aset.created_by else None,
        "derived_from": aset.derived_from.name if aset.derived_from else None,
    }


@router.post(
    "/records/{record_id}/annotation-sets",
    response={201: EditableSetOut},
    summary="Start editing: a working (human) set of your own, copied from a set or empty",
)
def start_set(request: HttpRequest, record_id: int, payload: StartIn) -> Any:
    user = api_user(request)
    record = access.get_record_for_user(user, record_id)
    if payload.from_ is None:
        aset = editing.create_empty_set(record, user, payload.name)
    else:
        found = set_access.visible_annotation_sets(user, record).filter(name=payload.from_).first()
        if found is None:
            raise HttpError(400, f"from: record {record.name} has no set {payload.from_!r}")
        aset = sets.create_working_set(found, user, payload.name)
    return Status(201, _set_out(aset))


@router.post(
    "/annotation-sets/{set_id}/edits",
    response=EditsOut,
    summary="Apply a batch of edits to a working set, all or nothing",
    description=(
        "Only human sets, by their maker or a project admin; automatic and imported sets "
        "are refused (409). A bad operation is refused (400) with a message naming it "
        "(`edits[2].symbol: ...`) and nothing of the batch is applied. Every applied "
        "operation is written to the set's history."
    ),
)
def post_edits(request: HttpRequest, set_id: int, payload: EditsIn) -> dict[str, Any]:
    user = api_user(request)
    aset = set_access.get_annotation_set_for_user(user, set_id)
    admin = set_access.may_edit_as_admin(user, aset)
    results = editing.apply_edits(aset, user, payload.edits, as_admin=admin)
    return {"set": _set_out(aset), "results": results}


@router.get(
    "/annotation-sets/{set_id}/history",
    response=SetHistoryOut,
    summary="Every human edit of a set, oldest first",
)
def history(request: HttpRequest, set_id: int) -> dict[str, Any]:
    aset = set_access.get_annotation_set_for_user(api_user(request), set_id)
    items = [set_history.edit_out(e) for e in set_history.edits(aset)]
    return {"set": aset.name, "items": items, "count": len(items)}
