"""The leaderboard: how many answers each member submitted in a period, per project and
site-wide, with their accuracy on hidden gold checks.

Counts only. Nothing here is derived from another answer or from a task's outcome (a
task agreeing or conflicting changes no number on the board), and no decision value is
in it: the per-user decisions are :mod:`wavetag.annotations.decisions`, for experts.

Periods are in the site's time zone (``settings.TIME_ZONE``): an answer given at 23:59
local time belongs to that day, one at 00:01 to the next, whatever the server's clock.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from wavetag.errors import InvalidInput
from wavetag.projects.access import has_role, require_role, visible_projects
from wavetag.projects.models import Membership, Project, Role
from wavetag.records.access import can_see_everything

from . import gold_checks
from .models import Annotation, AnnotationStatus

PERIODS = ("day", "week", "month", "all")
# The tasks-per-day charts cover this many local days, today included.
CHART_DAYS = 30


# -- periods in the site's time zone --------------------------------------------------------


def site_zone() -> tzinfo:
    return timezone.get_default_timezone()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=site_zone())


def period_start(period: str, now: datetime | None = None) -> datetime | None:
    """When the period began: local midnight today ("day"), on Monday ("week"), on the
    1st ("month"); None for "all"."""
    if period not in PERIODS:
        raise InvalidInput(f"period: must be one of {', '.join(PERIODS)}")
    today = timezone.localtime(now or timezone.now(), site_zone()).date()
    if period == "day":
        return _midnight(today)
    if period == "week":
        return _midnight(today - timedelta(days=today.weekday()))
    if period == "month":
        return _midnight(today.replace(day=1))
    return None


def chart_days(now: datetime | None = None) -> list[date]:
    today = timezone.localtime(now or timezone.now(), site_zone()).date()
    return [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]


def submitted(since: datetime | None = None, *, checks: bool = True) -> QuerySet[Annotation]:
    """Submitted answers given by a member of the task's project (a removed member's
    answers stay in the data but leave the board), since ``since``.

    With ``checks``, answers to hidden gold checks too: they are work like any other, and
    a count that stood still after one would tell the annotator which task it was.
    """
    manager = Annotation.everything if checks else Annotation.objects
    rows = manager.filter(
        status=AnnotationStatus.SUBMITTED,
        submitted_at__isnull=False,
        task__project__memberships__user=F("user"),
    )
    return rows.filter(submitted_at__gte=since) if since is not None else rows


def per_day(rows: QuerySet[Annotation], days: list[date]) -> dict[int, list[int]]:
    """Per user id, their answers of ``rows`` on each of ``days`` (local dates)."""
    start = _midnight(days[0])
    counts = (
        rows.filter(submitted_at__gte=start)
        .annotate(day=TruncDate("submitted_at", tzinfo=site_zone()))
        .values_list("user", "day")
        .annotate(n=Count("id"))
    )
    index = {d: i for i, d in enumerate(days)}
    out: dict[int, list[int]] = defaultdict(lambda: [0] * len(days))
    for user_id, day, n in counts:
        if day in index:
            out[user_id][index[day]] = n
    return out


# -- the boards ------------------------------------------------------------------------------


def _accuracy(checked: int, correct: int) -> float | None:
    return correct / checked if checked else None


def _rank(rows: list[dict[str, Any]]) -> None:
    """Most tasks first, then by name; equal counts share a rank (1, 2, 2, 4), so that in
    an anonymous board two rows with the same count cannot be told apart by their rank."""
    rows.sort(key=lambda r: (-r["tasks"], r["_name"]))
    for i, row in enumerate(rows):
        same = i and rows[i - 1]["tasks"] == row["tasks"]
        row["rank"] = rows[i - 1]["rank"] if same else i + 1


def _board(
    viewer: Any,
    period: str,
    projects: list[Project],
    now: datetime | None,
) -> dict[str, Any]:
    """The rows of the members of ``projects``, as ``viewer`` may read them.

    1. **Roles.** The viewer's role in each project (site admins: admin everywhere).
    2. **Counts.** Submitted answers of members in the period, and per local day.
    3. **Names.** A member's name is shown when, in every project the viewer shares with
       them, the board is not anonymous or the viewer is its admin: summing a person's
       counts under their name would otherwise undo an anonymous project's board.
    4. **Gold accuracy.** The viewer's own over all these projects; another member's over
       the projects where the viewer is an adjudicator or admin (null if none).
    """
    since = period_start(period, now)
    ids = [p.pk for p in projects]
    site_admin = can_see_everything(viewer)
    mine = dict(
        Membership.objects.filter(user=viewer, project_id__in=ids).values_list("project", "role")
    )
    roles = {pid: Role.ADMIN if site_admin else mine.get(pid) for pid in ids}
    names_ok = {
        p.pk: has_role(roles[p.pk], Role.ADMIN) or not p.leaderboard_anonymous for p in projects
    }
    expert = {pid: has_role(roles[pid], Role.ADJUDICATOR) for pid in ids}

    shared: dict[int, set[int]] = defaultdict(set)
    for user_id, pid in Membership.objects.filter(project_id__in=ids).values_list(
        "user", "project"
    ):
        shared[user_id].add(pid)
    rows_qs = submitted(since).filter(task__project_id__in=ids)
    tasks = Counter(dict(rows_qs.values_list("user").annotate(n=Count("id"))))
    days = chart_days(now)
    daily = per_day(submitted().filter(task__project_id__in=ids), days)

    checked: Counter[int] = Counter()
    correct: Counter[int] = Counter()
    for project in projects:
        for user_id, acc in gold_checks.gold_accuracy(project, since=since).items():
            if user_id == viewer.pk or expert[project.pk]:
                checked[user_id] += int(acc.get("checked") or 0)
                correct[user_id] += int(acc.get("correct") or 0)

    names = dict(get_user_model().objects.filter(pk__in=shared).values_list("pk", "username"))
    rows = []
    for user_id, pids in shared.items():
        you = user_id == viewer.pk
        rows.append(
            {
                "_name": names[user_id],
                "_named": you or all(names_ok[p] for p in pids),
                "you": you,
                "tasks": tasks[user_id],
                "per_day": daily[user_id] if user_id in daily else [0] * len(days),
                "gold_accuracy": _accuracy(checked[user_id], correct[user_id]),
            }
        )
    _rank(rows)
    items = [
        {
            "rank": r["rank"],
            "user": r["_name"] if r["_named"] else f"#{r['rank']}",
            "you": r["you"],
            "tasks": r["tasks"],
            "gold_accuracy": r["gold_accuracy"],
            "per_day": r["per_day"],
        }
        for r in rows
    ]
    return {
        "period": period,
        "since": since,
        "time_zone": str(site_zone()),
        "days": days,
        "items": items,
    }


def project_leaderboard(
    project: Project, viewer: Any, period: str = "all", *, now: datetime | None = None
) -> dict[str, Any]:
    """Every member of the project (those without answers last), most tasks first."""
    require_role(viewer, project, Role.ANNOTATOR)
    return {"project": project.pk, **_board(viewer, period, [project], now)}


def site_leaderboard(
    viewer: Any, period: str = "all", *, now: datetime | None = None
) -> dict[str, Any]:
    """The members of every project the viewer belongs to (site admins: every project),
    counting their answers in those projects only."""
    return {"project": None, **_board(viewer, period, list(visible_projects(viewer)), now)}
