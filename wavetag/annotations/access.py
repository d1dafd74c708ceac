"""Which annotation sets of a record a user may list and read.

Above the projects' rules (``wavetag.projects.access``) because a beat-correction task
shares sets: its adjudicators read every annotator's corrected set, and the project's
final set. Sets outside the user's reach are reported as missing (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from wavetag.projects.access import (
    dataset_memberships,
    is_dataset_admin,
    visible_records,
    visible_sets_filter,
)
from wavetag.projects.models import Assignment, Role, TaskStatus
from wavetag.records.access import MAX_ID, can_see_everything
from wavetag.records.models import AnnotationSet, Record

from .models import TaskSet


def _shared_task_sets(user: Any, record: Record) -> Q:
    """Human sets of beat-correction tasks the user may see besides their own: every
    annotator's corrected set of a task they may adjudicate (an adjudicator or admin of
    its project who is not blind to it), and the project's final set of the record."""
    experts = TaskSet.objects.filter(
        record=record,
        project__memberships__user=user,
        project__memberships__role__in=(Role.ADJUDICATOR, Role.ADMIN),
    )
    # As ``projects.access.blind_to_answers``: a task's annotator never sees the others'
    # sets in a blind project, and not before the task is final in any project.
    blind = Assignment.objects.filter(user=user, task__record=record).filter(
        Q(task__project__blind=True) | ~Q(task__status__in=TaskStatus.final())
    )
    # Nor the final set of a project where they annotate the record: it holds the agreed
    # beats of their own task.
    ids = (
        experts.exclude(kind=TaskSet.Kind.WORKING, task_id__in=blind.values("task_id"))
        .exclude(kind=TaskSet.Kind.FINAL, project_id__in=blind.values("task__project_id"))
        .values("annotation_set_id")
    )
    return Q(pk__in=ids)


def visible_annotation_sets(user: Any, record: Record) -> QuerySet[AnnotationSet]:
    """The annotation sets of a record this user may list and read."""
    sets = AnnotationSet.objects.filter(record=record)
    if can_see_everything(user):
        return sets
    if not user.is_authenticated:
        return sets.none()
    # One read of the user's roles on the dataset answers both questions below (every
    # task page asks them).
    rows = dataset_memberships(user, record.dataset_id)
    roles = {row[0] for row in rows}
    if Role.ADMIN in roles:  # as is_dataset_admin
        return sets
    # The dataset is at hand on most pages (loaded with the record): no query to ask it.
    tutorial = record.dataset.tutorial if Record.dataset.is_cached(record) else None
    allowed = visible_sets_filter(user, record.dataset_id, tutorial, rows)
    # A working copy someone made is theirs to see, whatever the project shows others; and
    # nobody else's, even in a project that is not blind: it is an unfinished answer
    # (only the adjudicators of a beat-correction task see its annotators' sets).
    own = Q(created_by=user)
    if Role.ADJUDICATOR in roles:  # the only role left that may see others' task sets
        own |= _shared_task_sets(user, record)
    not_human = ~Q(origin=AnnotationSet.Origin.HUMAN)
    if allowed is None:
        return sets.filter(not_human | own)
    return sets.filter((allowed & not_human) | own)


def get_annotation_set_for_user(user: Any, set_id: int) -> AnnotationSet:
    """An annotation set by id, if the user may see it (its record, and the set itself)."""
    in_range = 0 < set_id <= MAX_ID
    aset = (
        AnnotationSet.objects.select_related("record").filter(pk=set_id).first()
        if in_range
        else None
    )
    if aset is None or not user.is_authenticated:
        raise Http404(_("No such annotation set"))
    record = visible_records(user).select_related("dataset").filter(pk=aset.record_id).first()
    if record is None or not visible_annotation_sets(user, record).filter(pk=aset.pk).exists():
        raise Http404(_("No such annotation set"))
    aset.record = record
    return aset


def may_edit_as_admin(user: Any, aset: AnnotationSet) -> bool:
    """Whether the user may edit anyone's working set of this record (see
    ``records.editing.apply_edits``)."""
    return is_dataset_admin(user, aset.record.dataset_id)
