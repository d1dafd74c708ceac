"""An annotator's own statistics in a project: their answers per day, their accuracy on
hidden gold checks, and how often their answers match the final labels.

Agreement with final labels uses only the tasks whose outcome the user may see
(``projects.access.blind_tasks(..., outcome=True)`` are the others): in a blind project
that does not reveal outcomes it is null, with the reason, for every task they annotate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_noop

from wavetag.projects.access import blind_tasks, require_role
from wavetag.projects.beat_schema import is_beat_schema
from wavetag.projects.models import Project, Role, TaskStatus
from wavetag.projects.schemas import label_of

from . import gold_checks
from .leaderboard import chart_days, per_day, period_start, site_zone, submitted

# Marked for the catalogue: the API gives them as they are, the page translated.
HIDDEN = gettext_noop("final labels of your tasks are not shown in this blind project")
BEATS = gettext_noop("beat-correction tasks are compared beat by beat, not by label")
NONE_FINAL = gettext_noop("none of your tasks with a submitted answer is final yet")


def agreement(project: Project, user: Any, since: datetime | None) -> dict[str, Any]:
    """``{"compared", "agreed", "rate", "reason"}`` over the user's submitted answers (in
    the period) to final tasks whose outcome they may see."""
    out: dict[str, Any] = {"compared": 0, "agreed": 0, "rate": None, "reason": None}
    if is_beat_schema(project.schema):
        return {**out, "reason": BEATS}
    if project.blind and not project.reveal_outcome:
        # Every task the user annotates is hidden from them, final or not; saying how many
        # were compared would tell them how many are final.
        return {**out, "reason": HIDDEN}
    hidden = blind_tasks(project, user, outcome=True).values("id")
    # A hidden gold check is measured by gold accuracy, and its task's outcome is hidden
    # from it in any case.
    rows = (
        submitted(since, checks=False)
        .filter(task__project=project, user=user, task__status__in=TaskStatus.final())
        .exclude(task_id__in=hidden)
        .values_list("answer", "task__final_label")
    )
    for answer, final in rows:
        out["compared"] += 1
        out["agreed"] += label_of(project.schema, answer or {}) == final
    if out["compared"]:
        out["rate"] = out["agreed"] / out["compared"]
    else:
        out["reason"] = NONE_FINAL
    return out


def my_stats(
    project: Project, user: Any, period: str = "all", *, now: datetime | None = None
) -> dict[str, Any]:
    require_role(user, project, Role.ANNOTATOR)
    since = period_start(period, now)
    mine = submitted(since).filter(task__project=project, user=user)
    days = chart_days(now)
    daily = per_day(submitted().filter(task__project=project, user=user), days)
    gold = gold_checks.gold_accuracy(project, since=since).get(user.pk) or {}
    return {
        "project": project.pk,
        "user": user.get_username(),
        "period": period,
        "since": since,
        "time_zone": str(site_zone()),
        "tasks": mine.count(),
        "days": days,
        "per_day": daily.get(user.pk, [0] * len(days)),
        "gold": {
            "checked": int(gold.get("checked") or 0),
            "correct": int(gold.get("correct") or 0),
            "accuracy": gold.get("accuracy"),
        },
        "agreement": agreement(project, user, since),
    }
