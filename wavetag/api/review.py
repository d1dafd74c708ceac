"""Expert review: every annotation of a project, filtered as on the review page (the same
service, ``wavetag.annotations.review``); adjudicators and project admins only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from wavetag.annotations.review import MAX_ROWS, ReviewFilter, review_annotations
from wavetag.projects import access
from wavetag.projects.models import Role

from .limits import MAX_OFFSET
from .users import api_user

router = Router(tags=["review"])


class ReviewTask(Schema):
    id: int
    record: str
    event_time: float | None
    status: str = Field(description="open, conflict, agreed or adjudicated, as you may know it")


class ReviewFlag(Schema):
    id: int
    by: str | None
    reason: str
    created_at: datetime
    resolved: bool


class ReviewRow(Schema):
    id: int
    task: ReviewTask
    annotator: str
    status: str = Field(description="draft, later or submitted")
    answer: dict[str, Any]
    comment: str
    updated_at: datetime
    submitted_at: datetime | None
    flags: list[ReviewFlag]
    blind: bool = Field(
        description="you claimed this task and it is not final: only your own annotation "
        "of it is listed, and it shows as open"
    )


class ReviewList(Schema):
    items: list[ReviewRow]
    count: int = Field(description="rows matching the filter, over every page")


@router.get(
    "/projects/{project_id}/annotations",
    response=ReviewList,
    summary="Every annotation of the project, filtered (adjudicators, admins)",
    description="Newest change first. A task you claimed that is not final lists only your "
    "own annotation of it. `label` is `field:value`, a choice of the project's schema.",
)
def get_annotations(
    request: HttpRequest,
    project_id: int,
    annotator: str = Query("", description="user name", max_length=150),
    status: Literal["draft", "later", "submitted"] | None = None,
    task_status: Literal["open", "conflict", "agreed", "adjudicated"] | None = None,
    label: str = Query("", description="field:value, e.g. decision:False", max_length=200),
    flagged: bool = Query(False, description="only annotations with an open flag"),
    limit: int = Query(200, ge=1, le=MAX_ROWS),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id, needs=Role.ADJUDICATOR)
    f = ReviewFilter(
        annotator=annotator.strip(),
        status=status or "",
        task_status=task_status or "",
        label=label,
        flagged=flagged,
    )
    rows, count = review_annotations(project, user, f, limit=limit, offset=offset)
    return {"items": rows, "count": count}
