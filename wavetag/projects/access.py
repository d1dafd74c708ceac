"""The one place that decides who may see and do what through project membership: the
datasets and records a user reaches, the projects they belong to, and the tasks in them.

Datasets, records, projects and tasks outside the user's reach are reported as missing
(404), never as forbidden, so that ids do not leak what exists; a member whose role is
too low for an action gets 403 (``NotAllowed``).

Blind annotation: an annotator assigned to a task sees only their own answer and whether
their part is done: never the task's status, its final label, the other answers or
anything derived from them (history, discussion, lists, exports), so that nothing can be
learnt by trial. In a blind project that holds for good; the project's ``reveal_outcome``
shows a final task's outcome (status, final label, discussion) to its annotators, for
learning, never the other answers. In a project that is not blind, the annotators of a
final task see everything about it. Adjudicators and project admins who are not assigned
to a task see every answer; if they are assigned to it, they are blind like anyone else.

The tutorial's dataset (``Dataset.tutorial``, synthetic records wavetag makes itself) is
open to every signed-in user: its records, and of its annotation sets only the practice
set and their own working copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from wavetag.errors import NotAllowed
from wavetag.records.access import MAX_ID, can_see_everything, may_manage_datasets
from wavetag.records.models import AnnotationSet, Dataset, Record
from wavetag.records.tutorial import PRACTICE_SET

from .beat_schema import AUTOMATIC, is_beat_schema, start_set_of
from .models import ROLE_RANK, Assignment, Membership, Project, Role, Task, TaskStatus
from .names import name as role_name


def _id(value: int) -> int:
    """An id the database can hold; anything else is simply not found (never a 500)."""
    if not 0 < value <= MAX_ID:
        raise Http404(_("Not found"))
    return value


# -- datasets and records -------------------------------------------------------------------


def _project_dataset_ids(user: Any) -> QuerySet[Membership, int]:
    """Datasets reached through project membership."""
    return Membership.objects.filter(user=user).values_list("project__dataset_id", flat=True)


def _reached_records(user: Any) -> Q:
    """Records of the user's projects' datasets, and of the tutorial's (synthetic, made
    by wavetag for every signed-in user to practise on)."""
    return Q(dataset_id__in=_project_dataset_ids(user)) | Q(dataset__tutorial=True)


def visible_datasets(user: Any) -> QuerySet[Dataset]:
    if may_manage_datasets(user):
        return Dataset.objects.all()
    if not user.is_authenticated:
        return Dataset.objects.none()
    return Dataset.objects.filter(Q(id__in=_project_dataset_ids(user)) | Q(tutorial=True))


def visible_records(user: Any) -> QuerySet[Record]:
    if may_manage_datasets(user):
        return Record.objects.all()
    if not user.is_authenticated:
        return Record.objects.none()
    return Record.objects.filter(_reached_records(user))


def get_record_for_user(user: Any, record_id: int) -> Record:
    # Unordered and sliced rather than .first(): no ORDER BY to compile on a primary-key
    # lookup, which every window request makes.
    rows = _reached(user).select_related("dataset").filter(pk=record_id).order_by()
    record = next(iter(rows[:1]), None)
    if record is None and not can_see_everything(user) and may_manage_datasets(user):
        # Asked only on a miss: a dataset manager's grant costs a query that every
        # annotator's look-up would otherwise pay.
        record = Record.objects.select_related("dataset").filter(pk=record_id).first()
    if record is None:
        raise Http404(_("No such record"))
    return record


def _reached(user: Any) -> QuerySet[Record]:
    """:func:`visible_records` without the dataset managers' grant."""
    if can_see_everything(user):
        return Record.objects.all()
    if not user.is_authenticated:
        return Record.objects.none()
    return Record.objects.filter(_reached_records(user))


# Stand-ins for the record id and the user id while the look-up below is compiled.
_RECORD, _USER = -730_001, -730_002
_store_sql: dict[tuple[str, bool], tuple[str, tuple[Any, ...], int, int | None]] = {}


def record_store_for_user(user: Any, record_id: int) -> tuple[str, float]:
    """``(store key, duration)`` of a record the user may see; 404 otherwise.

    All a window request needs, looked up with SQL that the ORM writes once per process
    from the same querysets as :func:`visible_records`: compiling a queryset costs Django
    about 0.2 ms, ten times this primary-key query, on a request of ~4 ms.
    """
    everything = can_see_everything(user)
    # Raw SQL gets no range check from the ORM: an id past 64 bits would be a database error.
    if not (everything or user.is_authenticated) or not 0 < int(record_id) <= MAX_ID:
        raise Http404(_("No such record"))
    key = (connection.alias, everything)
    compiled = _store_sql.get(key)
    if compiled is None:
        qs = Record.objects.all()
        if not everything:
            qs = qs.filter(_reached_records(_USER))
        query = qs.filter(pk=_RECORD).order_by().values_list("store_key", "duration")[:1]
        sql, params = query.query.sql_with_params()
        at_user = params.index(_USER) if not everything else None
        compiled = _store_sql[key] = (sql, tuple(params), params.index(_RECORD), at_user)
    sql, template, at_record, at_user = compiled
    values = list(template)
    values[at_record] = int(record_id)
    if at_user is not None:
        values[at_user] = user.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None and not everything and may_manage_datasets(user):
        # As in get_record_for_user: the grant is looked up on a miss only.
        row = Record.objects.filter(pk=record_id).values_list("store_key", "duration").first()
    if row is None:
        raise Http404(_("No such record"))
    return str(row[0]), float(row[1])


def is_dataset_admin(user: Any, dataset_id: int) -> bool:
    """Site admins, and admins of a project on the dataset: they may read and edit any
    set of its records."""
    if can_see_everything(user):
        return True
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        user=user, project__dataset_id=dataset_id, role=Role.ADMIN
    ).exists()


def dataset_memberships(user: Any, dataset_id: int) -> list[tuple[str, bool, Any, Any]]:
    """The user's (role, blind, visible_sets, schema) in each project on the dataset."""
    return list(
        Membership.objects.filter(user=user, project__dataset_id=dataset_id).values_list(
            "role", "project__blind", "project__visible_sets", "project__schema"
        )
    )


def visible_sets_filter(
    user: Any,
    dataset_id: int,
    tutorial: bool | None = None,
    rows: list[tuple[str, bool, Any, Any]] | None = None,
) -> Q | None:
    """Which imported (non-human) sets of a dataset's records the user may see; None: all.

    Reference sets can give the answer away (an ``ALARM`` note, a ``(VT`` rhythm mark), so
    annotators and adjudicators of a blind project see only the sets the project lists in
    ``visible_sets`` (none by default), and, in a beat-correction project, the set its
    annotators start from (``start_set``: the automatic set, or an imported one). Project
    admins, and members of a project that is not blind, see every set. Through several
    projects on one dataset, the user sees what any of them allows. On the tutorial's
    dataset everyone also sees its practice set (the beats a walkthrough corrects);
    ``tutorial`` says whether the dataset is the tutorial's, and ``rows`` are the user's
    :func:`dataset_memberships`, when the caller has them.
    """
    names: set[str] = set()
    automatic = False
    if rows is None:
        rows = dataset_memberships(user, dataset_id)
    for role, blind, sets, schema in rows:
        if role == Role.ADMIN or not blind:
            return None
        names.update(sets or [])
        if isinstance(schema, dict) and is_beat_schema(schema):
            start = start_set_of(schema)
            if start == AUTOMATIC:
                automatic = True
            else:
                names.add(start)
    # The tutorial shows everyone its practice beats, never its reference (the answers).
    if tutorial is None:
        tutorial = Dataset.objects.filter(pk=dataset_id, tutorial=True).exists()
    if tutorial:
        names.add(PRACTICE_SET)
    found = Q(name__in=names)
    if automatic:
        found |= Q(origin=AnnotationSet.Origin.AUTOMATIC)
    return found


# -- projects and tasks ---------------------------------------------------------------------


def can_create_projects(user: Any) -> bool:
    """Who may create projects: site admins. The one place that decides it, so that it can
    be widened (to the managers of a dataset, say) without touching the pages or the API."""
    return can_see_everything(user)


def datasets_for_new_projects(user: Any) -> QuerySet[Dataset]:
    """The datasets ``user`` may create a project on."""
    return Dataset.objects.all() if can_create_projects(user) else Dataset.objects.none()


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
        raise Http404(_("No such project"))
    if needs is not None and not has_role(role, needs):
        raise NotAllowed(
            _("this needs the %(role)s role in project %(project)s")
            % {"role": role_name(needs), "project": project.name}
        )
    return project


def require_role(user: Any, project: Project, needs: str) -> str:
    role = role_in(user, project)
    if not has_role(role, needs):
        raise NotAllowed(
            _("this needs the %(role)s role in project %(project)s")
            % {"role": role_name(needs), "project": project.name}
        )
    return str(role)


def blind_to_answers(task: Task, assigned: bool, gold: bool = False) -> bool:
    """Whether the other answers of the task (and their history) are hidden from a user
    who is, or is not, ``assigned`` to it (``gold``: as a hidden gold check, which never
    sees anything of the task, whatever the project shows its annotators)."""
    return gold or (assigned and (task.project.blind or not task.is_final))


def outcome_hidden(task: Task, assigned: bool, gold: bool = False) -> bool:
    """Whether the task's status, final label and discussion are hidden from that user."""
    if gold:
        return True
    if not assigned:
        return False
    project = task.project
    return not task.is_final or (project.blind and not project.reveal_outcome)


def blind_tasks(project: Project, user: Any, *, outcome: bool = False) -> QuerySet[Task]:
    """The tasks of the project whose other answers (``outcome``: whose outcome) are
    hidden from the user: the rules above, as a query."""
    tasks = Task.objects.filter(project=project, assignments__user=user)
    if project.blind and not (outcome and project.reveal_outcome):
        return tasks
    gold = Assignment.objects.filter(task__project=project, user=user, gold=True)
    return tasks.filter(
        Q(id__in=gold.values("task_id")) | ~Q(status__in=TaskStatus.final())
    ).distinct()


@dataclass(frozen=True)
class TaskAccess:
    role: str | None
    assigned: bool  # the user claimed this task
    sees_all: bool  # every annotation of the task, and their history
    discussion: str  # "none" | "own" (only own posts) | "all"
    sees_outcome: bool = True  # the task's status and final label

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
    if role == Role.ADJUDICATOR and task.team_id is not None and not _in_team(user, task):
        # Another team's task: its answers and conflicts are its own team's adjudicators'
        # (and the project admins'); to anyone else the task is as to an annotator.
        role = Role.ANNOTATOR
    if role is None:
        return TaskAccess(None, False, False, "none", False)
    mine = Assignment.objects.filter(task=task, user=user).values_list("gold", flat=True)
    found = list(mine[:1])
    assigned, gold = bool(found), bool(found and found[0])
    hidden = outcome_hidden(task, assigned, gold)
    sees_all = has_role(role, Role.ADJUDICATOR) and not blind_to_answers(task, assigned, gold)
    if hidden:
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
    return TaskAccess(role, assigned, sees_all, discussion, not hidden)


def _in_team(user: Any, task: Task) -> bool:
    return Membership.objects.filter(
        project_id=task.project_id, user=user, team_id=task.team_id
    ).exists()


def get_task_for_user(user: Any, task_id: int) -> tuple[Task, TaskAccess]:
    # The record's dataset too: the task page names it (one query fewer per page).
    task = Task.objects.select_related("project", "record__dataset").filter(pk=_id(task_id)).first()
    if task is None:
        raise Http404(_("No such task"))
    access = task_access(user, task)
    if not access.visible:
        raise Http404(_("No such task"))
    return task, access


def shown_status(task: Task, access: TaskAccess) -> str | None:
    """The status as the user may know it: none at all for an assignee the outcome is
    hidden from (even "open" would change when the others answer)."""
    return task.status if access.sees_outcome else None


def shown_outcome(task: Task, access: TaskAccess) -> dict[str, Any]:
    """Status, reason, final label and how it was reached, as the user may know them."""
    if not access.sees_outcome:
        return {"status": None, "reason": None, "final_label": None, "decided_by": None}
    return {
        "status": task.status,
        "reason": task.reason or None,
        "final_label": task.final_label if task.is_final else None,
        "decided_by": task.decided_by or None,
    }
