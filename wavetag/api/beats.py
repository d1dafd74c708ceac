"""Beat-correction tasks: the annotator's working set, and the adjudication of the beat
disagreements (the same services as the pages: ``annotations.beats``,
``annotations.beat_adjudication``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from wavetag.annotations import beat_adjudication, beats

from .projects import Status, json_body
from .users import asked_task

router = Router(tags=["beat correction"])


class SetRef(Schema):
    id: int
    name: str
    origin: str
    count: int


class TaskBeatsOut(Schema):
    task: int
    start_set: SetRef | None
    working_set: SetRef | None = Field(
        description="your own corrected set: edit it with POST /annotation-sets/{id}/edits"
    )
    frozen: str = Field(description="why it cannot be edited now (empty: it can)")
    missing: str = Field(description="why there is no starting set yet (empty: there is one)")
    may_request_analysis: bool


class Version(Schema):
    annotator: str
    label: str | None = Field(description="their beat's code; null: no beat there")
    time: float | None


class DisagreementOut(Schema):
    id: int
    time: float
    kind: Literal["missing", "label"]
    versions: list[Version]
    resolution: dict[str, Any] | None
    resolved_by: str | None
    resolved_at: datetime | None


class ComparisonOut(Schema):
    task: int
    status: str
    stats: dict[str, Any] | None = Field(
        description="beats per annotator, Se/+P and label kappa per pair of annotators"
    )
    items: list[DisagreementOut]
    count: int
    unresolved: int


class BeatTaskProgressOut(Schema):
    task: int
    status: str
    unresolved: int
    resolved_now: int | None = None
    skipped: int | None = None


class FinishIn(Schema):
    comment: str = Field("", max_length=5000)


RESOLUTION = (
    '`{"action": "take", "annotator": NAME}` (their version: their beat, or none), '
    '`{"action": "label", "label": "V"}`, `{"action": "keep"}` (the beat, with the label '
    'of those who have it), `{"action": "drop"}` (no beat)'
)


@router.get(
    "/tasks/{task_id}/beats",
    response=TaskBeatsOut,
    summary="Your working set of a beat-correction task (made from the starting set)",
)
def get_task_beats(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user, task, _ = asked_task(request, task_id)
    return beats.task_beats(task, user)


@router.post(
    "/tasks/{task_id}/beats/analysis",
    response={202: dict[str, Any]},
    summary="Queue the automatic analysis the task starts from (its annotators)",
)
def post_task_analysis(request: HttpRequest, task_id: int) -> Any:
    user, task, _ = asked_task(request, task_id)
    run = beats.request_start_analysis(task, user)
    return Status(202, {"run": run.pk, "status": run.status})


@router.get(
    "/tasks/{task_id}/beat-disagreements",
    response=ComparisonOut,
    summary="Where the corrected sets differ, and agreement statistics (adjudicators)",
)
def get_disagreements(request: HttpRequest, task_id: int) -> dict[str, Any]:
    _, task, acc = asked_task(request, task_id)
    return beat_adjudication.comparison(task, acc)


@router.post(
    "/tasks/{task_id}/beat-disagreements/resolve",
    response=BeatTaskProgressOut,
    summary="Resolve disagreements one by one",
    description='`{"items": [{"id": n, ...resolution}, ...]}`, all or nothing; a resolution '
    f"is {RESOLUTION}. Resolving the last one writes the final set and marks the task "
    "adjudicated.",
)
def post_resolve(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user, task, _ = asked_task(request, task_id)
    return beat_adjudication.resolve(task, user, json_body(request))


@router.post(
    "/tasks/{task_id}/beat-disagreements/resolve-all",
    response=BeatTaskProgressOut,
    summary="Resolve every (unresolved) disagreement that matches, in bulk",
    description=f"One resolution ({RESOLUTION}) with optional `kind` (`missing` | `label`), "
    '`labels` (e.g. `["N", "V"]`: only where the annotators said exactly these) and '
    "`overwrite` (also those resolved already). Those a `keep` cannot settle (labels "
    "differ) are skipped.",
)
def post_resolve_all(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user, task, _ = asked_task(request, task_id)
    return beat_adjudication.resolve_bulk(task, user, json_body(request))


@router.post(
    "/tasks/{task_id}/beat-disagreements/finish",
    response=BeatTaskProgressOut,
    summary="Decide a task whose disagreements are all resolved (or that has none)",
)
def post_finish(request: HttpRequest, task_id: int, payload: FinishIn) -> dict[str, Any]:
    user, task, _ = asked_task(request, task_id)
    beat_adjudication.finish_now(task, user, payload.comment)
    task.refresh_from_db()
    return {"task": task.pk, "status": task.status, "unresolved": 0}
