"""Creating projects and managing their members; used by the commands, the API and pages."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from wavetag.errors import InvalidInput, StateConflict, refuse_nul
from wavetag.records.models import Dataset

from .beat_schema import is_beat_schema
from .models import ConflictPolicy, Membership, Project, Role
from .schemas import SEGMENT_SECONDS, template_schema, validate_schema
from .tasks import make_tasks

MAX_BATCH = 1000
MAX_WINDOW = 3600.0


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name}: must be a number")
    if not low <= value <= high:
        raise InvalidInput(f"{name}: must be between {low:g} and {high:g}")
    return float(value)


def _whole(name: str, value: Any, low: int, high: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{name}: must be a whole number from {low} to {high}{why}")
    return value


def create_project(
    name: str,
    dataset: str | Dataset,
    *,
    template: str | None = None,
    schema: dict[str, Any] | None = None,
    annotators_per_task: int | None = None,
    batch_size: int | None = None,
    blind: bool = True,
    window_before: float | None = None,
    window_after: float | None = None,
    event_at: float | None = None,
    event_set: str = "",
    event_match: str = "",
    segment_seconds: float | None = None,
    visible_sets: Iterable[str] = (),
    description: str = "",
    created_by: Any = None,
    conflict_policy: str = ConflictPolicy.ADJUDICATE,
    max_annotators: int | None = None,
    **settings: Any,
) -> Project:
    """Create a project on a built-in ``template`` (by name) or a custom ``schema``, and make
    its tasks from the records of the dataset. Settings left out come from the schema's
    defaults."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("name: must be 1 to 200 characters")
    if Project.objects.filter(name=name).exists():
        raise InvalidInput(f"name: a project named {name!r} already exists")
    if isinstance(dataset, str):
        found = Dataset.objects.filter(name=dataset).first()
        if found is None:
            raise InvalidInput(f"dataset: no dataset named {dataset!r}")
        dataset = found
    if (template is None) == (schema is None):
        raise InvalidInput("template: give a built-in template name or a custom schema")
    if template is not None:
        checked = template_schema(template)
    else:
        checked = validate_schema(schema)
        template = "custom"
    defaults = checked["defaults"]
    mode = checked["tasks"]
    max_k = checked["max_annotators"]
    k = _whole(
        "annotators_per_task",
        annotators_per_task
        if annotators_per_task is not None
        else defaults.get("annotators_per_task", 2),
        1,
        max_k,
        f" (the {checked['name']} schema allows at most {max_k})",
    )
    size = _whole(
        "batch_size",
        batch_size if batch_size is not None else defaults.get("batch_size", 10),
        1,
        MAX_BATCH,
    )
    before = _number(
        "window_before",
        window_before if window_before is not None else defaults.get("window_before", 10.0),
        0,
        MAX_WINDOW,
    )
    after = _number(
        "window_after",
        window_after if window_after is not None else defaults.get("window_after", 0.0),
        0,
        MAX_WINDOW,
    )
    if mode == "segments":
        seconds = (
            segment_seconds if segment_seconds is not None else defaults.get("segment_seconds", 30)
        )
        if seconds not in SEGMENT_SECONDS:
            raise InvalidInput(f"segment_seconds: must be {' or '.join(map(str, SEGMENT_SECONDS))}")
        segment_seconds = float(seconds)
    elif segment_seconds is not None:
        raise InvalidInput(f"segment_seconds: only for segment templates, not {checked['name']}")
    if mode != "events" and (event_at is not None or event_set):
        raise InvalidInput(f"event_at/event_set: only for event templates, not {checked['name']}")
    if event_at is not None:
        event_at = _number("event_at", event_at, 0, 10**9)
    for label, text in (("event_set", event_set), ("event_match", event_match)):
        if len(text) > 64:
            raise InvalidInput(f"{label}: at most 64 characters")
    sets = [s for s in dict.fromkeys(visible_sets) if s]
    if any(not isinstance(s, str) or len(s) > 64 for s in sets):
        raise InvalidInput("visible_sets: must be annotation set names")
    policy = _policy(checked, k, conflict_policy, max_annotators)
    unknown = set(settings) - set(PLAIN_SETTINGS)
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: unknown setting")
    plain = {name: _plain(name, value) for name, value in settings.items() if value is not None}
    with transaction.atomic():
        project = Project.objects.create(
            name=name,
            conflict_policy=policy["conflict_policy"],
            max_annotators=policy["max_annotators"],
            **plain,
            description=description,
            dataset=dataset,
            template=template,
            schema=checked,
            annotators_per_task=k,
            batch_size=size,
            blind=blind,
            window_before=before,
            window_after=after,
            event_at=event_at,
            event_set=event_set,
            event_match=event_match,
            segment_seconds=segment_seconds,
            visible_sets=sets,
            created_by=created_by,
        )
        make_tasks(project)
    return project


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name}: must be true or false")
    return value


def _policy(schema: dict[str, Any], k: int, policy: Any, max_k: Any) -> dict[str, Any]:
    """The conflict policy and the most annotators a task may get, checked together:
    re-entry needs room for one more annotator, and beat tasks are adjudicated (a
    majority of corrected beat sets is not defined)."""
    if policy not in ConflictPolicy.values:
        raise InvalidInput(f"conflict_policy: must be one of {', '.join(ConflictPolicy.values)}")
    limit = schema["max_annotators"]
    if max_k is None:
        max_k = min(k + 1, limit) if policy == ConflictPolicy.REENTER else k
    max_k = _whole(
        "max_annotators",
        max_k,
        k,
        limit,
        f" (at least annotators_per_task, and the {schema['name']} schema allows {limit})",
    )
    if policy == ConflictPolicy.REENTER:
        if is_beat_schema(schema):
            raise InvalidInput(
                "conflict_policy: beat-correction tasks are adjudicated beat by beat; "
                "reenter is for form tasks"
            )
        if max_k <= k:
            raise InvalidInput(
                f"max_annotators: reenter needs room for one more annotator than the {k} "
                f"per task (at most {limit} for the {schema['name']} schema)"
            )
    return {"conflict_policy": policy, "max_annotators": max_k}


# Settings checked on their own: (low, high) for whole numbers, None for true/false.
PLAIN_SETTINGS: dict[str, tuple[int, int] | None] = {
    "reveal_outcome": None,
    "practice_size": (0, 100),
    "practice_pass": (1, 100),
    "gold_rate": (0, 50),
    "leaderboard_anonymous": None,
    "machine_suggestions": None,
}
SETTINGS = ("conflict_policy", "max_annotators", *PLAIN_SETTINGS)


def _plain(name: str, value: Any) -> Any:
    limits = PLAIN_SETTINGS[name]
    return _flag(name, value) if limits is None else _whole(name, value, *limits)


def update_settings(project: Project, data: Any) -> Project:
    """Change the workflow settings of a running project (project admins): the conflict
    policy and the most annotators a task may get, whether annotators see the outcome of
    their final tasks, the practice test (``practice_size`` tasks, passed at
    ``practice_pass`` percent), the share of hidden gold tasks in each batch
    (``gold_rate`` percent), a leaderboard without names and whether diagnosis forms
    start from the automatic analysis's statements (``machine_suggestions``). Tasks
    already decided keep their outcome; the next evaluations follow the new settings."""
    if not isinstance(data, dict):
        raise InvalidInput("body: must be a JSON object")
    unknown = set(data) - set(SETTINGS)
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: unknown setting ({', '.join(SETTINGS)})")
    plain = {name: _plain(name, value) for name, value in data.items() if name in PLAIN_SETTINGS}
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        policy = data.get("conflict_policy", project.conflict_policy)
        max_k = data.get("max_annotators")
        if max_k is None and "conflict_policy" not in data:
            max_k = project.max_annotators
        checked = _policy(project.schema, project.annotators_per_task, policy, max_k)
        project.conflict_policy = checked["conflict_policy"]
        project.max_annotators = checked["max_annotators"]
        for name, value in plain.items():
            setattr(project, name, value)
        project.save(update_fields=list(SETTINGS))
    return project


def find_user(username: str) -> Any:
    user_model = get_user_model()
    refuse_nul("username", username)
    user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        raise InvalidInput(f"username: no user named {username!r}")
    return user


def keep_an_admin(project: Project, user: Any, allow_no_admin: bool) -> None:
    """Refuse to take the admin role from the last admin of a project: nobody could then
    invite, add members or release assignments but a site admin. Runs inside the caller's
    transaction, with the project's row locked, so that two admins removing each other at
    the same moment cannot both succeed."""
    if allow_no_admin:
        return
    Project.objects.select_for_update().filter(pk=project.pk).first()
    admins = Membership.objects.filter(project=project, role=Role.ADMIN)
    if not admins.exclude(user=user).exists():
        raise StateConflict(
            f"{user.get_username()} is the last admin of {project.name}: make someone else "
            "admin first"
        )


def add_member(
    project: Project, user: Any, role: str, *, allow_no_admin: bool = False
) -> Membership:
    """Make ``user`` a member with ``role``, or change the role of a member. The last
    admin keeps the admin role unless ``allow_no_admin`` (site admins, from the command)."""
    if role not in Role.values:
        raise InvalidInput(f"role: must be one of {', '.join(Role.values)}")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            project=project, user=user, defaults={"role": role}
        )
        if not created and membership.role != role:
            if membership.role == Role.ADMIN:
                keep_an_admin(project, user, allow_no_admin)
            membership.role = role
            membership.save(update_fields=["role"])
    return membership


def set_paused(membership: Membership, paused: bool) -> Membership:
    """Pause a member (no new batches until resumed), or resume them."""
    membership.paused_at = (membership.paused_at or timezone.now()) if paused else None
    membership.save(update_fields=["paused_at"])
    return membership


def find_project(name_or_id: str) -> Project:
    project = Project.objects.filter(name=name_or_id).first()
    if project is None and name_or_id.isascii() and name_or_id.isdigit():
        project = Project.objects.filter(pk=int(name_or_id)).first()
    if project is None:
        raise InvalidInput(f"project: no project named {name_or_id!r}")
    return project


def describe(project: Project, role: str | None = None) -> dict[str, Any]:
    return {
        "id": project.pk,
        "name": project.name,
        "description": project.description,
        "template": project.template,
        "dataset": project.dataset.name,
        "role": role,
        "annotators_per_task": project.annotators_per_task,
        "conflict_policy": project.conflict_policy,
        "max_annotators": project.max_annotators,
        "reveal_outcome": project.reveal_outcome,
        "practice_size": project.practice_size,
        "practice_pass": project.practice_pass,
        "gold_rate": project.gold_rate,
        "leaderboard_anonymous": project.leaderboard_anonymous,
        "machine_suggestions": project.machine_suggestions,
        "batch_size": project.batch_size,
        "blind": project.blind,
        "window_before": project.window_before,
        "window_after": project.window_after,
        "segment_seconds": project.segment_seconds,
        "event_at": project.event_at,
        "event_set": project.event_set,
        "visible_sets": project.visible_sets,
    }
