"""Tasks: one task, your annotation, history, adjudication, discussion, flags."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema

from wavetag.annotations import adjudication, reading, services
from wavetag.annotations.batches import following_task
from wavetag.annotations.suggestions import machine_suggestion
from wavetag.errors import NotAllowed
from wavetag.projects import access
from wavetag.projects.models import Assignment

from .projects import RecordRef, Status, json_body
from .users import api_user, asked_task

router = Router(tags=["tasks"])


class TaskAnnotationOut(Schema):
    id: int
    task: int
    annotator: str
    status: Literal["draft", "later", "submitted"]
    answer: dict[str, Any]
    comment: str
    updated_at: datetime
    submitted_at: datetime | None
    frozen: bool = Field(
        description="the task had every answer it needed and was evaluated: the answer no "
        "longer changes (ask for a change with POST /tasks/{id}/change-request)"
    )


class FlagOut(Schema):
    id: int
    by: str | None
    reason: str
    created_at: datetime
    resolved: bool


class ReviewedAnnotation(TaskAnnotationOut):
    flags: list[FlagOut]


class TaskAnnotationList(Schema):
    items: list[ReviewedAnnotation]
    count: int


class FollowingOut(Schema):
    task: int | None = Field(description="the task opened after this one is saved, or null")
    url: str | None = Field(description="its annotation page")


class ChangeRequestOut(Schema):
    id: int
    text: str
    created_at: datetime
    resolved: bool


class ChangeRequestIn(Schema):
    text: str = Field(description="what should change in your answer, and why")


class ReopenIn(Schema):
    reason: str = Field(description="why the task is reopened (kept in its log)")


class ReopenOut(Schema):
    task: int
    status: str


class AssignmentOut(Schema):
    batch: int
    position: int


class MachineSuggestionOut(Schema):
    run: int = Field(description="the analysis run the statements come from")
    answer: dict[str, Any] = Field(description="the schema's fields the statements fill in")
    statements: list[dict[str, Any]] = Field(
        description="code, text, evidence, values, and the field and choice it fills (null "
        "when the schema has none)"
    )


class TaskDetail(Schema):
    id: int
    project: int
    record: RecordRef
    event_time: float | None = Field(description="seconds from the start of the record")
    window_start: float
    window_end: float
    alarm_type: str = Field(description="the alarm's name, when known (never its verdict)")
    status: Literal["open", "conflict", "agreed", "adjudicated"] | None = Field(
        description="null for a task you annotate: its outcome is not shown to you (in a "
        "project with reveal_outcome, it is once the task is final)"
    )
    reason: Literal["conflict", "unsure", "reject", "no-majority"] | None = Field(
        description="while in conflict: why an expert must decide"
    )
    final_label: dict[str, Any] | None
    decided_by: Literal["agreed", "majority", "adjudicated"] | None = Field(
        description="how the final label was reached"
    )
    discussion: Literal["none", "own", "all"] = Field(
        description="own: while you annotate it, you see only your own posts"
    )
    may_adjudicate: bool = Field(description="your role allows it and you did not annotate it")
    assignment: AssignmentOut | None
    annotation: TaskAnnotationOut | None = Field(description="your own annotation only")
    machine_suggestion: MachineSuggestionOut | None = Field(
        None,
        description="for your task in a project with machine_suggestions on: the automatic "
        "12-lead statements and the answer they make (to pre-fill your form; never another "
        "annotator's answer, and never saved unless you send it)",
    )
    change_requests: list[ChangeRequestOut] = Field(
        description="your requests to change your frozen answer"
    )


class HistoryItem(Schema):
    kind: Literal["annotation", "adjudication", "event"]
    annotator: str | None
    by: str | None
    at: datetime
    status: str
    answer: dict[str, Any]
    comment: str
    changes: dict[str, list[Any]] = Field(description="field: [before, after]")


class TaskHistoryOut(Schema):
    items: list[HistoryItem]
    count: int


class AdjudicationOut(Schema):
    task: int
    status: str
    final_label: dict[str, Any]
    by: str
    comment: str


class PostOut(Schema):
    id: int
    author: str | None
    text: str
    created_at: datetime


class PostList(Schema):
    items: list[PostOut]
    count: int


class PostIn(Schema):
    text: str


class FlagIn(Schema):
    reason: str


def _answer_body(description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "comment": {"type": "string"},
                            "status": {"type": "string", "enum": ["draft", "later", "submitted"]},
                        },
                        "additionalProperties": True,
                    },
                    "example": {"decision": "True", "labels": [], "comment": "clear VT"},
                }
            },
        }
    }


def _detail(task: Any, user: Any, acc: access.TaskAccess) -> dict[str, Any]:
    out = task.describe()
    out.update(access.shown_outcome(task, acc))
    out["discussion"] = acc.discussion
    out["may_adjudicate"] = acc.may_adjudicate
    assignment = Assignment.objects.filter(task=task, user=user).first()
    out["assignment"] = (
        {"batch": assignment.batch, "position": assignment.position} if assignment else None
    )
    mine = reading.own_annotation(task, user)
    out["annotation"] = reading.annotation_out(mine) if mine else None
    out["change_requests"] = reading.own_requests(mine) if mine else []
    suggestion = machine_suggestion(task) if assignment else None
    out["machine_suggestion"] = (
        {**suggestion, "run": suggestion["run"].pk} if suggestion is not None else None
    )
    return out


@router.get("/tasks/{task_id}", response=TaskDetail, summary="One task, with your annotation")
def get_task(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user, task, acc = asked_task(request, task_id)
    return _detail(task, user, acc)


@router.get(
    "/tasks/{task_id}/following",
    response=FollowingOut,
    summary="The task you get after saving this one (its annotators)",
    description="The same choice as after a save: the next task of your batch not "
    "submitted nor saved for later, else the first saved for later; null when none is left. "
    "The task page asks it while open, to have the next task ready. It may change before "
    "the save (a task taken back): the save's answer is what counts.",
)
def get_following(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user, task, _ = asked_task(request, task_id)
    if not Assignment.objects.filter(task=task, user=user).exists():
        raise NotAllowed("you are not annotating this task")
    following = following_task(task.project, user, task)
    if following is None:
        return {"task": None, "url": None}
    return {"task": following.pk, "url": reverse("task", args=[following.pk])}


@router.put(
    "/tasks/{task_id}/annotation",
    response=TaskAnnotationOut,
    summary="Save your annotation: a draft, for later, or submitted",
    description="The schema's fields (e.g. `decision`, `labels`), plus `comment` and "
    "`status` (`submitted` by default; `draft` and `later` may leave required fields out). "
    "400 with a message naming the field for a value the schema does not allow.",
    openapi_extra=_answer_body("the schema's fields, comment and status"),
)
def put_annotation(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user, task, _ = asked_task(request, task_id)
    annotation = services.save_annotation(task, user, json_body(request))
    return reading.annotation_out(annotation)


@router.post(
    "/tasks/{task_id}/change-request",
    response={201: ChangeRequestOut},
    summary="Ask the adjudicator to change your frozen answer",
    description="Once a task has every answer it needs, its answers are frozen (a PUT on "
    "the annotation answers 409). This note puts the task in the adjudication queue "
    "(reason `request`) and is kept in the task's log.",
)
def post_change_request(request: HttpRequest, task_id: int, payload: ChangeRequestIn) -> Any:
    user, task, _ = asked_task(request, task_id)
    flag = services.request_change(task, user, payload.text)
    return Status(
        201,
        {"id": flag.pk, "text": flag.reason, "created_at": flag.created_at, "resolved": False},
    )


@router.post(
    "/tasks/{task_id}/reopen",
    response=ReopenOut,
    summary="Reopen a task: unfreeze its answers and clear its outcome (project admins)",
    description="Logged with the reason and the outcome it had. The task is evaluated "
    "again when its annotators next submit.",
)
def post_reopen(request: HttpRequest, task_id: int, payload: ReopenIn) -> dict[str, Any]:
    user, task, _ = asked_task(request, task_id)
    task = services.reopen(task, user, payload.reason)
    return {"task": task.pk, "status": task.status}


@router.get(
    "/tasks/{task_id}/history",
    response=TaskHistoryOut,
    summary="Revisions: yours; everyone's for adjudicators and admins not blind to the task",
)
def get_history(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user, task, acc = asked_task(request, task_id)
    items = reading.history(task, user, acc)
    return {"items": items, "count": len(items)}


@router.get(
    "/tasks/{task_id}/annotations",
    response=TaskAnnotationList,
    summary="Every annotation of the task, with flags (adjudicators and admins)",
)
def get_annotations(request: HttpRequest, task_id: int) -> dict[str, Any]:
    _, task, acc = asked_task(request, task_id)
    items = reading.all_annotations(task, acc)
    return {"items": items, "count": len(items)}


@router.post(
    "/tasks/{task_id}/adjudication",
    response=AdjudicationOut,
    summary="Decide a task in conflict (adjudicators and admins who did not annotate it)",
    openapi_extra=_answer_body("the schema's fields and a comment"),
)
def post_adjudication(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user, task, _ = asked_task(request, task_id)
    decision = services.adjudicate(task, user, json_body(request))
    return {
        "task": task.pk,
        "status": "adjudicated",
        "final_label": decision.final_label,
        "by": user.get_username(),
        "comment": decision.comment,
    }


@router.post(
    "/tasks/{task_id}/adjudication/skip",
    response={204: None},
    summary="Pass a task on to another adjudicator",
)
def post_skip(request: HttpRequest, task_id: int) -> Any:
    user, task, _ = asked_task(request, task_id)
    adjudication.skip_adjudication(task, user)
    return Status(204, None)


@router.get(
    "/tasks/{task_id}/discussion",
    response=PostList,
    summary="The task's discussion thread (when it is open for discussion)",
)
def get_discussion(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user, task, acc = asked_task(request, task_id)
    items = services.discussion(task, user, acc)
    return {"items": items, "count": len(items)}


@router.post("/tasks/{task_id}/discussion", response={201: PostOut}, summary="Post to it")
def post_discussion(request: HttpRequest, task_id: int, payload: PostIn) -> Any:
    user, task, acc = asked_task(request, task_id)
    post = services.post_to_discussion(task, user, acc, payload.text)
    return Status(
        201,
        {
            "id": post.pk,
            "author": user.get_username(),
            "text": post.text,
            "created_at": post.created_at,
        },
    )


@router.post(
    "/annotations/{annotation_id}/flag",
    response={201: FlagOut},
    summary="Flag an annotation for review (adjudicators and admins)",
)
def post_flag(request: HttpRequest, annotation_id: int, payload: FlagIn) -> Any:
    user = api_user(request)
    flag = services.flag_annotation(annotation_id, user, payload.reason)
    return Status(
        201,
        {
            "id": flag.pk,
            "by": user.get_username(),
            "reason": flag.reason,
            "created_at": flag.created_at,
            "resolved": False,
        },
    )
