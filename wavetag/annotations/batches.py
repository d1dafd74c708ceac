"""Batches: annotators claim random tasks that still need annotators, k at most per task.

How a task never gets more than k annotators, even when many people claim at once:

1. the whole claim runs in one transaction that first locks the project row
   (``select_for_update``): on PostgreSQL, claims on one project queue behind each
   other and each one counts the assignments the previous ones committed. On SQLite
   the lock is a no-op, but settings open every transaction with BEGIN IMMEDIATE,
   which takes the database's write lock, so claims are serialised there too;
2. each new assignment takes the lowest free slot (0 .. k-1, or further for a task that
   re-entry opened to more annotators) of its task, and
   (task, slot) is unique in the database: were two claims ever to read the same
   state, the second insert fails instead of over-filling the task.

In a project with teams the same lock decides which team a task belongs to: a claimer is
offered only tasks nobody claimed yet or tasks of their own team, and the first claim sets
the task's team with an update conditional on it being unset (or theirs) that must touch
every task chosen, or the claim is rolled back.
"""

from __future__ import annotations

import random
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from wavetag.errors import NotAllowed, StateConflict
from wavetag.projects.access import role_in
from wavetag.projects.models import Assignment, Membership, Project, Role, Task, TaskStatus
from wavetag.projects.teams import has_teams, team_of

from .consensus import evaluate
from .models import Annotation, AnnotationStatus, GoldAnswer
from .practice import check_may_claim, practised_tasks


def unfinished(project: Project, user: Any) -> list[Assignment]:
    """The user's assignments in the project not yet submitted (saved-for-later included),
    in batch order."""
    done = Annotation.everything.filter(
        task__project=project, user=user, status=AnnotationStatus.SUBMITTED
    ).values("task_id")
    return list(
        Assignment.objects.filter(task__project=project, user=user)
        .exclude(task_id__in=done)
        .select_related("task")
        .order_by("batch", "position")
    )


def claimable(project: Project, user: Any) -> QuerySet[Task]:
    """Open tasks that still need annotators and that ``user`` does not have (``n``: how
    many annotators each has already). In a project with teams: only tasks nobody claimed
    yet and tasks of the user's team (none at all for a user in no team).

    Adjudicators and project admins may read any task's answers, so they annotate only
    tasks nobody has answered yet (not even a draft): otherwise one could read a task's
    answers and then claim one of its slots. For the same reason a task re-entry opened
    to one more annotator goes to members with the annotator role only."""
    tasks = (
        Task.objects.filter(project=project, status=TaskStatus.OPEN)
        .exclude(assignments__user=user)
        # Hidden gold checks fill no slot.
        .annotate(n=Count("assignments", filter=Q(assignments__gold=False)))
        .filter(n__lt=F("extra_annotators") + project.annotators_per_task)
    )
    if role_in(user, project) != Role.ANNOTATOR:
        answered = Annotation.everything.filter(task=OuterRef("pk"))
        tasks = tasks.filter(extra_annotators=0).exclude(Exists(answered))
    if has_teams(project):
        team = team_of(user, project)
        if team is None:
            return tasks.none()
        # A task claimed before the project had teams has no team but has annotators: it
        # stays with them (never completed by another team).
        tasks = tasks.filter(Q(team_id=team) | Q(team__isnull=True, n=0))
    # Tasks met in the practice test: their gold answer was shown.
    return tasks.exclude(id__in=practised_tasks(project, user))


def claim_batch(project: Project, user: Any) -> list[Task]:
    """Give ``user`` up to ``project.batch_size`` random tasks that still need annotators
    and that they do not have yet. Tasks that already have some annotators come first, so
    that tasks reach consensus rather than all being half done. Refused while the user's
    current batch is not done."""
    try:
        with transaction.atomic():
            return _claim(project, user)
    except IntegrityError:
        # Only reachable if two claims read the same slots; nothing was written.
        raise StateConflict(
            "another claim took these tasks at the same moment; try again"
        ) from None


def _claim(project: Project, user: Any) -> list[Task]:
    project = Project.objects.select_for_update().get(pk=project.pk)
    check_may_claim(project, user)
    team = team_of(user, project) if has_teams(project) else None
    if team is None and has_teams(project):
        raise NotAllowed(
            f"no team: {project.name} gives each task to one team, and you are in none yet; "
            "a project admin puts annotators in teams (joining a project puts nobody in one)"
        )
    if Membership.objects.filter(project=project, user=user, paused_at__isnull=False).exists():
        raise NotAllowed(
            f"paused: a project admin of {project.name} paused your annotation; ask them"
        )
    left = unfinished(project, user)
    if left:
        raise StateConflict(
            f"finish your current batch first: {len(left)} task{'s' if len(left) != 1 else ''} "
            "not submitted (saved-for-later ones included)"
        )
    # The gold checks of the batches done are settled now: frozen, and counted in the
    # annotator's gold accuracy from here on (a check that counted while it could still be
    # revised would give itself and its answer away).
    Annotation.everything.filter(
        task__project=project, user=user, gold=True, frozen_at__isnull=True
    ).update(frozen_at=timezone.now())
    candidates = list(claimable(project, user).values_list("id", "n", "extra_annotators"))
    random.shuffle(candidates)
    candidates.sort(key=lambda item: -item[1])
    gold = gold_draw(project, user)
    regular = [task_id for task_id, _, _ in candidates if task_id not in gold]
    chosen = regular[: project.batch_size - len(gold)]
    needed = {task_id: project.annotators_per_task + extra for task_id, _, extra in candidates}
    if not chosen:
        # Never a batch of gold checks alone: it would tell them apart.
        return []
    taken: dict[int, set[int]] = {}
    for task_id, slot in Assignment.objects.filter(task_id__in=chosen).values_list(
        "task_id", "slot"
    ):
        taken.setdefault(task_id, set()).add(slot)
    last = Assignment.objects.filter(task__project=project, user=user).aggregate(b=Max("batch"))
    batch = (last["b"] or 0) + 1
    rows = [
        Assignment(
            task_id=task_id,
            user=user,
            slot=min(set(range(needed[task_id])) - taken.get(task_id, set())),
            batch=batch,
        )
        for task_id in chosen
    ]
    rows += [Assignment(task_id=t, user=user, slot=None, gold=True, batch=batch) for t in gold]
    # Gold checks anywhere in the batch, so that their place does not tell them apart.
    random.shuffle(rows)
    for i, row in enumerate(rows):
        row.position = i
    Assignment.objects.bulk_create(rows)
    if team is not None:
        fixed = (
            Task.objects.filter(id__in=chosen)
            .filter(Q(team__isnull=True) | Q(team_id=team))
            .update(team_id=team)
        )
        if fixed != len(chosen):
            # Only reachable if another team's claim took one of them unseen; undo.
            raise IntegrityError("a task of another team")
    tasks = Task.objects.in_bulk([r.task_id for r in rows])
    return [tasks[r.task_id] for r in rows]


def gold_draw(project: Project, user: Any) -> list[int]:
    """The hidden gold tasks of the user's next batch: ``gold_rate`` percent of it (at least
    one when the rate is set), drawn from gold tasks they have never had nor practised."""
    if project.gold_rate <= 0:
        return []
    want = max(1, round(project.batch_size * project.gold_rate / 100))
    ids = list(
        GoldAnswer.objects.filter(task__project=project)
        .exclude(task__assignments__user=user)
        .exclude(task_id__in=practised_tasks(project, user))
        .values_list("task_id", flat=True)
    )
    random.shuffle(ids)
    # A batch of one stays a real task.
    return ids[: min(want, project.batch_size - 1)]


def next_task(project: Project, user: Any) -> Task | None:
    """Where to resume: the first task of the batch not submitted and not saved for later;
    when only saved-for-later ones are left, the first of those."""
    return _first_to_do(unfinished(project, user), user)


def following_task(project: Project, user: Any, leaving: Task) -> Task | None:
    """The task to open once ``leaving`` is saved (submitted or for later): as
    ``next_task``, but never ``leaving`` itself. The task page opens it after a save, and
    fetches it beforehand (the same choice, asked while the form is open)."""
    left = [a for a in unfinished(project, user) if a.task_id != leaving.pk]
    return _first_to_do(left, user)


def _first_to_do(left: list[Assignment], user: Any) -> Task | None:
    if not left:
        return None
    later = set(
        Annotation.everything.filter(
            task_id__in=[a.task_id for a in left], user=user, status=AnnotationStatus.LATER
        ).values_list("task_id", flat=True)
    )
    for assignment in left:
        if assignment.task_id not in later:
            return assignment.task
    return left[0].task


def batch_position(task: Task, assignment: Assignment) -> dict[str, Any]:
    """Previous and next task of the assignment's batch, and where this one stands in it."""
    ids = list(
        Assignment.objects.filter(
            task__project_id=task.project_id, user_id=assignment.user_id, batch=assignment.batch
        )
        .order_by("position")
        .values_list("task_id", flat=True)
    )
    i = ids.index(task.pk)
    return {
        "prev": ids[i - 1] if i > 0 else None,
        "next": ids[i + 1] if i + 1 < len(ids) else None,
        "position": i + 1,
        "size": len(ids),
        "batch": assignment.batch,
    }


def release(project: Project, *, user: Any = None, task: Task | None = None) -> int:
    """Take back unfinished assignments (all of them, or one user's, or one task's) so that
    others can claim the tasks. Their unsubmitted drafts go with them; submitted answers
    and their history are never touched. Returns how many were released."""
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        done = Annotation.everything.filter(
            task__project=project, status=AnnotationStatus.SUBMITTED
        ).values_list("task_id", "user_id")
        done_pairs = set(done)
        qs = Assignment.objects.filter(task__project=project)
        if user is not None:
            qs = qs.filter(user=user)
        if task is not None:
            qs = qs.filter(task=task)
        pairs = [
            (a_id, t_id, u_id)
            for a_id, t_id, u_id in qs.values_list("id", "task_id", "user_id")
            if (t_id, u_id) not in done_pairs
        ]
        if not pairs:
            return 0
        by_user: dict[int, list[int]] = {}
        for _, t_id, u_id in pairs:
            by_user.setdefault(u_id, []).append(t_id)
        for u_id, task_ids in by_user.items():
            Annotation.everything.filter(user_id=u_id, task_id__in=task_ids).exclude(
                status=AnnotationStatus.SUBMITTED
            ).delete()
        Assignment.objects.filter(id__in=[a_id for a_id, _, _ in pairs]).delete()
        # A task nobody holds any more is free for any team again.
        held = Assignment.objects.filter(task=OuterRef("pk"), gold=False)
        Task.objects.filter(id__in={t_id for _, t_id, _ in pairs}, team__isnull=False).exclude(
            Exists(held)
        ).update(team=None)
        for t in Task.objects.filter(id__in={t_id for _, t_id, _ in pairs}).select_related(
            "project"
        ):
            evaluate(t)
        return len(pairs)
