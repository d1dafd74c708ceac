"""Agreement statistics of a project, and labels aggregated from its answers.

What adjudicators and project admins see of how far the annotators agree: for each
agreement field of a form project, percent agreement, Fleiss' kappa (or Krippendorff's
alpha when tasks have different numbers of answers), Cohen's kappa per annotator pair,
the coincidence table; per annotator, agreement with the final labels (per class
sensitivity and precision) and the Dawid–Skene estimate of their confusion matrix and
accuracy. A beat-correction project gets beat agreement instead (``beat_agreement``).
The statistics are the signal core's (``wavetag.signal.ratings``, ``signal.crowd``).

Only the submitted answers of each task's current assignees count, as for consensus. The
tasks the requesting user is blind to are left out entirely, their answers too: an expert
who annotates in the project must not learn the others' answers through a kappa, a
confusion table or an aggregated label.

How the answers to a field become categories:

- choice: the value (Uncertain and Reject are categories like the others);
- multi: the set of sure items (``label_of``) as one category, e.g. ``normal+pvc`` or
  ``(none)``; and per choice anyone named, ``present``/``absent`` (``per_choice``);
- number: the value, as a nominal category.

An answer that leaves a field out (no rhythm for a segment of poor quality) gives no
rating for it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet

from wavetag.errors import InvalidInput
from wavetag.projects.access import blind_tasks, require_role
from wavetag.projects.beat_schema import is_beat_schema
from wavetag.projects.models import DecidedBy, Project, Role, Task, TaskStatus
from wavetag.projects.schemas import label_of
from wavetag.signal.crowd import dawid_skene
from wavetag.signal.ratings import Item, field_agreement, versus_reference

from .beat_agreement import beat_agreement
from .models import Annotation, AnnotationStatus

NONE = "(none)"
PRESENT, ABSENT = "present", "absent"
AGGREGATES = ("dawid-skene",)


@dataclass
class Answers:
    """The answers the statistics may use, as labels (``label_of``)."""

    tasks: QuerySet[Task]  # the project's tasks the user is not blind to
    labels: dict[int, dict[str, dict[str, Any]]]  # task id -> annotator -> label
    finals: dict[int, dict[str, Any]]  # task id -> final label, for final tasks
    excluded_blind: int
    # The tasks with at least one answer, in id order: the items of every statistic.
    order: list[int]


def collect(project: Project, user: Any) -> Answers:
    """The submitted answers of current assignees on the tasks ``user`` is not blind to
    (``user`` None: every task, for callers that checked nothing is hidden)."""
    blind = blind_tasks(project, user) if user is not None else Task.objects.none()
    tasks = Task.objects.filter(project=project).exclude(id__in=blind.values("id"))
    rows = Annotation.objects.filter(
        task__in=tasks, status=AnnotationStatus.SUBMITTED, user__assignments__task=F("task")
    ).values_list("task_id", "user__username", "answer")
    schema = project.schema
    labels: dict[int, dict[str, dict[str, Any]]] = {}
    for task_id, name, answer in rows:
        labels.setdefault(task_id, {})[name] = label_of(schema, answer or {})
    finals = dict(
        tasks.filter(status__in=TaskStatus.final(), final_label__isnull=False).values_list(
            "id", "final_label"
        )
    )
    return Answers(tasks, labels, finals, blind.count(), sorted(labels))


# -- categories -----------------------------------------------------------------------------


def _category(field: dict[str, Any], value: Any) -> Hashable | None:
    """A field's value (from a label) as one category; None when not answered."""
    if field["type"] == "multi":
        return ("+".join(value) or NONE) if isinstance(value, list) else None
    return value


def _categories(field: dict[str, Any], values: Iterable[Hashable]) -> list[Hashable]:
    """A choice field's choices in schema order (values it no longer lists after them, so
    that a statistic never fails on old data); else the values seen, sorted."""
    seen = list(dict.fromkeys(values))
    if field["type"] == "choice":
        known: list[Hashable] = [c["value"] for c in field["choices"]]
        return known + [v for v in seen if v not in known]
    return sorted(seen, key=lambda v: (v != NONE, v))


def _ratings(field: dict[str, Any], a: Answers) -> list[dict[str, Hashable]]:
    """One item per task of ``a.order``: each annotator's category."""
    name = field["name"]
    items = []
    for task_id in a.order:
        by = ((r, _category(field, label.get(name))) for r, label in a.labels[task_id].items())
        items.append({r: c for r, c in by if c is not None})
    return items


def _per_choice(field: dict[str, Any], a: Answers) -> dict[str, list[Item]]:
    """For a multi field, per choice anyone named: each annotator's present/absent."""
    name = field["name"]
    named = {c for t in a.order for label in a.labels[t].values() for c in label.get(name) or []}
    return {
        choice: [
            {r: PRESENT if choice in (label.get(name) or []) else ABSENT for r, label in by.items()}
            for by in (a.labels[t] for t in a.order)
        ]
        for choice in (c["value"] for c in field["choices"])
        if choice in named
    }


# -- agreement ------------------------------------------------------------------------------


def _annotators(
    items: Sequence[dict[str, Hashable]],
    order: Sequence[int],
    reference: dict[int, Hashable],
    categories: Sequence[Hashable],
) -> dict[str, dict[str, Any]]:
    """Per annotator: tasks answered, and their answers against the final labels."""
    out: dict[str, dict[str, Any]] = {}
    for rater in sorted({r for item in items for r in item}):
        answered = [(t, item[rater]) for t, item in zip(order, items, strict=True) if rater in item]
        pairs = [(c, reference[t]) for t, c in answered if t in reference]
        versus = None
        if pairs:
            versus = versus_reference([c for c, _ in pairs], [r for _, r in pairs], categories)
        out[rater] = {"tasks": len(answered), "versus_final": versus}
    return out


def _dawid_skene(items: Sequence[Item], categories: Sequence[Hashable]) -> dict[str, Any] | None:
    if not any(items):
        return None
    ds = dawid_skene(items, categories)
    return {
        "annotators": {
            r: {"accuracy": ds.accuracy[r], "confusion": ds.confusion[r]} for r in ds.accuracy
        },
        "priors": {str(c): p for c, p in ds.priors.items()},
        "converged": ds.converged,
    }


def _field(field: dict[str, Any], a: Answers) -> dict[str, Any]:
    items = _ratings(field, a)
    reference = {
        t: c
        for t in a.order
        if t in a.finals and (c := _category(field, a.finals[t].get(field["name"]))) is not None
    }
    values = [v for item in items for v in item.values()]
    categories = _categories(field, [*values, *reference.values()])
    out: dict[str, Any] = {
        "type": field["type"],
        "label": field["label"],
        **field_agreement(items, categories),
        "annotators": _annotators(items, a.order, reference, categories),
        "dawid_skene": _dawid_skene(items, categories),
    }
    if field["type"] == "multi":
        out["per_choice"] = {
            choice: field_agreement(binary, [PRESENT, ABSENT])
            for choice, binary in _per_choice(field, a).items()
        }
    return out


def _outcomes(tasks: QuerySet[Task]) -> dict[str, Any]:
    """Of the tasks whose answers are all in, how many were settled without an expert."""
    complete = tasks.exclude(status=TaskStatus.OPEN)
    n = complete.count()
    agreed = complete.filter(decided_by__in=[DecidedBy.AGREED, DecidedBy.MAJORITY]).count()
    return {"tasks": n, "agreed": agreed, "share": agreed / n if n else None}


def project_agreement(project: Project, user: Any) -> dict[str, Any]:
    """Every agreement statistic of the project, JSON-ready; adjudicators and project
    admins only (``NotAllowed`` otherwise).

    ``{"project", "kind", "tasks" (tasks with answers used), "answers", "excluded_blind"
    (tasks left out because the user annotates them), "agreed_without_adjudication",
    "fields": {name: {field_agreement..., "annotators", "dawid_skene", "per_choice"?}},
    "beats" (beat-correction projects)}``
    """
    require_role(user, project, Role.ADJUDICATOR)
    return statistics(project, user)


def statistics(project: Project, user: Any = None) -> dict[str, Any]:
    """:func:`project_agreement` without the role check: ``user`` None reads every task
    (a release bundle, written by the command line, which has no blind users)."""
    a = collect(project, user)
    beats = is_beat_schema(project.schema)
    fields = {f["name"]: f for f in project.schema["fields"]}
    out: dict[str, Any] = {
        "project": project.pk,
        "kind": "beats" if beats else "labels",
        "tasks": len(a.labels),
        "answers": sum(len(by) for by in a.labels.values()),
        "excluded_blind": a.excluded_blind,
        "agreed_without_adjudication": _outcomes(a.tasks),
        "fields": {name: _field(fields[name], a) for name in project.schema["agreement"]},
    }
    if beats:
        out["beats"] = beat_agreement(a.tasks)
    return out


# -- aggregation ----------------------------------------------------------------------------


def aggregate_labels(
    project: Project, user: Any, method: str = "dawid-skene"
) -> dict[int, dict[str, Any]]:
    """Per task with answers ``user`` may see (none of the tasks they are blind to), per
    agreement field, the aggregated ``{"label", "p"}``: the Dawid–Skene class and its
    probability; for a multi field, the choices whose posterior of being present is at
    least 0.5 (sorted, as ``label_of``) and that posterior per choice anyone named. Tasks
    left out get no entry."""
    if method not in AGGREGATES:
        raise InvalidInput(f"aggregate: must be one of {', '.join(AGGREGATES)}, not {method!r}")
    if is_beat_schema(project.schema):
        raise InvalidInput(
            "aggregate: a beat-correction project's answers are beat sets, which are "
            "compared beat by beat, not aggregated"
        )
    a = collect(project, user)
    out: dict[int, dict[str, Any]] = {t: {} for t in a.order}
    fields = {f["name"]: f for f in project.schema["fields"]}
    for name in project.schema["agreement"]:
        field = fields[name]
        if field["type"] == "multi":
            present = {
                choice: [post[PRESENT] for post in dawid_skene(items, [PRESENT, ABSENT]).posteriors]
                for choice, items in _per_choice(field, a).items()
            }
            for i, t in enumerate(a.order):
                p = {choice: posts[i] for choice, posts in present.items()}
                out[t][name] = {"label": sorted(c for c, x in p.items() if x >= 0.5), "p": p}
            continue
        items = _ratings(field, a)
        if not any(items):
            for t in a.order:
                out[t][name] = {"label": None, "p": None}
            continue
        ds = dawid_skene(items, _categories(field, [v for it in items for v in it.values()]))
        for i, t in enumerate(a.order):
            out[t][name] = {"label": ds.labels[i], "p": ds.p[i]}
    return out
