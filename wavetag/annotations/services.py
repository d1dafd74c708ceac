"""Annotating, revising, adjudicating, flagging and discussing: one function per action,
called by the API and the pages alike. Access is checked here too (``TaskAccess`` from
``wavetag.projects.access``), so no caller can forget it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from wavetag.errors import InvalidInput, NotAllowed, StateConflict, refuse_nul
from wavetag.projects.access import MAX_ID, TaskAccess, task_access
from wavetag.projects.beat_schema import is_beat_schema
from wavetag.projects.models import Assignment, Project, Role, Task, TaskStatus
from wavetag.projects.schemas import clean_answer, label_of

from .beats import answer_part
from .consensus import evaluate
from .models import (
    Adjudication,
    AdjudicationSkip,
    Annotation,
    AnnotationStatus,
    DiscussionPost,
    Flag,
    Revision,
)

MAX_COMMENT = 5000
REQUEST_KEYS = ("comment", "status")


def split_request(data: Any) -> tuple[dict[str, Any], str, str | None]:
    """A request body is the schema's fields plus ``comment`` and ``status``."""
    if not isinstance(data, dict):
        raise InvalidInput("body: must be a JSON object of field values")
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        raise InvalidInput("comment: must be a text")
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"comment: at most {MAX_COMMENT} characters")
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


def save_annotation(task: Task, user: Any, data: Any) -> Annotation:
    """Save the user's answer to a task they claimed: a draft, saved for later, or
    submitted (then every required field must be there). Every change is kept as a
    revision; consensus is evaluated again after each one."""
    answer, comment, status = split_request(data)
    status = status or AnnotationStatus.SUBMITTED
    if status not in AnnotationStatus.values:
        raise InvalidInput(f"status: must be one of {', '.join(AnnotationStatus.values)}")
    with transaction.atomic():
        # Lock the task: two annotators giving the last two answers at once must not each
        # evaluate consensus without the other's answer.
        task = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
        if not Assignment.objects.filter(task=task, user=user).exists():
            raise NotAllowed("this task is not assigned to you")
        cleaned = clean_answer(
            task.project.schema, answer, complete=status == AnnotationStatus.SUBMITTED
        )
        if is_beat_schema(task.project.schema):
            # The answer of a beat task is the annotator's corrected set (frozen on submit).
            beats = answer_part(task, user, status)
            if beats is not None:
                cleaned["beats"] = beats
        now = timezone.now()
        annotation, created = Annotation.objects.select_for_update().get_or_create(
            task=task, user=user, defaults={"status": status, "created_at": now}
        )
        before = {"status": "" if created else annotation.status, "comment": annotation.comment}
        before.update({f"answer.{k}": v for k, v in ({} if created else annotation.answer).items()})
        after = {"status": status, "comment": comment}
        after.update({f"answer.{k}": v for k, v in cleaned.items()})
        changes = _changes(before, after)
        if not changes:
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
        evaluate(task)
    return annotation


def own_annotation(task: Task, user: Any) -> Annotation | None:
    return Annotation.objects.filter(task=task, user=user).first()


def annotation_out(annotation: Annotation, *, with_flags: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": annotation.pk,
        "task": annotation.task_id,
        "annotator": annotation.user.get_username(),
        "status": annotation.status,
        "answer": annotation.answer,
        "comment": annotation.comment,
        "updated_at": annotation.updated_at,
        "submitted_at": annotation.submitted_at,
    }
    if with_flags:
        out["flags"] = [
            {
                "id": f.pk,
                "by": f.user.get_username() if f.user else None,
                "reason": f.reason,
                "created_at": f.created_at,
                "resolved": f.resolved_at is not None,
            }
            for f in annotation.flags.all()
        ]
    return out


def all_annotations(task: Task, access: TaskAccess) -> list[dict[str, Any]]:
    """Every annotation of the task, for adjudicators and project admins not blind to it."""
    if not access.sees_all:
        raise NotAllowed("only adjudicators and project admins not annotating it see these")
    rows = (
        Annotation.objects.filter(task=task).select_related("user").prefetch_related("flags__user")
    )
    return [annotation_out(a, with_flags=True) for a in rows.order_by("created_at", "id")]


def history(task: Task, user: Any, access: TaskAccess) -> list[dict[str, Any]]:
    """Revisions: the user's own; every annotator's (and the adjudications) for those who
    may see all annotations of the task."""
    revisions = Revision.objects.filter(annotation__task=task).select_related(
        "annotation__user", "user"
    )
    if not access.sees_all:
        revisions = revisions.filter(annotation__user=user)
    out: list[dict[str, Any]] = [
        {
            "kind": "annotation",
            "annotator": r.annotation.user.get_username(),
            "by": r.user.get_username() if r.user else None,
            "at": r.at,
            "status": r.status,
            "answer": r.answer,
            "comment": r.comment,
            "changes": r.changes,
        }
        for r in revisions.order_by("at", "id")
    ]
    if access.sees_all:
        for adj in Adjudication.objects.filter(task=task).select_related("user"):
            out.append(
                {
                    "kind": "adjudication",
                    "annotator": None,
                    "by": adj.user.get_username() if adj.user else None,
                    "at": adj.created_at,
                    "status": "adjudicated",
                    "answer": adj.answer,
                    "comment": adj.comment,
                    "changes": {},
                }
            )
        out.sort(key=lambda item: item["at"])
    return out


def _open_flags(task: Task) -> QuerySet[Flag]:
    return Flag.objects.filter(annotation__task=task, resolved_at__isnull=True)


def check_adjudicable(task: Task, access: TaskAccess) -> None:
    """Raise the reason why this user may not decide this task now; return when they may.
    Pages call it to show the reason instead of a form that would be refused."""
    if access.role is None:
        raise Http404("No such task")
    if not access.may_adjudicate:
        if access.assigned:
            raise NotAllowed("you annotated this task: skip it to another adjudicator")
        raise NotAllowed("only adjudicators and project admins adjudicate")
    if task.status == TaskStatus.OPEN:
        raise StateConflict("this task is still waiting for its annotations")
    if task.status == TaskStatus.AGREED and not _open_flags(task).exists():
        raise StateConflict("the annotators agreed; flag an annotation to adjudicate it")


def adjudicate(task: Task, user: Any, data: Any) -> Adjudication:
    """Decide a task in conflict (or one whose annotation was flagged, or decide again an
    adjudicated one). The answer is validated against the schema like a submission."""
    answer, comment, _ = split_request(data)
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
        check_adjudicable(task, task_access(user, task))
        if is_beat_schema(task.project.schema):
            raise StateConflict(
                f"task {task.pk} is a beat-correction task: resolve its beat disagreements "
                f"instead (POST /api/v1/tasks/{task.pk}/beat-disagreements/resolve)"
            )
        cleaned = clean_answer(task.project.schema, answer, complete=True)
        final = label_of(task.project.schema, cleaned)
        now = timezone.now()
        decision = Adjudication.objects.create(
            task=task, user=user, answer=cleaned, final_label=final, comment=comment
        )
        task.status, task.final_label, task.decided_at = TaskStatus.ADJUDICATED, final, now
        task.save(update_fields=["status", "final_label", "decided_at"])
        _open_flags(task).update(resolved_at=now)
    return decision


def skip_adjudication(task: Task, user: Any) -> None:
    access = task_access(user, task)
    if access.role is None:
        raise Http404("No such task")
    if access.role not in (Role.ADJUDICATOR, Role.ADMIN):
        raise NotAllowed("only adjudicators and project admins adjudicate")
    AdjudicationSkip.objects.get_or_create(task=task, user=user)


def adjudication_queue(project: Project, user: Any) -> QuerySet[Task]:
    """Tasks waiting for this adjudicator: in conflict, or agreed with an open flag; never
    one they annotated or skipped."""
    flagged = Flag.objects.filter(
        annotation__task__project=project, resolved_at__isnull=True
    ).values("annotation__task_id")
    return (
        Task.objects.filter(project=project)
        .filter(Q(status=TaskStatus.CONFLICT) | Q(status=TaskStatus.AGREED, id__in=flagged))
        .exclude(assignments__user=user)
        .exclude(skips__user=user)
        .select_related("record")
        .order_by("id")
    )


def flag_annotation(annotation_id: int, user: Any, reason: Any) -> Flag:
    """An expert's review note on an annotation they are allowed to see."""
    if not 0 < annotation_id <= MAX_ID:
        raise Http404("No such annotation")
    annotation = Annotation.objects.select_related("task__project").filter(pk=annotation_id).first()
    if annotation is None:
        raise Http404("No such annotation")
    access = task_access(user, annotation.task)
    if not access.sees_all:
        # Not being allowed to see an annotation is the same as it not existing.
        raise Http404("No such annotation")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("reason: say what is wrong")
    if len(reason) > MAX_COMMENT:
        raise InvalidInput(f"reason: at most {MAX_COMMENT} characters")
    refuse_nul("reason", reason)
    return Flag.objects.create(annotation=annotation, user=user, reason=reason.strip())


def discussion(task: Task, user: Any, access: TaskAccess) -> list[dict[str, Any]]:
    if access.discussion == "none":
        raise Http404("No discussion for this task")
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
        raise Http404("No discussion for this task")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("text: write something")
    if len(text) > MAX_COMMENT:
        raise InvalidInput(f"text: at most {MAX_COMMENT} characters")
    refuse_nul("text", text)
    return DiscussionPost.objects.create(task=task, user=user, text=text.strip())
