"""Each annotator's answers by decision: how often they chose each value of the schema's
agreement fields. For adjudicators and project admins only (the leaderboard carries no
decision value), and even they do not get the other answers of a task they annotate:
watching a count move would tell them how a fellow annotator answered it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from wavetag.projects.access import blind_tasks, require_role
from wavetag.projects.models import Project, Role
from wavetag.projects.schemas import label_of

from .leaderboard import period_start, submitted

# What a pie shows for an answer that left the field empty.
NONE = "(none)"


def decision_fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The agreement fields that have values to count (choice and multi-label lists)."""
    fields = {f["name"]: f for f in schema.get("fields", [])}
    out = []
    for name in schema.get("agreement", []):
        field = fields[name]
        if field["type"] in ("choice", "multi"):
            choices = [{"value": c["value"], "label": c["label"]} for c in field["choices"]]
            out.append({"name": name, "label": field.get("label", name), "choices": choices})
    return out


def project_decisions(
    project: Project, viewer: Any, period: str = "all", *, now: datetime | None = None
) -> dict[str, Any]:
    """Per member with submitted answers in the period: ``{"user", "answers", "counts":
    {field: {value: n}}}``; a multi-label answer counts once for each of its sure items."""
    require_role(viewer, project, Role.ADJUDICATOR)
    since = period_start(period, now)
    fields = decision_fields(project.schema)
    hidden = blind_tasks(project, viewer).values("id")
    # The viewer's own answers to the tasks they annotate are theirs to count.
    # Real answers only: a hidden gold check is measured against the gold answer instead.
    rows = (
        submitted(since, checks=False)
        .filter(task__project=project)
        .filter(Q(user=viewer) | ~Q(task_id__in=hidden))
        .values_list("user", "answer")
    )
    answers: Counter[int] = Counter()
    counts: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for user_id, answer in rows:
        answers[user_id] += 1
        label = label_of(project.schema, answer or {})
        for field in fields:
            value = label.get(field["name"])
            values = value if isinstance(value, list) else [value]
            for v in values or [None]:
                counts[user_id][field["name"]][NONE if v in (None, "") else str(v)] += 1
    names = dict(get_user_model().objects.filter(pk__in=answers).values_list("pk", "username"))
    items = [
        {
            "user": names[user_id],
            "answers": answers[user_id],
            "counts": {f["name"]: dict(counts[user_id][f["name"]]) for f in fields},
        }
        for user_id in sorted(answers, key=lambda i: names[i])
    ]
    return {
        "project": project.pk,
        "period": period,
        "since": since,
        "fields": fields,
        "items": items,
    }
