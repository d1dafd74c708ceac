"""The practice test: gold tasks answered one by one, with the expert's answer and
explanation shown after each, before an annotator may claim real tasks.

A project with ``practice_size`` > 0 requires its annotators (not its adjudicators or
admins) to pass an attempt at ``practice_pass`` percent correct on the agreement fields.
An attempt draws ``practice_size`` gold tasks at random, preferring on a retake those the
annotator has not practised yet; an unfinished attempt is resumed, never drawn again (a
new draw would let a user skip the items they got wrong). Each item takes one answer, never
revised: feedback comes after it. Practice answers live here only: never an annotation of
the task, never in consensus, exports or anyone else's view.
"""

from __future__ import annotations

import random
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput, NotAllowed, StateConflict
from wavetag.projects.access import MAX_ID, role_in
from wavetag.projects.models import Assignment, Project, Role, Task
from wavetag.projects.schemas import clean_answer

from .gold import is_correct
from .models import GoldAnswer, PracticeAttempt, PracticeItem


def required(project: Project, user: Any) -> bool:
    return project.practice_size > 0 and role_in(user, project) == Role.ANNOTATOR


def has_passed(project: Project, user: Any) -> bool:
    return PracticeAttempt.objects.filter(project=project, user=user, passed=True).exists()


def check_may_claim(project: Project, user: Any) -> None:
    """Refuse a claim while the practice test is required and not passed."""
    if required(project, user) and not has_passed(project, user):
        raise NotAllowed(
            f"practice test: pass the practice test of {project.name} before claiming tasks "
            f"(POST /api/v1/projects/{project.pk}/practice, or the project page)"
        )


def state(project: Project, user: Any) -> dict[str, Any]:
    attempts = PracticeAttempt.objects.filter(project=project, user=user)
    last = attempts.filter(finished_at__isnull=False).order_by("-number").first()
    current = attempts.filter(finished_at__isnull=True).order_by("-number").first()
    return {
        "required": required(project, user),
        "passed": attempts.filter(passed=True).exists(),
        "score": last.score if last else None,
        "attempts": attempts.count(),
        "size": project.practice_size,
        "pass_percent": project.practice_pass,
        "current": attempt_out(current) if current else None,
    }


def attempt_out(attempt: PracticeAttempt) -> dict[str, Any]:
    items = list(attempt.items.order_by("position"))
    return {
        "attempt": attempt.number,
        "items": [
            {"id": i.pk, "task": i.task_id, "answered": i.answered_at is not None} for i in items
        ],
        "finished": attempt.finished_at is not None,
        "correct": attempt.correct,
        "size": attempt.size,
        "passed": attempt.passed,
    }


def start(project: Project, user: Any) -> tuple[PracticeAttempt, bool]:
    """The user's unfinished attempt, or a new one (``True`` when new)."""
    if role_in(user, project) is None:
        raise Http404(_("No such project"))
    if project.practice_size <= 0:
        raise StateConflict(
            _("%(project)s has no practice test (practice_size is 0)") % {"project": project.name}
        )
    with transaction.atomic():
        # One attempt at a time per user, even when they click twice.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        open_attempt = PracticeAttempt.objects.filter(
            project=project, user=user, finished_at__isnull=True
        ).first()
        if open_attempt is not None:
            return open_attempt, False
        gold = set(
            GoldAnswer.objects.filter(task__project=project).values_list("task_id", flat=True)
        )
        # Never a task they annotate: the feedback would give its answer away.
        gold -= set(
            Assignment.objects.filter(task__project=project, user=user).values_list(
                "task_id", flat=True
            )
        )
        size = project.practice_size
        if len(gold) < size:
            raise StateConflict(
                f"{project.name}: the practice test needs {size} gold tasks, only {len(gold)} "
                "available; a project admin adds gold answers"
            )
        done = set(
            PracticeItem.objects.filter(attempt__project=project, attempt__user=user).values_list(
                "task_id", flat=True
            )
        )
        fresh, seen = sorted(gold - done), sorted(gold & done)
        random.shuffle(fresh)
        random.shuffle(seen)
        chosen = (fresh + seen)[:size]
        last = PracticeAttempt.objects.filter(project=project, user=user).aggregate(n=Max("number"))
        attempt = PracticeAttempt.objects.create(
            project=project, user=user, number=(last["n"] or 0) + 1, size=size
        )
        PracticeItem.objects.bulk_create(
            [PracticeItem(attempt=attempt, task_id=t, position=i) for i, t in enumerate(chosen)]
        )
    return attempt, True


def get_item(user: Any, item_id: int) -> PracticeItem:
    """A practice item of the user's own attempts (anyone else's is not found)."""
    if not 0 < item_id <= MAX_ID:
        raise Http404(_("No such practice item"))
    item = (
        PracticeItem.objects.select_related("attempt__project", "task__record")
        .filter(pk=item_id, attempt__user=user)
        .first()
    )
    if item is None:
        raise Http404(_("No such practice item"))
    return item


def answer(item: PracticeItem, user: Any, data: Any) -> dict[str, Any]:
    """Check one answer against the gold one: whether it is correct, the expected answer
    and its explanation; the attempt's result when it was the last item."""
    project = item.attempt.project
    if not isinstance(data, dict):
        raise InvalidInput(_("body: must be a JSON object of field values"))
    body = {k: v for k, v in data.items() if k not in ("comment", "status")}
    cleaned = clean_answer(project.schema, body, complete=True)
    with transaction.atomic():
        item = (
            PracticeItem.objects.select_for_update(of=("self",))
            .select_related("attempt")
            .get(pk=item.pk)
        )
        if item.answered_at is not None:
            raise StateConflict(_("this practice item is answered already: on to the next one"))
        gold = GoldAnswer.objects.filter(task_id=item.task_id).first()
        if gold is None:
            raise StateConflict(_("this task's gold answer was removed: start a new attempt"))
        item.answer, item.correct = cleaned, is_correct(project, gold, cleaned)
        item.answered_at = timezone.now()
        item.save(update_fields=["answer", "correct", "answered_at"])
        attempt = PracticeAttempt.objects.select_for_update().get(pk=item.attempt_id)
        if item.correct:
            attempt.correct += 1
        left = attempt.items.filter(answered_at__isnull=True).exists()
        if not left:
            attempt.finished_at = item.answered_at
            attempt.passed = 100 * attempt.correct >= project.practice_pass * attempt.size
        attempt.save(update_fields=["correct", "finished_at", "passed"])
    return {
        "correct": item.correct,
        "expected": gold.answer,
        "explanation": gold.explanation,
        "attempt": attempt_out(attempt),
    }


def next_item(attempt: PracticeAttempt) -> PracticeItem | None:
    return attempt.items.filter(answered_at__isnull=True).order_by("position").first()


def practised_tasks(project: Project, user: Any) -> Any:
    """Task ids the user met in practice (with their gold answer): never theirs to claim."""
    return Task.objects.filter(
        project=project, id__in=PracticeItem.objects.filter(attempt__user=user).values("task_id")
    ).values("id")
