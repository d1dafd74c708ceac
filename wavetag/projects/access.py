"""The one place that decides who may see and do what in a project, and on a task.

Projects and tasks outside the user's reach are reported as missing (404), like records;
a member whose role is too low for an action gets 403 (``NotAllowed``).

Blind annotation: while a task is not final (open, or in conflict), an annotator assigned
to it sees only their own answer. Adjudicators and project admins who are not assigned
to it see every answer; if they are assigned to it, they are blind like anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from wavetag.errors import NotAllowed
from wavetag.records.access import MAX_ID, can_see_everything

from .models import ROLE_RANK, Assignment, Membership, Project, Role, Task, TaskStatus


def _id(value: int) -> int:
    """An id the database can hold; anything else is simply not found (never a 500)."""
    if not 0 < value <= MAX_ID:
        raise Http404("Not found")
    return value


def visible_projects(user: Any) -> QuerySet[Project]:
    if can_see_everything(user):
        return Project.objects.all()
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user)


def role_in(user: Any, project: Project) -> str | None:
    """The user's role in the project; site admins act as project admins everywhere."""
    if can_see_everything(user):
        return Role.ADMIN
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    )


def has_role(role: str | None, needed: str) -> bool:
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(needed)]


def get_project_for_user(user: Any, project_id: int, needs: str | None = None) -> Project:
    """The project, if the user is a member; with ``needs``, at least that role."""
    project = Project.objects.select_related("dataset").filter(pk=_id(project_id)).first()
    role = role_in(user, project) if project is not None else None
    if project is None or role is None:
        raise Http404("No such project")
    if needs is not None and not has_role(role, needs):
        raise NotAllowed(f"this needs the {needs} role in project {project.name}")
    return project


def require_role(user: Any, project: Project, needs: str) -> str:
    role = role_in(user, project)
    if not has_role(role, needs):
        raise NotAllowed(f"this needs the {needs} role in project {project.name}")
    return str(role)


@dataclass(frozen=True)
class TaskAccess:
    role: str | None
    assigned: bool  # the user claimed this task
    sees_all: bool  # every annotation of the task, and their history
    discussion: str  # "none" | "own" (only own posts) | "all"

    @property
    def visible(self) -> bool:
        return self.role is not None and (
            self.assigned or self.sees_all or self.discussion == "all"
        )

    @property
    def may_adjudicate(self) -> bool:
        return has_role(self.role, Role.ADJUDICATOR) and not self.assigned


def task_access(user: Any, task: Task) -> TaskAccess:
    role = role_in(user, task.project)
    if role is None:
        return TaskAccess(None, False, False, "none")
    assigned = Assignment.objects.filter(task=task, user=user).exists()
    blind = assigned and not task.is_final
    sees_all = has_role(role, Role.ADJUDICATOR) and not blind
    if blind:
        # An assignee may always use the thread of their own task, and sees only their
        # own posts in it, whether or not anyone else was unsure: neither the thread's
        # existence nor its posts may tell them what the others answered.
        discussion = "own"
    elif task.discussion_open and task.status != TaskStatus.OPEN:
        # Project-wide only once every answer is in: nobody who read the thread can
        # still claim the task.
        discussion = "all"
    elif task.discussion_open and sees_all:
        discussion = "all"
    else:
        discussion = "none"
    return TaskAccess(role, assigned, sees_all, discussion)


def get_task_for_user(user: Any, task_id: int) -> tuple[Task, TaskAccess]:
    task = Task.objects.select_related("project", "record").filter(pk=_id(task_id)).first()
    if task is None:
        raise Http404("No such task")
    access = task_access(user, task)
    if not access.visible:
        raise Http404("No such task")
    return task, access


def is_blind(task: Task, access: TaskAccess) -> bool:
    return access.assigned and not task.is_final


def shown_status(task: Task, access: TaskAccess) -> str:
    """The status as the user may know it: to a blind assignee, a conflict is still open
    (it would tell them that someone answered differently)."""
    return TaskStatus.OPEN if is_blind(task, access) else task.status
