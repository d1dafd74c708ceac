"""The one place that decides which datasets and records a user may see.

Objects outside the user's reach are reported as missing (404), never as
forbidden, so that ids do not leak what exists.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import AnnotationSet, Dataset, Record

# The largest id a database row can have; a larger one is simply not found (never a 500).
MAX_ID = 2**63 - 1


def _project_dataset_ids(user: Any) -> QuerySet[Dataset] | list[int]:
    """Datasets reached through project membership (none until projects exist)."""
    from django.apps import apps

    if not apps.is_installed("wavetag.projects"):
        return []
    Membership = apps.get_model("projects", "Membership")
    return Membership.objects.filter(user=user).values_list("project__dataset_id", flat=True)


def can_see_everything(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.is_staff))


def visible_datasets(user: Any) -> QuerySet[Dataset]:
    if can_see_everything(user):
        return Dataset.objects.all()
    if not user.is_authenticated:
        return Dataset.objects.none()
    return Dataset.objects.filter(id__in=_project_dataset_ids(user))


def visible_records(user: Any) -> QuerySet[Record]:
    if can_see_everything(user):
        return Record.objects.all()
    if not user.is_authenticated:
        return Record.objects.none()
    return Record.objects.filter(dataset_id__in=_project_dataset_ids(user))


def get_record_for_user(user: Any, record_id: int) -> Record:
    # Unordered and sliced rather than .first(): no ORDER BY to compile on a primary-key
    # lookup, which every window request makes.
    rows = visible_records(user).select_related("dataset").filter(pk=record_id).order_by()
    record = next(iter(rows[:1]), None)
    if record is None:
        raise Http404("No such record")
    return record


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
        raise Http404("No such record")
    key = (connection.alias, everything)
    compiled = _store_sql.get(key)
    if compiled is None:
        qs = Record.objects.all()
        if not everything:
            qs = qs.filter(dataset_id__in=_project_dataset_ids(_USER))
        qs = qs.filter(pk=_RECORD).order_by().values_list("store_key", "duration")[:1]
        sql, params = qs.query.sql_with_params()
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
    if row is None:
        raise Http404("No such record")
    return str(row[0]), float(row[1])


def _visible_sets_filter(user: Any, dataset_id: int) -> Q | None:
    """Which imported (non-human) sets of a dataset's records the user may see; None: all.

    Reference sets can give the answer away (an ``ALARM`` note, a ``(VT`` rhythm mark), so
    annotators and adjudicators of a blind project see only the sets the project lists in
    ``visible_sets`` (none by default), and, in a beat-correction project, the set its
    annotators start from (``start_set``: the automatic set, or an imported one). Project
    admins, and members of a project that is not blind, see every set. Through several
    projects on one dataset, the user sees what any of them allows.
    """
    from django.apps import apps

    if not apps.is_installed("wavetag.projects"):
        return Q(pk__in=[])
    Membership = apps.get_model("projects", "Membership")
    names: set[str] = set()
    automatic = False
    rows = Membership.objects.filter(user=user, project__dataset_id=dataset_id).values_list(
        "role", "project__blind", "project__visible_sets", "project__schema"
    )
    for role, blind, sets, schema in rows:
        if role == "admin" or not blind:
            return None
        names.update(sets or [])
        # The projects app's beat_schema reads these keys too; not imported (it is above).
        if isinstance(schema, dict) and schema.get("type") == "beats":
            start = schema.get("start_set") or "automatic"
            if start == "automatic":
                automatic = True
            else:
                names.add(str(start))
    found = Q(name__in=names)
    if automatic:
        found |= Q(origin=AnnotationSet.Origin.AUTOMATIC)
    return found


def _shared_task_sets(user: Any, record: Record) -> Q:
    """Human sets of beat-correction tasks the user may see besides their own: every
    annotator's corrected set of a task they may adjudicate (an adjudicator or admin of
    its project who is not blind to it), and the project's final set of the record."""
    from django.apps import apps

    if not apps.is_installed("wavetag.annotations"):
        return Q(pk__in=[])
    TaskSet = apps.get_model("annotations", "TaskSet")
    Assignment = apps.get_model("projects", "Assignment")
    experts = TaskSet.objects.filter(
        record=record,
        project__memberships__user=user,
        project__memberships__role__in=("adjudicator", "admin"),
    )
    blind = (
        Assignment.objects.filter(user=user, task__record=record)
        .exclude(task__status__in=("agreed", "adjudicated"))
        .values("task_id")
    )
    ids = experts.exclude(kind="working", task_id__in=blind).values("annotation_set_id")
    return Q(pk__in=ids)


def visible_annotation_sets(user: Any, record: Record) -> QuerySet[AnnotationSet]:
    """The annotation sets of a record this user may list and read."""
    sets = AnnotationSet.objects.filter(record=record)
    if can_see_everything(user):
        return sets
    if not user.is_authenticated:
        return sets.none()
    if is_dataset_admin(user, record.dataset_id):
        return sets
    allowed = _visible_sets_filter(user, record.dataset_id)
    # A working copy someone made is theirs to see, whatever the project shows others; and
    # nobody else's, even in a project that is not blind: it is an unfinished answer
    # (only the adjudicators of a beat-correction task see its annotators' sets).
    own = Q(created_by=user) | _shared_task_sets(user, record)
    not_human = ~Q(origin=AnnotationSet.Origin.HUMAN)
    if allowed is None:
        return sets.filter(not_human | own)
    return sets.filter((allowed & not_human) | own)


def is_dataset_admin(user: Any, dataset_id: int) -> bool:
    """Site admins, and admins of a project on the dataset: they may read and edit any
    set of its records."""
    from django.apps import apps

    if can_see_everything(user):
        return True
    if not user.is_authenticated or not apps.is_installed("wavetag.projects"):
        return False
    Membership = apps.get_model("projects", "Membership")
    return bool(
        Membership.objects.filter(user=user, project__dataset_id=dataset_id, role="admin").exists()
    )


def may_see_comments(user: Any) -> bool:
    """Header comments can give away the answer; only site admins see them."""
    return can_see_everything(user)


def get_annotation_set_for_user(user: Any, set_id: int) -> AnnotationSet:
    """An annotation set by id, if the user may see it (its record, and the set itself)."""
    in_range = 0 < set_id <= MAX_ID
    aset = (
        AnnotationSet.objects.select_related("record").filter(pk=set_id).first()
        if in_range
        else None
    )
    if aset is None or not user.is_authenticated:
        raise Http404("No such annotation set")
    record = visible_records(user).select_related("dataset").filter(pk=aset.record_id).first()
    if record is None or not visible_annotation_sets(user, record).filter(pk=aset.pk).exists():
        raise Http404("No such annotation set")
    aset.record = record
    return aset
