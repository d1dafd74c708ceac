"""Leaderboards (counts only), an annotator's own statistics, the experts' decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from wavetag.annotations.decisions import project_decisions
from wavetag.annotations.leaderboard import project_leaderboard, site_leaderboard
from wavetag.annotations.my_stats import my_stats
from wavetag.projects import access
from wavetag.projects.models import Role

from .users import api_user

router = Router(tags=["statistics"])
PERIOD = Query(
    "all",
    description="day (since local midnight), week (since Monday), month (since the 1st) or "
    "all; in the site's time zone",
)


class BoardRow(Schema):
    rank: int = Field(description="1 for the most tasks; equal counts share a rank")
    user: str = Field(description='the user name, or "#rank" on an anonymous board')
    you: bool
    tasks: int = Field(description="answers submitted in the period")
    gold_accuracy: float | None = Field(
        description="share correct on gold checks; yours, or everyone's for adjudicators "
        "and admins (null otherwise, or without any check)"
    )
    per_day: list[int] = Field(description="answers submitted on each of `days`")


class Board(Schema):
    project: int | None
    period: str
    since: datetime | None = Field(description="start of the period, local time")
    time_zone: str
    days: list[date] = Field(description="the last 30 local days, today last")
    items: list[BoardRow]


class Gold(Schema):
    checked: int
    correct: int
    accuracy: float | None


class Agreement(Schema):
    compared: int = Field(description="your answers to final tasks whose outcome you see")
    agreed: int
    rate: float | None
    reason: str | None = Field(description="why there is no rate")


class MyStats(Schema):
    project: int
    user: str
    period: str
    since: datetime | None
    time_zone: str
    tasks: int
    days: list[date]
    per_day: list[int]
    gold: Gold
    agreement: Agreement


class Choice(Schema):
    value: str
    label: str


class DecisionField(Schema):
    name: str
    label: str
    choices: list[Choice]


class DecisionRow(Schema):
    user: str
    answers: int
    counts: dict[str, dict[str, int]] = Field(
        description='per field, answers per value ("(none)": left empty)'
    )


class Decisions(Schema):
    project: int
    period: str
    since: datetime | None
    fields: list[DecisionField]
    items: list[DecisionRow]


@router.get("/projects/{project_id}/leaderboard", response=Board, summary="Project leaderboard")
def get_leaderboard(request: HttpRequest, project_id: int, period: str = PERIOD) -> Any:
    """Every member, most answers submitted in the period first (then by name). Counts
    only: no decision value and nothing derived from another answer or an outcome."""
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    return project_leaderboard(project, user, period)


@router.get("/leaderboard", response=Board, summary="Leaderboard of your projects")
def get_site_leaderboard(request: HttpRequest, period: str = PERIOD) -> Any:
    """The members of every project you belong to (site admins: all projects), counting
    their answers in those projects."""
    return site_leaderboard(api_user(request), period)


@router.get("/projects/{project_id}/me/stats", response=MyStats, summary="Your statistics")
def get_my_stats(request: HttpRequest, project_id: int, period: str = PERIOD) -> Any:
    """Your answers per day, your gold accuracy, and your agreement with final labels
    (null with the reason where the outcome of your tasks is not shown to you)."""
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    return my_stats(project, user, period)


@router.get("/projects/{project_id}/decisions", response=Decisions, summary="Decisions")
def get_decisions(request: HttpRequest, project_id: int, period: str = PERIOD) -> Any:
    """Each annotator's answers by value of the agreement fields (adjudicators and
    admins; 403 for annotators)."""
    user = api_user(request)
    project = access.get_project_for_user(user, project_id, needs=Role.ADJUDICATOR)
    return project_decisions(project, user, period)
