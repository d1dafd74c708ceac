"""The leaderboard (a project's, and the site-wide one), the experts' decisions page and
an annotator's own statistics; over the same services as ``/api/v1/.../leaderboard``,
``/decisions`` and ``/me/stats``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wavetag.annotations.decisions import project_decisions
from wavetag.annotations.leaderboard import PERIODS, project_leaderboard, site_leaderboard
from wavetag.annotations.my_stats import my_stats
from wavetag.projects import access
from wavetag.projects.models import Role
from wavetag.projects.schema_text import label_text

from .charts import bars, pie
from .guards import page_context, workflow_errors


def _period(request: HttpRequest) -> str:
    return request.GET.get("period", "all")[:16]


def _board_context(board: dict[str, Any]) -> dict[str, Any]:
    totals = [sum(day) for day in zip(*(r["per_day"] for r in board["items"]), strict=True)]
    return {
        "board": board,
        "periods": PERIODS,
        "chart": bars(board["days"], totals or [0] * len(board["days"])),
    }


@login_required
@require_GET
@workflow_errors
def leaderboard(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id)
    board = project_leaderboard(project, request.user, _period(request))
    context = page_context(request, project, **_board_context(board))
    return render(request, "web/leaderboard.html", context)


@login_required
@require_GET
@workflow_errors
def site_board(request: HttpRequest) -> HttpResponse:
    board = site_leaderboard(request.user, _period(request))
    return render(request, "web/leaderboard.html", _board_context(board))


@login_required
@require_GET
@workflow_errors
def decisions(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, needs=Role.ADJUDICATOR)
    data = project_decisions(project, request.user, _period(request))
    # Labels as the reader's language shows them; counts stay by value.
    data["fields"] = [
        {
            **f,
            "label": label_text(f["label"]),
            "choices": [{**c, "label": label_text(c["label"])} for c in f["choices"]],
        }
        for f in data["fields"]
    ]
    order = {f["name"]: [c["value"] for c in f["choices"]] for f in data["fields"]}
    labels = {f["name"]: {c["value"]: c["label"] for c in f["choices"]} for f in data["fields"]}
    rows = []
    for item in data["items"]:
        pies = []
        for field in data["fields"]:
            chart = pie(item["counts"][field["name"]], order[field["name"]])
            for s in chart["slices"]:
                s["label"] = labels[field["name"]].get(s["value"], s["value"])
            pies.append({"field": field, "chart": chart})
        rows.append({"user": item["user"], "answers": item["answers"], "pies": pies})
    context = page_context(request, project, data=data, rows=rows, periods=PERIODS)
    return render(request, "web/decisions.html", context)


@login_required
@require_GET
@workflow_errors
def me(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id)
    stats = my_stats(project, request.user, _period(request))
    chart = bars(stats["days"], stats["per_day"])
    context = page_context(request, project, stats=stats, chart=chart, periods=PERIODS)
    return render(request, "web/my_stats.html", context)
