"""Training and measuring annotators: gold answers and the practice test."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from wavetag.annotations import gold, gold_checks, practice
from wavetag.projects import access

from .projects import Status, json_body
from .users import api_user

router = Router(tags=["training"])


class GoldOut(Schema):
    task: int
    record: str
    event_time: float | None
    answer: dict[str, Any]
    explanation: str
    updated_at: datetime


class GoldList(Schema):
    items: list[GoldOut]
    count: int


class PracticeItemOut(Schema):
    id: int
    task: int
    answered: bool


class AttemptOut(Schema):
    attempt: int
    items: list[PracticeItemOut]
    finished: bool
    correct: int
    size: int
    passed: bool


class PracticeState(Schema):
    required: bool = Field(description="you must pass it before claiming tasks")
    passed: bool
    score: float | None = Field(description="share correct in your last finished attempt")
    attempts: int
    size: int = Field(description="tasks per attempt (0: the project has no practice test)")
    pass_percent: int
    current: AttemptOut | None = Field(description="your unfinished attempt")


class Feedback(Schema):
    correct: bool
    expected: dict[str, Any] = Field(description="the expert's answer")
    explanation: str
    attempt: AttemptOut


GOLD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["task", "answer"],
                                "properties": {
                                    "task": {"type": "integer"},
                                    "answer": {"type": "object", "additionalProperties": True},
                                    "explanation": {"type": "string"},
                                },
                            },
                        }
                    },
                },
                "example": {
                    "items": [
                        {"task": 12, "answer": {"decision": "False"}, "explanation": "motion"}
                    ]
                },
            }
        },
    }
}


@router.get(
    "/projects/{project_id}/gold",
    response=GoldList,
    summary="The project's gold answers (adjudicators, admins)",
)
def get_gold(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    items = gold.list_gold(project, user)
    return {"items": items, "count": len(items)}


@router.put(
    "/projects/{project_id}/gold",
    response=GoldList,
    summary="Give tasks gold answers (project admins)",
    description="Each item's answer is checked against the schema like a submission and "
    "must be sure; a bad item is refused (400) with its index named, and nothing is saved. "
    "Items add to the gold answers, or replace a task's; the answer is the full list.",
    openapi_extra=GOLD_BODY,
)
def put_gold(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    items = gold.set_gold(project, user, json_body(request))
    return {"items": items, "count": len(items)}


class GoldClass(Schema):
    checked: int
    correct: int
    sensitivity: float


class GoldAccuracyRow(Schema):
    user: str
    checked: int
    correct: int
    accuracy: float | None
    fields: dict[str, dict[str, GoldClass]] = Field(
        description="per agreement field and gold class: checks, correct, sensitivity"
    )


class GoldAccuracyList(Schema):
    items: list[GoldAccuracyRow]
    count: int


@router.get(
    "/projects/{project_id}/gold/accuracy",
    response=GoldAccuracyList,
    summary="Each annotator's accuracy on gold tasks, overall and per class (project admins)",
    description="Over their submitted answers to tasks with a gold answer: hidden gold "
    "checks of their batches, and ordinary tasks given a gold answer later. Practice "
    "answers are not counted.",
)
def get_gold_accuracy(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    items = gold_checks.gold_report(project, user)
    return {"items": items, "count": len(items)}


@router.delete(
    "/projects/{project_id}/gold/{task_id}",
    response={204: None},
    summary="Remove a task's gold answer (project admins)",
)
def delete_gold(request: HttpRequest, project_id: int, task_id: int) -> Any:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    if not gold.remove_gold(project, user, task_id):
        raise Http404("No gold answer for this task")
    return Status(204, None)


@router.get(
    "/projects/{project_id}/practice",
    response=PracticeState,
    summary="Your practice test: required, passed, last score, attempts",
)
def get_practice(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    return practice.state(project, user)


@router.post(
    "/projects/{project_id}/practice",
    response={200: AttemptOut, 201: AttemptOut},
    summary="Start a practice attempt (or get your unfinished one)",
    description="201 with a new draw of gold tasks (on a retake, those you have not "
    "practised first); 200 with your unfinished attempt if there is one. 409 when the "
    "project has no practice test or too few gold tasks.",
)
def post_practice(request: HttpRequest, project_id: int) -> Any:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    attempt, new = practice.start(project, user)
    return Status(201 if new else 200, practice.attempt_out(attempt))


@router.put(
    "/practice-items/{item_id}",
    response=Feedback,
    summary="Answer a practice item: whether it is correct, the expert's answer and why",
    description="One answer per item (409 after); checked against the schema like a "
    "submission. The last item finishes the attempt (`attempt.passed`).",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "additionalProperties": True},
                    "example": {"decision": "True"},
                }
            },
        }
    },
)
def put_practice_item(request: HttpRequest, item_id: int) -> dict[str, Any]:
    user = api_user(request)
    item = practice.get_item(user, item_id)
    # Membership is checked again: a member removed since the attempt began is refused.
    access.get_project_for_user(user, item.attempt.project_id)
    return practice.answer(item, user, json_body(request))
