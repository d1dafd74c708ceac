"""Creating projects and managing their members; used by the commands, the API and pages."""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput, StateConflict, refuse_nul
from wavetag.records.models import Dataset

from .beat_schema import is_beat_schema
from .models import (
    Assignment,
    ConflictPolicy,
    Membership,
    Project,
    Role,
)
from .schemas import SEGMENT_SECONDS, template_schema, validate_schema
from .tasks import make_tasks, matching_records

MAX_BATCH = 1000
MAX_WINDOW = 3600.0
MAX_SAMPLE = 100_000
SELECTION_KEYS = ("pattern", "annotation_set", "sample", "seed")


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name}: " + _("must be a number"))
    if not low <= value <= high:
        raise InvalidInput(
            f"{name}: "
            + _("must be between %(low)s and %(high)s") % {"low": f"{low:g}", "high": f"{high:g}"}
        )
    return float(value)


def _whole(name: str, value: Any, low: int, high: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            f"{name}: "
            + _("must be a whole number from %(low)s to %(high)s") % {"low": low, "high": high}
            + why
        )
    return value


def check_selection(raw: Any, dataset: Dataset) -> dict[str, Any]:
    """Which records of ``dataset`` a new project takes (``records`` of create_project):
    ``{}`` or None for all; ``pattern``, a glob on the record name (``1??``, ``v1*``);
    ``annotation_set``, only records that have an annotation (or event) set of that name;
    ``sample``, N records drawn at random from those, with ``seed`` (drawn here when not
    given). The filters combine. Returns what the project keeps: for a sample, the seed
    and the names drawn, so that the draw can be repeated and is never redrawn."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput(
            "records: " + _("must be an object (pattern, annotation_set, sample, seed)")
        )
    unknown = set(raw) - set(SELECTION_KEYS)
    if unknown:
        raise InvalidInput(
            f"records.{sorted(unknown)[0]}: "
            + _("unknown (%(names)s)") % {"names": ", ".join(SELECTION_KEYS)}
        )
    out: dict[str, Any] = {}
    for key, most in (("pattern", 255), ("annotation_set", 64)):
        value = raw.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value) > most:
            raise InvalidInput(
                f"records.{key}: " + _("must be a text of at most %(n)s characters") % {"n": most}
            )
        out[key] = refuse_nul(f"records.{key}", value)
    candidates = matching_records(dataset.pk, out.get("pattern", ""), out.get("annotation_set", ""))
    if raw.get("sample") is not None:
        size = _whole("records.sample", raw["sample"], 1, MAX_SAMPLE)
        seed = raw.get("seed")
        seed = secrets.randbelow(2**31) if seed is None else _whole("records.seed", seed, 0, 2**53)
        names = sorted(r.name for r in candidates)
        # Sorted names and our own Random: the same seed draws the same records anywhere.
        drawn = random.Random(seed).sample(names, min(size, len(names)))
        out.update(sample=size, seed=seed, records=sorted(drawn))
    elif raw.get("seed") is not None:
        raise InvalidInput("records.seed: " + _("only with records.sample"))
    if out and not candidates:
        raise InvalidInput(
            "records: " + _("no record of dataset %(dataset)s matches") % {"dataset": dataset.name}
        )
    return out


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
    records: Any = None,
    **settings: Any,
) -> Project:
    """Create a project on a built-in ``template`` (by name) or a custom ``schema``, and make
    its tasks from the records of the dataset (all, or the selection ``records``: see
    :func:`check_selection`), in one transaction. Settings left out come from the schema's
    defaults. The one way to create a project: the command, the API and the page call it."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("name: " + _("must be 1 to 200 characters"))
    refuse_nul("name", name)
    blind = _flag("blind", blind)
    description = refuse_nul("description", description)
    if Project.objects.filter(name=name).exists():
        raise StateConflict(
            "name: " + _("a project named %(name)r already exists") % {"name": name}
        )
    if isinstance(dataset, str):
        found = Dataset.objects.filter(name=refuse_nul("dataset", dataset)).first()
        if found is None:
            raise InvalidInput("dataset: " + _("no dataset named %(name)r") % {"name": dataset})
        dataset = found
    assert isinstance(dataset, Dataset)
    if (template is None) == (schema is None):
        raise InvalidInput("template: " + _("give a built-in template name or a custom schema"))
    if template is not None:
        checked = template_schema(template)
    else:
        try:
            checked = validate_schema(schema)
        except InvalidInput as exc:
            # Name the path from the request's top: schema.fields[1].choices...
            text = str(exc)
            raise InvalidInput(text if text.startswith("schema") else f"schema.{text}") from None
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
            raise InvalidInput(
                "segment_seconds: "
                + _("must be %(values)s") % {"values": _(" or ").join(map(str, SEGMENT_SECONDS))}
            )
        segment_seconds = float(seconds)
    elif segment_seconds is not None:
        raise InvalidInput(
            "segment_seconds: "
            + _("only for segment templates, not %(name)s") % {"name": checked["name"]}
        )
    if mode != "events" and (event_at is not None or event_set):
        raise InvalidInput(
            "event_at/event_set: "
            + _("only for event templates, not %(name)s") % {"name": checked["name"]}
        )
    if event_at is not None:
        event_at = _number("event_at", event_at, 0, 10**9)
    for label, text in (("event_set", event_set), ("event_match", event_match)):
        if len(text) > 64:
            raise InvalidInput(f"{label}: " + _("at most 64 characters"))
        refuse_nul(label, text)
    sets = [s for s in dict.fromkeys(visible_sets) if s]
    if any(not isinstance(s, str) or len(s) > 64 or "\x00" in s for s in sets):
        raise InvalidInput("visible_sets: " + _("must be annotation set names"))
    policy = _policy(checked, k, conflict_policy, max_annotators)
    unknown = set(settings) - set(PLAIN_SETTINGS)
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: " + _("unknown setting"))
    plain = {name: _plain(name, value) for name, value in settings.items() if value is not None}
    selection = check_selection(records, dataset)
    try:
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
                record_selection=selection,
                created_by=created_by,
            )
            if created_by is not None:
                # The creator runs the project (a site admin would anyway; someone
                # allowed to create projects later may not be one).
                Membership.objects.create(project=project, user=created_by, role=Role.ADMIN)
            make_tasks(project)
    except IntegrityError:
        # Another request created a project of this name since the check above.
        if Project.objects.filter(name=name).exists():
            raise StateConflict(
                "name: " + _("a project named %(name)r already exists") % {"name": name}
            ) from None
        raise
    return project


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name}: " + _("must be true or false"))
    return value


def _policy(schema: dict[str, Any], k: int, policy: Any, max_k: Any) -> dict[str, Any]:
    """The conflict policy and the most annotators a task may get, checked together:
    re-entry needs room for one more annotator, and beat tasks are adjudicated (a
    majority of corrected beat sets is not defined)."""
    if policy not in ConflictPolicy.values:
        raise InvalidInput(
            "conflict_policy: "
            + _("must be one of %(values)s") % {"values": ", ".join(ConflictPolicy.values)}
        )
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
    "open": None,
    "reveal_outcome": None,
    "practice_size": (0, 100),
    "practice_pass": (1, 100),
    "gold_rate": (0, 50),
    "leaderboard_anonymous": None,
    "machine_suggestions": None,
}
SETTINGS = ("conflict_policy", "max_annotators", *PLAIN_SETTINGS)

# What a project admin may change later, and until when (update_settings):
# - any time: the description, the batch size (the next claims) and PLAIN_SETTINGS (how
#   the next batches, evaluations and pages behave; decided tasks keep their outcome);
# - max_annotators: upward any time; downward only before the first answer (a task may
#   already have had more annotators by re-entry);
# - conflict_policy: any time. It is applied when a task's answers are all in, so it
#   governs the tasks still open; a task already in conflict stays in the adjudication
#   queue, and an expert's decision is where either policy ends when answers disagree;
# - until the first answer: blind and visible_sets (who saw what while answering);
#   annotators_per_task also only until the first claim (claims fill numbered slots);
# - never: what the tasks were cut from, and how, and the name others know the project
#   by in exports and commands (a new project is the way).
ANY_TIME = ("description", "batch_size", *PLAIN_SETTINGS)
UNTIL_ANSWERS = ("annotators_per_task", "blind", "visible_sets")
FIXED = (
    "name",
    "dataset",
    "template",
    "schema",
    "records",
    "window_before",
    "window_after",
    "event_at",
    "event_set",
    "event_match",
    "segment_seconds",
)
CHANGEABLE = ("conflict_policy", "max_annotators", *ANY_TIME, *UNTIL_ANSWERS)


def _plain(name: str, value: Any) -> Any:
    limits = PLAIN_SETTINGS[name]
    return _flag(name, value) if limits is None else _whole(name, value, *limits)


def _text(name: str, value: Any, most: int) -> str:
    if not isinstance(value, str) or len(value) > most:
        raise InvalidInput(
            f"{name}: " + _("must be a text of at most %(n)s characters") % {"n": most}
        )
    return refuse_nul(name, value)


def _sets(value: Any) -> list[str]:
    if not isinstance(value, list) or any(
        not isinstance(s, str) or len(s) > 64 or "\x00" in s for s in value
    ):
        raise InvalidInput("visible_sets: " + _("must be a list of annotation set names"))
    return [s for s in dict.fromkeys(value) if s]


def update_settings(project: Project, data: Any, *, answered: bool = False) -> Project:
    """Change the settings of a project (project admins): the description, the batch
    size, the conflict policy and the most annotators a task may get, whether annotators
    see the outcome of their final tasks, the practice test (``practice_size`` tasks,
    passed at ``practice_pass`` percent), the share of hidden gold tasks in each batch
    (``gold_rate`` percent), a leaderboard without names and whether diagnosis forms
    start from the automatic analysis's statements (``machine_suggestions``); before any
    answer also the number of annotators per task, blind and the visible sets. Which
    setting may change when is listed above ``ANY_TIME``; a refusal is a StateConflict
    naming the setting. ``answered``: whether the project has answers (the caller knows:
    answers live in a higher app, see ``annotations.changes.change_settings``). Tasks
    already decided keep their outcome; the next evaluations follow the new settings."""
    if not isinstance(data, dict):
        raise InvalidInput("body: " + _("must be a JSON object"))
    fixed = sorted(set(data) & set(FIXED))
    if fixed:
        how = (
            _("replace it with PUT /projects/{id}/schema before any answer")
            if fixed[0] == "schema"
            else _("create a new project to change it")
        )
        raise StateConflict(
            f"{fixed[0]}: " + _("fixed when the project was created; %(how)s") % {"how": how}
        )
    unknown = set(data) - set(CHANGEABLE)
    if unknown:
        raise InvalidInput(
            f"{sorted(unknown)[0]}: "
            + _("unknown setting (%(names)s)") % {"names": ", ".join(CHANGEABLE)}
        )
    plain = {name: _plain(name, value) for name, value in data.items() if name in PLAIN_SETTINGS}
    if "description" in data:
        plain["description"] = _text("description", data["description"], 10_000)
    if "batch_size" in data:
        plain["batch_size"] = _whole("batch_size", data["batch_size"], 1, MAX_BATCH)
    if "blind" in data:
        plain["blind"] = _flag("blind", data["blind"])
    if "visible_sets" in data:
        plain["visible_sets"] = _sets(data["visible_sets"])
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        for name in UNTIL_ANSWERS:
            if name in data and data[name] != getattr(project, name) and answered:
                raise StateConflict(f"{name}: " + _("cannot change once the project has answers"))
        k = project.annotators_per_task
        if "annotators_per_task" in data:
            limit = project.schema["max_annotators"]
            k = _whole("annotators_per_task", data["annotators_per_task"], 1, limit)
            claimed = Assignment.objects.filter(task__project=project).exists()
            if k != project.annotators_per_task and claimed:
                raise StateConflict(
                    "annotators_per_task: " + _("cannot change once tasks are claimed")
                )
        policy = data.get("conflict_policy", project.conflict_policy)
        max_k = data.get("max_annotators")
        if max_k is None and ("conflict_policy" not in data or answered):
            max_k = max(project.max_annotators, k)
        checked = _policy(project.schema, k, policy, max_k)
        if answered and checked["max_annotators"] < project.max_annotators:
            raise StateConflict(
                f"max_annotators: may only grow once the project has answers (now "
                f"{project.max_annotators}: tasks may have had that many annotators)"
            )
        project.annotators_per_task = k
        project.conflict_policy = checked["conflict_policy"]
        project.max_annotators = checked["max_annotators"]
        for name, value in plain.items():
            setattr(project, name, value)
        project.save(update_fields=list(CHANGEABLE))
    return project


# The fields of a request to create a project (API body, page form): their JSON types.
CREATE_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "dataset": (str,),
    "template": (str,),
    "schema": (dict,),
    "description": (str,),
    "records": (dict,),
    "annotators_per_task": (int,),
    "batch_size": (int,),
    "blind": (bool,),
    "window_before": (int, float),
    "window_after": (int, float),
    "event_at": (int, float),
    "event_set": (str,),
    "event_match": (str,),
    "segment_seconds": (int, float),
    "visible_sets": (list,),
    "conflict_policy": (str,),
    "max_annotators": (int,),
    **{name: (bool,) if limits is None else (int,) for name, limits in PLAIN_SETTINGS.items()},
}


def create_from_data(data: Any, created_by: Any) -> Project:
    """:func:`create_project` from a request's JSON object (the API's body, the page's
    form turned into the same), refusing unknown fields and wrong types by name. A field
    given as null is left out (its default applies)."""
    if not isinstance(data, dict):
        raise InvalidInput("body: " + _("must be a JSON object"))
    unknown = set(data) - set(CREATE_FIELDS)
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: " + _("unknown field"))
    given = {k: v for k, v in data.items() if v is not None}
    for key, types in CREATE_FIELDS.items():
        value = given.get(key)
        if value is None or key == "schema":  # validate_schema names what is wrong
            continue
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            kind = {
                str: _("must be a text"),
                dict: _("must be an object"),
                list: _("must be a list"),
                bool: _("must be true or false"),
            }
            raise InvalidInput(f"{key}: " + kind.get(types[0], _("must be a number")))
    if "name" not in given:
        raise InvalidInput("name: " + _("required"))
    if "dataset" not in given:
        raise InvalidInput("dataset: " + _("required"))
    name, dataset = given.pop("name"), given.pop("dataset")
    given.setdefault("conflict_policy", ConflictPolicy.ADJUDICATE)
    return create_project(name, dataset, created_by=created_by, **given)


def find_user(username: str) -> Any:
    user_model = get_user_model()
    refuse_nul("username", username)
    user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        raise InvalidInput("username: " + _("no user named %(name)r") % {"name": username})
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
            _("%(user)s is the last admin of %(project)s: make someone else admin first")
            % {"user": user.get_username(), "project": project.name}
        )


def add_member(
    project: Project, user: Any, role: str, *, allow_no_admin: bool = False
) -> Membership:
    """Make ``user`` a member with ``role``, or change the role of a member. The last
    admin keeps the admin role unless ``allow_no_admin`` (site admins, from the command)."""
    if role not in Role.values:
        raise InvalidInput(
            "role: " + _("must be one of %(values)s") % {"values": ", ".join(Role.values)}
        )
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
        "open": project.open,
        "batch_size": project.batch_size,
        "blind": project.blind,
        "window_before": project.window_before,
        "window_after": project.window_after,
        "segment_seconds": project.segment_seconds,
        "event_at": project.event_at,
        "event_set": project.event_set,
        "visible_sets": project.visible_sets,
        "record_selection": project.record_selection,
    }
