"""Where a project stands: per project and per annotator.

Annotators get only what cannot tell them anything about other people's answers: the
number of tasks, how many they could claim, and their own claimed/done/in progress/
saved-for-later counts. Whether tasks agreed or conflict is for adjudicators and project
admins (a conflict count that rises right after a submission gives away that someone
answered differently), and even they do not get it for the tasks they annotate: those are
left out of every count by status, as is a task re-entry opened to more annotators from an
annotator's count of tasks to claim.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F

from wavetag.projects.access import blind_tasks, has_role, visible_projects
from wavetag.projects.models import Assignment, Membership, Project, Role, Task, TaskStatus
from wavetag.projects.services import describe
from wavetag.records.access import can_see_everything

from .batches import claimable
from .kinds import kind_of
from .models import Adjudication, Annotation, AnnotationStatus


def _per_user(rows: Any) -> Counter[int]:
    return Counter({user_id: n for user_id, n in rows})


def project_progress(project: Project, user: Any, role: str | None) -> dict[str, Any]:
    full = has_role(role, Role.ADJUDICATOR)
    hidden = blind_tasks(project, user, outcome=True).values("id")
    tasks = Task.objects.filter(project=project)
    by_status = Counter(
        dict(tasks.exclude(id__in=hidden).values_list("status").annotate(n=Count("id")))
    )
    if full:
        needing = (
            tasks.filter(status=TaskStatus.OPEN)
            .exclude(id__in=hidden)
            .annotate(n=Count("assignments"))
            .filter(n__lt=F("extra_annotators") + project.annotators_per_task)
            .count()
        )
    else:
        needing = claimable(project, user).count()
    totals: dict[str, Any] = {"tasks": tasks.count(), "needing_annotators": needing}
    for status in TaskStatus.values:
        totals[status] = by_status.get(status, 0) if full else None
    if full:
        totals.update(kind_of(project).progress(project))

    assignments = Assignment.objects.filter(task__project=project)
    # Releasing an assignment deletes its unsubmitted answer, and a submitted one cannot be
    # released: every annotation belongs to a current assignee.
    annotations = Annotation.everything.filter(task__project=project)
    claimed = _per_user(assignments.values_list("user").annotate(n=Count("id")))
    status_counts: dict[str, Counter[int]] = {
        s: _per_user(annotations.filter(status=s).values_list("user").annotate(n=Count("id")))
        for s in AnnotationStatus.values
    }
    seen = assignments.exclude(task_id__in=hidden)
    task_status: dict[str, Counter[int]] = {
        s: _per_user(seen.filter(task__status=s).values_list("user").annotate(n=Count("id")))
        for s in (TaskStatus.CONFLICT, TaskStatus.AGREED, TaskStatus.ADJUDICATED)
    }
    decided = _per_user(
        Adjudication.objects.filter(task__project=project)
        .values_list("user")
        .annotate(n=Count("task", distinct=True))
    )
    roles = dict(Membership.objects.filter(project=project).values_list("user_id", "role"))
    ids = set(claimed) | set(roles) | set(decided)
    if not full:
        ids = {user.pk}
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    rows = []
    for user_id in sorted(ids, key=lambda i: names.get(i, "")):
        done = status_counts[AnnotationStatus.SUBMITTED][user_id]
        later = status_counts[AnnotationStatus.LATER][user_id]
        row: dict[str, Any] = {
            "username": names.get(user_id, ""),
            "role": roles.get(user_id, role if user_id == user.pk else None),
            "claimed": claimed[user_id],
            "done": done,
            "in_progress": claimed[user_id] - done,
            "later": later,
            "conflicts": None,
            "agreed": None,
            "adjudicated": None,
            "adjudications": None,
        }
        if full:
            row["conflicts"] = task_status[TaskStatus.CONFLICT][user_id]
            row["agreed"] = task_status[TaskStatus.AGREED][user_id]
            row["adjudicated"] = task_status[TaskStatus.ADJUDICATED][user_id]
            row["adjudications"] = decided[user_id]
        rows.append(row)
    return {"project": project.pk, "totals": totals, "annotators": rows}


def projects_overview(user: Any) -> list[dict[str, Any]]:
    """The user's projects (site admins: all) with their role and their own counts; for
    the home page and the API's project list."""
    roles = dict(Membership.objects.filter(user=user).values_list("project_id", "role"))
    site_admin = can_see_everything(user)
    claimed = _per_user(
        Assignment.objects.filter(user=user).values_list("task__project").annotate(n=Count("id"))
    )
    done = _per_user(
        Annotation.everything.filter(user=user, status=AnnotationStatus.SUBMITTED)
        .values_list("task__project")
        .annotate(n=Count("id"))
    )
    out = []
    for project in visible_projects(user).select_related("dataset"):
        role = roles.get(project.pk) or (Role.ADMIN if site_admin else None)
        item = describe(project, role)
        item.update(claimed=claimed[project.pk], done=done[project.pk])
        out.append(item)
    return out
