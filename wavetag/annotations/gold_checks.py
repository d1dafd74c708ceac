"""Hidden gold checks: how annotators' answers to gold tasks compare with the gold ones.

An annotator's running accuracy is kept from their settled answers to tasks that have a
gold answer (``GoldAnswer``), whether the task came to them as a hidden gold check of a
batch or as an ordinary task that was later given a gold answer. Practice answers are not
counted here: they are training, with the answer shown.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model

from wavetag.projects.access import require_role
from wavetag.projects.models import Project, Role
from wavetag.projects.schemas import is_decisive, label_of

from .models import Annotation, AnnotationStatus


def _class(value: Any) -> str:
    """A label value as a class name: a list (a multi field's items) joined."""
    if isinstance(value, list):
        return "+".join(str(v) for v in value) or "(none)"
    return str(value)


def _checks(
    project: Project | None, since: datetime | None, until: datetime | None
) -> list[tuple[int, dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(user id, schema, answer, gold label) of every submitted answer to a gold task."""
    # Only settled answers: a hidden gold check once its batch is done (frozen when the
    # next one is claimed), an ordinary task once all its answers are in. A figure that moved
    # with an answer still open to revision would tell which task was gold, and its answer.
    rows = Annotation.everything.filter(
        status=AnnotationStatus.SUBMITTED, task__gold__isnull=False, frozen_at__isnull=False
    )
    if project is not None:
        rows = rows.filter(task__project=project)
    if since is not None:
        rows = rows.filter(submitted_at__gte=since)
    if until is not None:
        rows = rows.filter(submitted_at__lt=until)
    schemas: dict[int, dict[str, Any]] = {}
    out = []
    for user_id, project_id, answer, label in rows.values_list(
        "user_id", "task__project_id", "answer", "task__gold__label"
    ):
        if project_id not in schemas:
            schemas[project_id] = Project.objects.get(pk=project_id).schema
        out.append((user_id, schemas[project_id], answer, label))
    return out


def gold_accuracy(
    project: Project | None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[int, dict[str, Any]]:
    """Per user id: ``{"checked": n, "correct": n, "accuracy": 0-1 or None}`` over their
    answers submitted in [since, until) to gold tasks of ``project`` (all projects: None).
    Correct means equal to the gold answer on the agreement fields; an unsure answer never
    is."""
    out: dict[int, dict[str, Any]] = {}
    for user_id, schema, answer, label in _checks(project, since, until):
        row = out.setdefault(user_id, {"checked": 0, "correct": 0, "accuracy": None})
        row["checked"] += 1
        row["correct"] += int(is_decisive(schema, answer) and label_of(schema, answer) == label)
    for row in out.values():
        row["accuracy"] = row["correct"] / row["checked"]
    return out


def gold_report(project: Project, user: Any) -> list[dict[str, Any]]:
    """For project admins: each annotator's gold accuracy overall, and for each agreement
    field and each gold class, how many checks had it and how many they got right (their
    sensitivity for that class)."""
    require_role(user, project, Role.ADMIN)
    totals = gold_accuracy(project)
    classes: dict[int, dict[str, dict[str, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: [0, 0]))
    )
    for user_id, schema, answer, label in _checks(project, None, None):
        given = label_of(schema, answer) if is_decisive(schema, answer) else {}
        for name, value in label.items():
            cell = classes[user_id][name][_class(value)]
            cell[0] += 1
            cell[1] += int(name in given and given[name] == value)
    names = dict(get_user_model().objects.filter(pk__in=list(totals)).values_list("pk", "username"))
    return [
        {
            "user": names.get(user_id, ""),
            **totals[user_id],
            "fields": {
                name: {
                    cls: {"checked": n, "correct": ok, "sensitivity": ok / n}
                    for cls, (n, ok) in sorted(by_class.items())
                }
                for name, by_class in classes[user_id].items()
            },
        }
        for user_id in sorted(totals, key=lambda i: names.get(i, ""))
    ]
