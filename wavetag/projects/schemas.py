"""Label schemas: validation of a schema (built-in or custom JSON), of answers to it, and
what an answer means for agreement.

A schema is a dict::

    {"name": "...", "title": "...", "tasks": "record" | "events" | "segments",
     "type"?: "labels" | "beats", "start_set"?: "automatic" | "<set name>",
     "max_annotators": 1..5, "defaults": {"annotators_per_task": 2, ...},
     "fields": [field, ...], "agreement": ["field name", ...]}

A ``"type": "beats"`` schema is a beat-correction project (``beat_schema``): its answers
are corrected beat sets, compared beat by beat; its fields (none needed) are notes and
its agreement list is empty.

and a field is one of::

    {"name", "label", "type": "choice", "required", "choices": [{"value", "label", "key",
     "unsure"? | "reject"?, "group"?}], "depends_on"?, "optional_when"?: {"other field": [values]}}
    {"name", "type": "multi", "choices": [...], "grades"?: [{"value", "label", "key",
     "unsure"?}], "min_items"?, "max_items"?}
    {"name", "type": "text", "max_length"?}
    {"name", "type": "number", "min"?, "max"?}

A field's ``label`` and ``help`` and a choice's or grade's ``label`` may be one text or
one per language (``{"en": "Rhythm", "zh-hans": "节律"}``; ``schema_text`` picks the shown
one). Every message of ``InvalidInput`` names the field at fault.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput, refuse_nul

from .beat_schema import check_task_type
from .builtin import TEMPLATES
from .models import MAX_ANNOTATORS
from .schema_text import language_codes

FIELD_TYPES = ("choice", "multi", "text", "number")
TASK_MODES = ("record", "events", "segments")
# Names the annotation request uses for itself.
RESERVED_NAMES = {"comment", "status", "id", "task", "user", "final_label", "beats"}
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
KEY = re.compile(r"^[a-z0-9]$")
DEFAULT_KEYS = {
    "annotators_per_task",
    "batch_size",
    "window_before",
    "window_after",
    "segment_seconds",
}
SEGMENT_SECONDS = (10, 30)
MAX_TEXT = 20000


class SchemaError(InvalidInput):
    """A custom schema that cannot be used; the message names the offending part."""


def template_names() -> list[str]:
    return sorted(TEMPLATES)


def template_schema(name: str) -> dict[str, Any]:
    if name not in TEMPLATES:
        raise SchemaError(
            _("template: unknown template %(name)s (one of %(names)s)")
            % {"name": repr(name), "names": ", ".join(template_names())}
        )
    return validate_schema(TEMPLATES[name])


# -- schema validation -------------------------------------------------------------------


def _str(where: str, value: Any, *, max_len: int = 200, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()) or len(value) > max_len:
        raise SchemaError(
            _("%(at)s: must be a text of 1 to %(n)s characters") % {"at": where, "n": max_len}
        )
    return value


def _label(where: str, value: Any, *, max_len: int = 200) -> str | dict[str, str]:
    """A text shown to readers: one text, or one per language ({"en": ..., "zh-hans": ...};
    see ``schema_text``)."""
    if not isinstance(value, dict):
        return _str(where, value, max_len=max_len)
    codes = language_codes()
    unknown = sorted(set(value) - set(codes))
    if not value or unknown:
        raise SchemaError(
            _("%(at)s: a text per language must map some of %(codes)s to texts")
            % {"at": where, "codes": ", ".join(codes)}
            + (
                " " + _("(unknown: %(names)s)") % {"names": ", ".join(map(str, unknown))}
                if unknown
                else ""
            )
        )
    return {code: _str(f"{where}.{code}", value[code], max_len=max_len) for code in value}


def _bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SchemaError(_("%(at)s: must be true or false") % {"at": where})
    return value


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SchemaError(_("%(at)s: must be a number") % {"at": where})
    return value


def _choice_list(where: str, raw: Any, *, grouped: bool, need_keys: bool) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= 500:
        raise SchemaError(_("%(at)s: must be a list of 1 to 500 choices") % {"at": where})
    out, seen = [], set()
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if isinstance(item, str):
            item = {"value": item}
        if not isinstance(item, dict):
            raise SchemaError(_("%(at)s: must be an object with a value") % {"at": at})
        unknown = set(item) - {"value", "label", "key", "unsure", "reject", "group"}
        if unknown:
            raise SchemaError(
                _("%(at)s: unknown entries %(names)s")
                % {"at": at, "names": ", ".join(sorted(unknown))}
            )
        value = _str(f"{at}.value", item.get("value"), max_len=64)
        if value in seen:
            raise SchemaError(
                _("%(at)s: %(value)s appears twice") % {"at": f"{at}.value", "value": repr(value)}
            )
        seen.add(value)
        choice: dict[str, Any] = {"value": value, "label": value}
        if "label" in item:
            choice["label"] = _label(f"{at}.label", item["label"])
        if "key" in item:
            key = item["key"]
            if not isinstance(key, str) or not KEY.match(key):
                raise SchemaError(
                    _("%(at)s: must be one lower-case letter or digit") % {"at": f"{at}.key"}
                )
            choice["key"] = key
        elif need_keys:
            raise SchemaError(
                _("%(at)s: every decision needs a keyboard shortcut") % {"at": f"{at}.key"}
            )
        if item.get("unsure"):
            choice["unsure"] = _bool(f"{at}.unsure", item["unsure"])
        if item.get("reject"):
            choice["reject"] = _bool(f"{at}.reject", item["reject"])
            if choice.get("unsure"):
                raise SchemaError(_("%(at)s: a choice is unsure or reject, not both") % {"at": at})
        if grouped:
            choice["group"] = _str(f"{at}.group", item.get("group"), max_len=64)
        elif "group" in item:
            raise SchemaError(_("%(at)s: only for a field with depends_on") % {"at": f"{at}.group"})
        out.append(choice)
    return out


def _field(i: int, raw: Any, earlier: dict[str, dict[str, Any]]) -> dict[str, Any]:
    at = f"fields[{i}]"
    if not isinstance(raw, dict):
        raise SchemaError(_("%(at)s: must be an object") % {"at": at})
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise SchemaError(
            _("%(at)s: must be lower-case letters, digits or _ (1 to 40)") % {"at": f"{at}.name"}
        )
    at = f"field {name!r}"
    if name in RESERVED_NAMES:
        raise SchemaError(
            _("%(at)s: the name is reserved (%(names)s)")
            % {"at": at, "names": ", ".join(sorted(RESERVED_NAMES))}
        )
    if name in earlier:
        raise SchemaError(_("%(at)s: appears twice") % {"at": at})
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        raise SchemaError(
            _("%(at)s: must be one of %(names)s")
            % {"at": f"{at}.type", "names": ", ".join(FIELD_TYPES)}
        )
    allowed = {"name", "label", "type", "required", "help", "optional_when"}
    allowed |= {
        "choice": {"choices", "depends_on"},
        "multi": {"choices", "grades", "min_items", "max_items"},
        "text": {"max_length"},
        "number": {"min", "max"},
    }[kind]
    unknown = set(raw) - allowed
    if unknown:
        raise SchemaError(
            _("%(at)s: unknown entries %(names)s for a %(kind)s field")
            % {"at": at, "names": ", ".join(sorted(unknown)), "kind": kind}
        )
    field: dict[str, Any] = {
        "name": name,
        "type": kind,
        "label": _label(f"{at}.label", raw.get("label", name)),
        "required": _bool(f"{at}.required", raw.get("required", False)),
    }
    if "help" in raw:
        field["help"] = _label(f"{at}.help", raw["help"], max_len=2000)
    if kind == "choice":
        parent = raw.get("depends_on")
        if parent is not None:
            if parent not in earlier or earlier[parent]["type"] != "choice":
                raise SchemaError(
                    _("%(at)s: must name a choice field defined before it")
                    % {"at": f"{at}.depends_on"}
                )
            field["depends_on"] = parent
        field["choices"] = _choice_list(
            f"{at}.choices", raw.get("choices"), grouped=parent is not None, need_keys=True
        )
        if parent is not None:
            parent_values = {c["value"] for c in earlier[parent]["choices"]}
            for c in field["choices"]:
                if c["group"] not in parent_values:
                    raise SchemaError(
                        _("%(at)s: group %(group)s of %(value)s is not a choice of %(parent)s")
                        % {
                            "at": f"{at}.choices",
                            "group": repr(c["group"]),
                            "value": repr(c["value"]),
                            "parent": repr(parent),
                        }
                    )
    elif kind == "multi":
        field["choices"] = _choice_list(
            f"{at}.choices", raw.get("choices"), grouped=False, need_keys=False
        )
        if "grades" in raw:
            field["grades"] = _choice_list(
                f"{at}.grades", raw["grades"], grouped=False, need_keys=True
            )
        for bound in ("min_items", "max_items"):
            if bound in raw:
                value = raw[bound]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise SchemaError(
                        _("%(at)s: must be a whole number ≥ 0") % {"at": f"{at}.{bound}"}
                    )
                field[bound] = value
    elif kind == "text":
        value = raw.get("max_length", 2000)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TEXT:
            raise SchemaError(
                _("%(at)s: must be a whole number from 1 to %(n)s")
                % {"at": f"{at}.max_length", "n": MAX_TEXT}
            )
        field["max_length"] = value
    else:
        for bound in ("min", "max"):
            if bound in raw:
                field[bound] = _number(f"{at}.{bound}", raw[bound])
    if "optional_when" in raw:
        field["optional_when"] = _optional_when(at, raw["optional_when"], earlier)
    return field


def _optional_when(at: str, raw: Any, earlier: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    if not isinstance(raw, dict) or not raw:
        raise SchemaError(
            _("%(at)s: must map a choice field to some of its values")
            % {"at": f"{at}.optional_when"}
        )
    out = {}
    for other, values in raw.items():
        if other not in earlier or earlier[other]["type"] != "choice":
            raise SchemaError(
                _("%(at)s: %(name)s is not a choice field before it")
                % {"at": f"{at}.optional_when", "name": repr(other)}
            )
        known = {c["value"] for c in earlier[other]["choices"]}
        if not isinstance(values, list) or not values or not set(values) <= known:
            raise SchemaError(
                _("%(at)s: must list choices of %(name)s")
                % {"at": f"{at}.optional_when.{other}", "name": repr(other)}
            )
        out[other] = list(values)
    return out


def _check_keys(fields: list[dict[str, Any]]) -> None:
    """Shortcuts must be unambiguous: unique in the schema, except that choices shown one
    group at a time (depends_on) only need to be unique within their group."""
    owner: dict[str, str] = {}
    for f in fields:
        if f.get("depends_on"):
            continue
        for c in [*f.get("choices", []), *f.get("grades", [])]:
            if "key" in c:
                if c["key"] in owner:
                    raise SchemaError(
                        _("%(at)s: shortcut %(key)s of %(value)s is already used by %(other)s")
                        % {
                            "at": f"field {f['name']!r}",
                            "key": repr(c["key"]),
                            "value": repr(c["value"]),
                            "other": owner[c["key"]],
                        }
                    )
                owner[c["key"]] = f"{f['name']!r} {c['value']!r}"
    for f in fields:
        if not f.get("depends_on"):
            continue
        groups: dict[tuple[str, str], str] = {}
        for c in f["choices"]:
            key = c["key"]
            if key in owner or (c["group"], key) in groups:
                other = owner.get(key) or groups[(c["group"], key)]
                raise SchemaError(
                    _("%(at)s: shortcut %(key)s of %(value)s is already used by %(other)s")
                    % {
                        "at": f"field {f['name']!r}",
                        "key": repr(key),
                        "value": repr(c["value"]),
                        "other": other,
                    }
                )
            groups[(c["group"], key)] = f"{f['name']!r} {c['value']!r}"


def validate_schema(raw: Any) -> dict[str, Any]:
    """Check a schema and return a normalised copy (defaults filled in)."""
    if not isinstance(raw, dict):
        raise SchemaError(_("schema: must be a JSON object"))
    allowed = {
        "name",
        "title",
        "description",
        "tasks",
        "max_annotators",
        "defaults",
        "fields",
        "agreement",
        "type",
        "start_set",
    }
    unknown = set(raw) - allowed
    if unknown:
        raise SchemaError(
            _("%(at)s: unknown entries %(names)s")
            % {"at": "schema", "names": ", ".join(sorted(unknown))}
        )
    schema: dict[str, Any] = {
        "name": _str("name", raw.get("name", "custom"), max_len=64),
        "title": _str("title", raw.get("title", raw.get("name", "Custom schema"))),
        "description": _str("description", raw.get("description", ""), max_len=2000, empty=True),
    }
    tasks = raw.get("tasks", "record")
    if tasks not in TASK_MODES:
        raise SchemaError(
            _("%(at)s: must be one of %(names)s") % {"at": "tasks", "names": ", ".join(TASK_MODES)}
        )
    schema["tasks"] = tasks
    try:
        schema.update(check_task_type(raw, tasks))
    except InvalidInput as exc:
        raise SchemaError(str(exc)) from None
    beats = schema["type"] == "beats"
    max_k = raw.get("max_annotators", MAX_ANNOTATORS)
    if isinstance(max_k, bool) or not isinstance(max_k, int) or not 1 <= max_k <= MAX_ANNOTATORS:
        raise SchemaError(
            _("%(at)s: must be a whole number from 1 to %(n)s")
            % {"at": "max_annotators", "n": MAX_ANNOTATORS}
        )
    schema["max_annotators"] = max_k
    raw_fields = raw.get("fields", [] if beats else None)
    if not isinstance(raw_fields, list) or not int(not beats) <= len(raw_fields) <= 50:
        raise SchemaError(
            _("fields: must be a list of %(min)s to 50 fields") % {"min": int(not beats)}
        )
    by_name: dict[str, dict[str, Any]] = {}
    for i, raw_field in enumerate(raw_fields):
        field = _field(i, copy.deepcopy(raw_field), by_name)
        by_name[field["name"]] = field
    fields = list(by_name.values())
    _check_keys(fields)
    schema["fields"] = fields
    comparable = [f["name"] for f in fields if f["type"] != "text"]
    if beats:
        if raw.get("agreement", []) != []:
            raise SchemaError(
                _(
                    "agreement: a beat-correction schema agrees on the corrected beats; its "
                    "fields are notes, so the list must be empty"
                )
            )
        comparable = []
    agreement = raw.get("agreement", comparable)
    if not isinstance(agreement, list) or (not agreement and not beats):
        raise SchemaError(_("agreement: must list the fields whose answers must match"))
    for name in agreement:
        if name not in by_name or by_name[name]["type"] == "text":
            raise SchemaError(
                _("agreement: %(name)s is not a choice, multi or number field")
                % {"name": repr(name)}
            )
    schema["agreement"] = list(dict.fromkeys(agreement))
    defaults = raw.get("defaults", {})
    if not isinstance(defaults, dict) or set(defaults) - DEFAULT_KEYS:
        raise SchemaError(
            _("defaults: may only set %(names)s") % {"names": ", ".join(sorted(DEFAULT_KEYS))}
        )
    for name, value in defaults.items():
        _number(f"defaults.{name}", value)
    schema["defaults"] = dict(defaults)
    return schema


# -- answers ---------------------------------------------------------------------------------


def _values(field: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["value"]: c for c in field["choices"]}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _clean_value(field: dict[str, Any], value: Any, answer: dict[str, Any]) -> Any:
    name, kind = field["name"], field["type"]
    if kind == "choice":
        choices = _values(field)
        if not isinstance(value, str) or value not in choices:
            allowed = list(choices)
            if field.get("depends_on") and isinstance(answer.get(field["depends_on"]), str):
                allowed = [
                    v for v, c in choices.items() if c["group"] == answer[field["depends_on"]]
                ]
            raise InvalidInput(
                _("%(field)s: %(value)s is not allowed (one of %(allowed)s)")
                % {"field": name, "value": repr(value), "allowed": ", ".join(allowed)}
            )
        parent = field.get("depends_on")
        if parent:
            if _empty(answer.get(parent)):
                raise InvalidInput(
                    _("%(field)s: choose %(parent)s first") % {"field": name, "parent": parent}
                )
            if choices[value]["group"] != answer[parent]:
                raise InvalidInput(
                    _("%(field)s: %(value)s is not a kind of %(parent)s")
                    % {"field": name, "value": repr(value), "parent": repr(answer[parent])}
                )
        return value
    if kind == "multi":
        if not isinstance(value, list):
            raise InvalidInput(_("%(field)s: must be a list") % {"field": name})
        choices = _values(field)
        grades = {g["value"] for g in field.get("grades", [])}
        out, seen = [], set()
        for item in value:
            if grades:
                if isinstance(item, str):
                    item = {"value": item, "grade": field["grades"][0]["value"]}
                if not isinstance(item, dict) or set(item) - {"value", "grade"}:
                    raise InvalidInput(
                        _("%(field)s: each item must be {value, grade}") % {"field": name}
                    )
                v, grade = item.get("value"), item.get("grade")
                if grade not in grades:
                    raise InvalidInput(
                        _("%(field)s: grade %(grade)s is not allowed (one of %(allowed)s)")
                        % {"field": name, "grade": repr(grade), "allowed": ", ".join(grades)}
                    )
            else:
                v = item
            if not isinstance(v, str) or v not in choices:
                raise InvalidInput(
                    _("%(field)s: %(value)s is not one of the allowed values")
                    % {"field": name, "value": repr(v)}
                )
            if v in seen:
                raise InvalidInput(
                    _("%(field)s: %(value)s is given twice") % {"field": name, "value": repr(v)}
                )
            seen.add(v)
            out.append({"value": v, "grade": grade} if grades else v)
        if len(out) > field.get("max_items", len(choices)):
            raise InvalidInput(
                _("%(field)s: at most %(n)s items") % {"field": name, "n": field["max_items"]}
            )
        return out
    if kind == "text":
        if not isinstance(value, str):
            raise InvalidInput(_("%(field)s: must be a text") % {"field": name})
        if len(value) > field["max_length"]:
            raise InvalidInput(
                _("%(field)s: at most %(n)s characters") % {"field": name, "n": field["max_length"]}
            )
        return refuse_nul(name, value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(_("%(field)s: must be a number") % {"field": name})
    if "min" in field and value < field["min"] or "max" in field and value > field["max"]:
        raise InvalidInput(
            _("%(field)s: must be between %(min)s and %(max)s")
            % {"field": name, "min": field.get("min"), "max": field.get("max")}
        )
    return value


def is_required(field: dict[str, Any], answer: dict[str, Any]) -> bool:
    if not field["required"]:
        return False
    for other, values in field.get("optional_when", {}).items():
        if answer.get(other) in values:
            return False
    return True


def clean_answer(schema: dict[str, Any], data: dict[str, Any], *, complete: bool) -> dict[str, Any]:
    """Validate an answer; ``complete`` also requires every required field.

    A draft (``complete=False``) may leave fields out, but what it gives must be valid,
    so that a draft never holds a value its submission would refuse.
    """
    if not isinstance(data, dict):
        raise InvalidInput(_("answer: must be an object of field values"))
    fields = {f["name"]: f for f in schema["fields"]}
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise InvalidInput(
            _("%(field)s: not a field of this schema (fields: %(fields)s)")
            % {"field": unknown[0], "fields": ", ".join(fields)}
        )
    answer: dict[str, Any] = {}
    for name, field in fields.items():
        value = data.get(name)
        if _empty(value):
            if value == [] and field["type"] == "multi":
                answer[name] = []
            continue
        answer[name] = _clean_value(field, value, {**data, **answer})
    if complete:
        for field in schema["fields"]:
            if is_required(field, answer) and _empty(answer.get(field["name"])):
                raise InvalidInput(_("%(field)s: required") % {"field": field["name"]})
            if field["type"] == "multi" and len(answer.get(field["name"]) or []) < field.get(
                "min_items", 0
            ):
                raise InvalidInput(
                    _("%(field)s: at least %(n)s items")
                    % {"field": field["name"], "n": field["min_items"]}
                )
    return answer


# -- meaning of an answer ----------------------------------------------------------------


def _unsure_values(field: dict[str, Any], key: str = "choices") -> set[str]:
    return {c["value"] for c in field.get(key, []) if c.get("unsure")}


def is_unsure(schema: dict[str, Any], answer: dict[str, Any]) -> bool:
    """True when the answer uses an unsure choice (Uncertain) or grade (Unsure)."""
    for field in schema["fields"]:
        value = answer.get(field["name"])
        if field["type"] == "choice" and value in _unsure_values(field):
            return True
        if field["type"] == "multi" and field.get("grades") and value:
            unsure = _unsure_values(field, "grades")
            if any(item["grade"] in unsure for item in value):
                return True
    return False


def is_reject(schema: dict[str, Any], answer: dict[str, Any]) -> bool:
    """True when the answer uses a reject choice (Reject: the case cannot be judged)."""
    return any(
        field["type"] == "choice"
        and answer.get(field["name"]) in {c["value"] for c in field["choices"] if c.get("reject")}
        for field in schema["fields"]
    )


def doubt(schema: dict[str, Any], answers: list[dict[str, Any]]) -> str:
    """Why these answers must go to an expert whatever they say: ``unsure`` when one of
    them is unsure of anything, ``reject`` when one of them says the case cannot be judged;
    empty when none does. Doubt is never outvoted: one unsure doctor is enough."""
    if any(is_unsure(schema, a) for a in answers):
        return "unsure"
    if any(is_reject(schema, a) for a in answers):
        return "reject"
    return ""


def label_of(schema: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The part of an answer that must match for agreement, in a comparable form: choices
    as given, multi-label lists sorted, graded lists reduced to their sure items."""
    fields = {f["name"]: f for f in schema["fields"]}
    label: dict[str, Any] = {}
    for name in schema["agreement"]:
        field, value = fields[name], answer.get(name)
        if field["type"] == "multi":
            if field.get("grades"):
                unsure = _unsure_values(field, "grades")
                value = [i["value"] for i in value or [] if i["grade"] not in unsure]
            value = sorted(value or [])
        label[name] = value
    return label


def is_decisive(schema: dict[str, Any], answer: dict[str, Any]) -> bool:
    """Whether an answer can take part in agreement: no unsure choice among the agreement
    fields, and a graded list keeps at least one sure item (else nothing was decided)."""
    fields = {f["name"]: f for f in schema["fields"]}
    label = label_of(schema, answer)
    for name in schema["agreement"]:
        field = fields[name]
        if field["type"] == "choice" and answer.get(name) in _unsure_values(field):
            return False
        if field["type"] == "multi" and field.get("grades") and answer.get(name):
            if not label[name]:
                return False
    return True


def answers_agree(schema: dict[str, Any], answers: list[dict[str, Any]]) -> bool:
    if not answers or not all(is_decisive(schema, a) for a in answers):
        return False
    first = label_of(schema, answers[0])
    return all(label_of(schema, a) == first for a in answers[1:])


def majority_label(schema: dict[str, Any], answers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The label that more than half of the answers give on the agreement fields, or None.
    An answer that is not decisive agrees with nobody (it still counts in the total)."""
    labels = [label_of(schema, a) for a in answers if is_decisive(schema, a)]
    for label in labels:
        if 2 * labels.count(label) > len(answers):
            return label
    return None
