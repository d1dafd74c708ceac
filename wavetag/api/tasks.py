"""Tasks: one task, your annotation, history, adjudication, discussion, flags."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from wavetag.annotations import adjudication, reading, services
from wavetag.projects import access
from wavetag.projects.models import Assignment

from .projects import RecordRef, Status, json_body
from .users import api_user

router = Router(tags=["tasks"])


class AnnotationOut(Schema):
    id: int
    task: int
    annotator: str
    status: Literal["draft", "later", "submitted"]
    answer: dict[str, Any]
    comment: str
    updated_at: datetime
    submitted_at: datetime | None


class FlagOut(Schema):
    id: int
    by: str | None
    reason: str
    created_at: datetime
    resolved: bool


class ReviewedAnnotation(AnnotationOut):
    flags: list[FlagOut]


class AnnotationList(Schema):
    items: list[ReviewedAnnotation]
    count: int


class AssignmentOut(Schema):
    batch: int
    position: int


class TaskDetail(Schema):
    id: int
    project: int
    record: RecordRef
    event_time: float | None = Field(description="seconds from the start of the record")
    window_start: float
    window_end: float
    alarm_type: str = Field(description="the alarm's name, when known (never its verdict)")
    status: Literal["open", "conflict", "agreed", "adjudicated"]
    final_label: dict[str, Any] | None
    discussion: Literal["none", "own", "all"] = Field(
        description="own: while you annotate it, you see only your own posts"
    )
    may_adjudicate: bool = Field(description="your role allows it and you did not annotate it")
    assignment: AssignmentOut | None
    annotation: AnnotationOut | None = Field(description="your own annotation only")


class HistoryItem(Schema):
    kind: Literal["annotation", "adjudication"]
    annotator: str | None
    by: str | None
    at: datetime
    status: str
    answer: dict[str, Any]
    comment: str
    changes: dict[str, list[Any]] = Field(description="field: [before, after]")


class HistoryOut(Schema):
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
    out["status"] = access.shown_status(task, acc)
    out["final_label"] = task.final_label if task.is_final else None
    out["discussion"] = acc.discussion
    out["may_adjudicate"] = acc.may_adjudicate
    assignment = Assignment.objects.filter(task=task, user=user).first()
    out["assignment"] = (
        {"batch": assignment.batch, "position": assignment.position} if assignment else None
    )
    mine = reading.own_annotation(task, user)
    out["annotation"] = reading.annotation_out(mine) if mine else None
    return out


@router.get("/tasks/{task_id}", response=TaskDetail, summary="One task, with your annotation")
def get_task(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user = api_user(request)
    task, acc = access.get_task_for_user(user, task_id)
    return _detail(task, user, acc)


@router.put(
    "/tasks/{task_id}/annotation",
    response=AnnotationOut,
    summary="Save your annotation: a draft, for later, or submitted",
    description="The schema's fields (e.g. `decision`, `labels`), plus `comment` and "
    "`status` (`submitted` by default; `draft` and `later` may leave required fields out). "
    "400 with a message naming the field for a value the schema does not allow.",
    openapi_extra=_answer_body("the schema's fields, comment and status"),
)
def put_annotation(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user = api_user(request)
    task, _ = access.get_task_for_user(user, task_id)
    annotation = services.save_annotation(task, user, json_body(request))
    return reading.annotation_out(annotation)


@router.get(
    "/tasks/{task_id}/history",
    response=HistoryOut,
    summary="Revisions: yours; everyone's for adjudicators and admins not blind to the task",
)
def get_history(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user = api_user(request)
    task, acc = access.get_task_for_user(user, task_id)
    items = reading.history(task, user, acc)
    return {"items": items, "count": len(items)}


@router.get(
    "/tasks/{task_id}/annotations",
    response=AnnotationList,
    summary="Every annotation of the task, with flags (adjudicators and admins)",
)
def get_annotations(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user = api_user(request)
    task, acc = access.get_task_for_user(user, task_id)
    items = reading.all_annotations(task, acc)
    return {"items": items, "count": len(items)}


@router.post(
    "/tasks/{task_id}/adjudication",
    response=AdjudicationOut,
    summary="Decide a task in conflict (adjudicators and admins who did not annotate it)",
    openapi_extra=_answer_body("the schema's fields and a comment"),
)
def post_adjudication(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user = api_user(request)
    task, _ = access.get_task_for_user(user, task_id)
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
    user = api_user(request)
    task, _ = access.get_task_for_user(user, task_id)
    adjudication.skip_adjudication(task, user)
    return Status(204, None)


@router.get(
    "/tasks/{task_id}/discussion",
    response=PostList,
    summary="The task's discussion thread (when it is open for discussion)",
)
def get_discussion(request: HttpRequest, task_id: int) -> dict[str, Any]:
    user = api_user(request)
    task, acc = access.get_task_for_user(user, task_id)
    items = services.discussion(task, user, acc)
    return {"items": items, "count": len(items)}


@router.post("/tasks/{task_id}/discussion", response={201: PostOut}, summary="Post to it")
def post_discussion(request: HttpRequest, task_id: int, payload: PostIn) -> Any:
    user = api_user(request)
    task, acc = access.get_task_for_user(user, task_id)
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
