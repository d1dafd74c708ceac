"""Annotating, revising, adjudicating, flagging and discussing: one function per action,
called by the API and the pages alike. Access is checked here too (``TaskAccess`` from
``wavetag.projects.access``), so no caller can forget it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput, NotAllowed, StateConflict, refuse_nul
from wavetag.projects.access import MAX_ID, TaskAccess, task_access
from wavetag.projects.models import Assignment, Role, Task, TaskStatus
from wavetag.projects.schemas import clean_answer

from .adjudication import check_adjudicable, open_flags
from .consensus import evaluate
from .events import log, outcome
from .kinds import kind_of
from .models import (
    Adjudication,
    Annotation,
    AnnotationStatus,
    DiscussionPost,
    Flag,
    Revision,
    TaskEvent,
)

MAX_COMMENT = 5000
REQUEST_KEYS = ("comment", "status")


def split_request(data: Any) -> tuple[dict[str, Any], str, str | None]:
    """A request body is the schema's fields plus ``comment`` and ``status``."""
    if not isinstance(data, dict):
        raise InvalidInput(_("body: must be a JSON object of field values"))
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        raise InvalidInput(_("comment: must be a text"))
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            _("%(field)s: at most %(n)s characters") % {"field": "comment", "n": MAX_COMMENT}
        )
    refuse_nul("comment", comment)
    status = data.get("status")
    answer = {k: v for k, v in data.items() if k not in REQUEST_KEYS}
    return answer, comment, status


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _frozen(task: Task) -> StateConflict:
    return StateConflict(
        _(
            "task %(task)s: your answer is frozen, because the task has every answer it needs "
            "and they were evaluated; to change it, ask the adjudicator "
            "(POST /api/v1/tasks/%(task)s/change-request with a text saying what and why)"
        )
        % {"task": task.pk}
    )


def save_annotation(task: Task, user: Any, data: Any) -> Annotation:
    """Save the user's answer to a task they claimed: a draft, saved for later, or
    submitted (then every required field must be there). Every change is kept as a
    revision, and consensus is evaluated after each one; once the task has all the answers
    it needs they are frozen (409)."""
    answer, comment, status = split_request(data)
    status = status or AnnotationStatus.SUBMITTED
    if status not in AnnotationStatus.values:
        raise InvalidInput(
            _("status: must be one of %(values)s") % {"values": ", ".join(AnnotationStatus.values)}
        )
    with transaction.atomic():
        # Lock the task: two annotators giving the last two answers at once must not each
        # evaluate consensus without the other's answer. Only the task's row (of=self), and
        # without its key (no_key): locking the project row too, joined for reading, made
        # a submit and a claim (which locks the project, then adds assignments that
        # reference their tasks) wait on each other in opposite order: a deadlock, a 500.
        task = (
            Task.objects.select_for_update(of=("self",), no_key=True)
            .select_related("project")
            .get(pk=task.pk)
        )
        assignment = Assignment.objects.filter(task=task, user=user).first()
        if assignment is None:
            raise NotAllowed(_("this task is not assigned to you"))
        # A hidden gold check takes no part in consensus: nothing to freeze or evaluate
        # (it looks like a task still waiting for another annotator).
        gold = assignment.gold
        mine = Annotation.everything.filter(task=task, user=user).first()
        # Checked before the answer is read: a refusal must not depend on what was sent.
        frozen = mine is not None and mine.frozen_at is not None
        if frozen or (not gold and task.status != TaskStatus.OPEN):
            raise _frozen(task)
        cleaned = clean_answer(
            task.project.schema, answer, complete=status == AnnotationStatus.SUBMITTED
        )
        cleaned = kind_of(task.project).answer(task, user, cleaned, status)
        now = timezone.now()
        annotation, created = Annotation.everything.select_for_update().get_or_create(
            task=task, user=user, defaults={"status": status, "created_at": now, "gold": gold}
        )
        before = {"status": "" if created else annotation.status, "comment": annotation.comment}
        before.update({f"answer.{k}": v for k, v in ({} if created else annotation.answer).items()})
        after = {"status": status, "comment": comment}
        after.update({f"answer.{k}": v for k, v in cleaned.items()})
        changes = _changes(before, after)
        if not changes:
            # Nothing new to keep; a task a project admin reopened is evaluated again all
            # the same when its last answer is submitted unchanged.
            if not gold:
                evaluate(task, by=user)
            return annotation
        annotation.answer, annotation.comment, annotation.status = cleaned, comment, status
        annotation.updated_at = now
        if status == AnnotationStatus.SUBMITTED:
            annotation.submitted_at = now
        annotation.save()
        Revision.objects.create(
            annotation=annotation,
            user=user,
            at=now,
            status=status,
            answer=cleaned,
            comment=comment,
            changes=changes,
        )
        if not gold:
            evaluate(task, by=user)
    return annotation


def adjudicate(task: Task, user: Any, data: Any) -> Adjudication:
    """Decide a task in conflict (or one whose annotation was flagged, or decide again an
    adjudicated one), as its kind decides: a form's answer validated like a submission."""
    answer, comment, _status = split_request(data)
    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self",), no_key=True)
            .select_related("project")
            .get(pk=task.pk)
        )
        check_adjudicable(task, task_access(user, task))
        decision = kind_of(task.project).adjudicate(task, user, answer, comment)
        open_flags(task).update(resolved_at=task.decided_at)
    return decision


def request_change(task: Task, user: Any, text: Any) -> Flag:
    """An annotator's request to change their frozen answer: a note to the adjudicator
    that puts the task in the adjudication queue (once it is evaluated), logged."""
    text = _text("text", text)
    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self",), no_key=True)
            .select_related("project")
            .get(pk=task.pk)
        )
        mine = Annotation.everything.filter(task=task, user=user).first()
        if mine is None or not Assignment.objects.filter(task=task, user=user).exists():
            raise NotAllowed(_("only an annotator of this task asks to change their answer"))
        if mine.frozen_at is None:
            raise StateConflict(
                _(
                    "task %(task)s: your answer is not frozen yet; change it yourself "
                    "(PUT /api/v1/tasks/%(task)s/annotation)"
                )
                % {"task": task.pk}
            )
        if Flag.objects.filter(annotation=mine, user=user, resolved_at__isnull=True).exists():
            # One at a time: a request stands until an adjudicator or admin answers it.
            raise StateConflict(
                _(
                    "task %(task)s: your request is waiting for the adjudicator; add to it in "
                    "the task's discussion"
                )
                % {"task": task.pk}
            )
        flag = Flag.objects.create(annotation=mine, user=user, reason=text)
        TaskEvent.objects.create(
            task=task, user=user, action=TaskEvent.Action.CHANGE_REQUESTED, detail={"text": text}
        )
    return flag


def reopen(task: Task, user: Any, reason: Any) -> Task:
    """A project admin reopens a task: its answers are no longer frozen, its outcome is
    cleared (an adjudicated task too; its decisions stay in the history), and the task is
    evaluated again when its annotators next submit. Logged with the reason and what the
    task was before."""
    reason = _text("reason", reason)
    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self",), no_key=True)
            .select_related("project")
            .get(pk=task.pk)
        )
        if task_access(user, task).role != Role.ADMIN:
            raise NotAllowed(_("only project admins reopen a task"))
        if (
            task.status == TaskStatus.OPEN
            and not Annotation.objects.filter(task=task, frozen_at__isnull=False).exists()
        ):
            raise StateConflict(
                _("task %(task)s is open already: its answers are not frozen") % {"task": task.pk}
            )
        before = outcome(task)
        Annotation.objects.filter(task=task).update(frozen_at=None)
        kind_of(task.project).reopened(task)
        task.status, task.final_label, task.reason, task.decided_by = TaskStatus.OPEN, None, "", ""
        task.decided_at = None
        task.save(update_fields=["status", "final_label", "reason", "decided_by", "decided_at"])
        open_flags(task).update(resolved_at=timezone.now())
        log(task, user, TaskEvent.Action.REOPENED, reason=reason, before=before)
    return task


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("%(field)s: say what and why") % {"field": name})
    if len(value) > MAX_COMMENT:
        raise InvalidInput(
            _("%(field)s: at most %(n)s characters") % {"field": name, "n": MAX_COMMENT}
        )
    refuse_nul(name, value)
    return value.strip()


def flag_annotation(annotation_id: int, user: Any, reason: Any) -> Flag:
    """An expert's review note on an annotation they are allowed to see."""
    if not 0 < annotation_id <= MAX_ID:
        raise Http404(_("No such annotation"))
    annotation = Annotation.objects.select_related("task__project").filter(pk=annotation_id).first()
    if annotation is None:
        raise Http404(_("No such annotation"))
    access = task_access(user, annotation.task)
    if not access.sees_all:
        # Not being allowed to see an annotation is the same as it not existing.
        raise Http404(_("No such annotation"))
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(_("reason: say what is wrong"))
    if len(reason) > MAX_COMMENT:
        raise InvalidInput(
            _("%(field)s: at most %(n)s characters") % {"field": "reason", "n": MAX_COMMENT}
        )
    refuse_nul("reason", reason)
    return Flag.objects.create(annotation=annotation, user=user, reason=reason.strip())


def discussion(task: Task, user: Any, access: TaskAccess) -> list[dict[str, Any]]:
    if access.discussion == "none":
        raise Http404(_("No discussion for this task"))
    posts = DiscussionPost.objects.filter(task=task).select_related("user")
    if access.discussion == "own":
        posts = posts.filter(user=user)
    return [
        {
            "id": p.pk,
            "author": p.user.get_username() if p.user else None,
            "text": p.text,
            "created_at": p.created_at,
        }
        for p in posts.order_by("created_at", "id")
    ]


def post_to_discussion(task: Task, user: Any, access: TaskAccess, text: Any) -> DiscussionPost:
    if access.discussion == "none":
        raise Http404(_("No discussion for this task"))
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(_("text: write something"))
    if len(text) > MAX_COMMENT:
        raise InvalidInput(
            _("%(field)s: at most %(n)s characters") % {"field": "text", "n": MAX_COMMENT}
        )
    refuse_nul("text", text)
    return DiscussionPost.objects.create(task=task, user=user, text=text.strip())
