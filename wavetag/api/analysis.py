"""Automatic analysis: ask for it, follow its progress, read what it found."""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from wavetag.analysis.access import (
    get_record_findings_for_user,
    get_record_to_analyse,
    get_run_for_user,
)
from wavetag.analysis.findings import FindingsError, findings, latest_run
from wavetag.analysis.models import AnalysisRun
from wavetag.analysis.services import request_analysis
from wavetag.projects.access import MAX_ID

from .projects import Status
from .users import api_user

router = Router(tags=["analysis"])


class RunOut(Schema):
    id: int
    record: int
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(description="0 to 1")
    message: str = Field(description="what the job is doing, or did")
    error: str = Field(description="why it failed, when it did")
    annotation_set: str | None = Field(description="name of the automatic set it made")
    channel: int | None = Field(description="the channel beats were detected in")
    beats: int | None
    result: dict[str, Any] | None = Field(
        description="what the run found: beat counts, HR/RR, intervals, 12-lead statements "
        "(code, text, evidence, values), rhythm, quality grades"
    )
    created_at: str
    started_at: str | None
    finished_at: str | None


class LatestOut(Schema):
    run: RunOut
    findings: dict[str, Any] = Field(
        description="beat counts, HR/RR, rhythm episodes and quality grades within "
        "[start, end) (the whole record by default); intervals and 12-lead statements "
        "are the record's"
    )


class RunList(Schema):
    items: list[RunOut]
    count: int


class ErrorOut(Schema):
    detail: str


def _record_id(value: int) -> int:
    if not 0 < value <= MAX_ID:
        raise Http404("No such record")
    return value


@router.post(
    "/records/{record_id}/analysis",
    response={202: RunOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Queue the automatic analysis of a record",
    description=(
        "Analyses one channel of the record as a background job: `channel` (an index or a "
        "name, analysed whatever its name; 400 naming `channel` for a name the record "
        "lacks), by default the ECG lead where the QRS is detected best (beats, their codes "
        "and clusters, rhythm episodes, quality grades, HR/RR, intervals); the beats and "
        "rhythm changes are the record's `automatic` annotation set (named `auto`), the "
        "rest the run's `result`. The set replaces the one "
        "of an earlier run and never touches imported or human sets. Project admins of a "
        "project on the record's dataset and site admins only. 409 while a run of the "
        "record is queued or running."
    ),
)
def start_analysis(
    request: HttpRequest,
    record_id: int,
    channel: str | None = Query(
        None, max_length=100, description="index or name of the channel to detect beats in"
    ),
) -> Any:
    user = api_user(request)
    record = get_record_to_analyse(user, _record_id(record_id))
    run = request_analysis(record, user, channel=channel)
    return Status(202, run.describe())


@router.get(
    "/records/{record_id}/analysis",
    response={200: RunList, 403: ErrorOut, 404: ErrorOut},
    summary="The record's analysis runs, latest first",
)
def list_analyses(
    request: HttpRequest, record_id: int, limit: int = Query(20, ge=1, le=1000)
) -> dict[str, Any]:
    record = get_record_to_analyse(api_user(request), _record_id(record_id))
    runs = AnalysisRun.objects.filter(record=record).order_by("-created_at", "-id")
    return {"items": [r.describe() for r in runs[:limit]], "count": runs.count()}


@router.get(
    "/analysis/{run_id}",
    response={200: RunOut, 403: ErrorOut, 404: ErrorOut},
    summary="Status and progress of an analysis run",
)
def get_analysis(request: HttpRequest, run_id: int) -> dict[str, Any]:
    return get_run_for_user(api_user(request), run_id).describe()


@router.get(
    "/records/{record_id}/analysis/latest",
    response={200: LatestOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    summary="The record's latest finished analysis, and its findings in a window",
    description=(
        "Any member of a project on the record's dataset may read it (annotators too: "
        "automatic findings are nobody's answer). `start` and `end` (seconds from the "
        "record's start) narrow the findings to a window. 404 when no run has finished."
    ),
)
def latest_analysis(
    request: HttpRequest,
    record_id: int,
    start: float | None = Query(None, description="window start, s"),
    end: float | None = Query(None, description="window end, s"),
) -> dict[str, Any]:
    record = get_record_findings_for_user(api_user(request), _record_id(record_id))
    run = latest_run(record)
    if run is None:
        raise Http404(f"record {record.name} has no finished automatic analysis yet")
    try:
        found = findings(run, start, end)
    except FindingsError as exc:
        raise HttpError(400, str(exc)) from None
    return {"run": run.describe(), "findings": found}
