"""The annotation form as HTML sees it: a project's label schema turned into what the
templates render, and a posted form turned back into the request body that
``annotations.services.save_annotation`` takes (the same body as the API's PUT).

Only the encoding lives here; every rule (what is allowed, what is required, which
subcategory belongs to which rhythm) is checked by the service.

Form encoding, per field type:

- choice: one radio group named after the field;
- multi: checkboxes named after the field; with grades, one radio group per item,
  named ``field:value``;
- text: a textarea; number: a number input (sent on as a number when it reads as one,
  else as typed, so that the service names the field in its message);
- plus ``comment`` and ``status`` (the submit button pressed: submitted or later).
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from wavetag.projects.schema_text import shown_schema

STATUS_FIELD = "status"


def _optional_note(
    field: dict[str, Any], labels: dict[str, dict[str, str]], titles: dict[str, str]
) -> str:
    parts = []
    for other, values in field.get("optional_when", {}).items():
        names = [labels.get(other, {}).get(v, v) for v in values]
        parts.append(
            _("%(field)s is %(values)s")
            % {"field": titles.get(other, other), "values": _(" or ").join(names)}
        )
    return _("optional when %(conditions)s") % {"conditions": "; ".join(parts)} if parts else ""


def form_fields(schema: dict[str, Any], answer: dict[str, Any]) -> list[dict[str, Any]]:
    """Every field of the schema, with the values of ``answer`` marked as chosen; labels in
    the reader's language."""
    schema = shown_schema(schema)
    titles = {f["name"]: f["label"] for f in schema["fields"]}
    labels = {
        f["name"]: {c["value"]: c["label"] for c in f.get("choices", [])} for f in schema["fields"]
    }
    out = []
    for field in schema["fields"]:
        name, kind = field["name"], field["type"]
        value = answer.get(name)
        item: dict[str, Any] = {
            "name": name,
            "type": kind,
            "label": field["label"],
            "help": field.get("help", ""),
            "required": field["required"],
            "optional_note": _optional_note(field, labels, titles),
            "optional_when_json": json.dumps(field["optional_when"])
            if field.get("optional_when")
            else "",
            "depends_on": field.get("depends_on", ""),
            "depends_label": titles.get(field.get("depends_on", ""), ""),
        }
        if kind == "choice":
            item["choices"] = [
                {
                    **c,
                    "group": c.get("group", ""),
                    "checked": c["value"] == value,
                    "testid": f"choice-{name}-{c['value']}",
                }
                for c in field["choices"]
            ]
            if field.get("depends_on"):
                groups: dict[str, list[dict[str, Any]]] = {}
                for c in item["choices"]:
                    groups.setdefault(c["group"], []).append(c)
                parent = labels[field["depends_on"]]
                item["groups"] = [
                    {"value": g, "label": parent.get(g, g), "choices": cs}
                    for g, cs in groups.items()
                ]
        elif kind == "multi":
            chosen: dict[str, str | None] = {}
            for entry in value or []:
                if isinstance(entry, dict):
                    chosen[str(entry.get("value"))] = entry.get("grade")
                else:
                    chosen[str(entry)] = None
            grades = field.get("grades", [])
            item["graded"] = bool(grades)
            item["choices"] = [
                {
                    **c,
                    "checked": c["value"] in chosen,
                    "testid": f"choice-{name}-{c['value']}",
                    "grades": [
                        {
                            **g,
                            "checked": chosen.get(c["value"]) == g["value"],
                            "testid": f"grade-{name}-{c['value']}-{g['value']}",
                        }
                        for g in grades
                    ],
                }
                for c in field["choices"]
            ]
            item["grade_keys"] = [g for g in grades if "key" in g]
        elif kind == "text":
            item["value"] = value if isinstance(value, str) else ""
            item["max_length"] = field["max_length"]
        else:
            item["value"] = "" if value is None else value
            item["min"] = field.get("min")
            item["max"] = field.get("max")
        out.append(item)
    return out


def value_text(field: dict[str, Any], value: Any) -> str:
    """A field's value in words: choices by their labels, graded items with their grade."""
    if value is None or value == "" or value == []:
        return ""
    labels = {c["value"]: c["label"] for c in field.get("choices", [])}
    grades = {g["value"]: g["label"] for g in field.get("grades", [])}
    if field["type"] == "choice":
        return labels.get(value, str(value))
    if field["type"] == "multi" and isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, dict):
                v, g = item.get("value"), item.get("grade")
                items.append(f"{labels.get(v, v)} ({grades.get(g, g)})")
            else:
                items.append(labels.get(item, str(item)))
        return ", ".join(items)
    return str(value)


def summary(schema: dict[str, Any], answer: dict[str, Any]) -> str:
    """A one-line reading of an answer, for lists ("True: a real event; Pacing spikes")."""
    schema = shown_schema(schema)
    parts = []
    for field in schema["fields"]:
        if field["type"] == "text":
            continue
        text = value_text(field, answer.get(field["name"]))
        if text:
            parts.append(f"{field['label']} {text}" if field["type"] == "number" else text)
    return "; ".join(parts)


def _number(raw: str) -> Any:
    text = raw.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text  # the service answers "<field>: must be a number"
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() and "." not in text else number


def body_from_post(schema: dict[str, Any], post: QueryDict) -> dict[str, Any]:
    """The request body ``save_annotation`` takes, from a posted annotation form."""
    body: dict[str, Any] = {}
    for field in schema["fields"]:
        name, kind = field["name"], field["type"]
        if kind == "choice":
            body[name] = post.get(name) or None
        elif kind == "multi":
            values = [v for v in post.getlist(name) if v]
            if field.get("grades"):
                items: list[Any] = []
                for v in values:
                    grade = post.get(f"{name}:{v}")
                    # An item ticked without a grade: the service gives it the first one.
                    items.append({"value": v, "grade": grade} if grade else v)
                body[name] = items
            else:
                body[name] = values
        elif kind == "text":
            body[name] = post.get(name, "")
        else:
            body[name] = _number(post.get(name, ""))
    body["comment"] = post.get("comment", "")
    body[STATUS_FIELD] = post.get(STATUS_FIELD) or "submitted"
    return body


def answer_from_post(schema: dict[str, Any], post: QueryDict) -> dict[str, Any]:
    """What the form showed when a save was refused: the posted values, to show again."""
    body = body_from_post(schema, post)
    return {f["name"]: body[f["name"]] for f in schema["fields"]}


def field_of(message: str) -> str:
    """The field a service message names (``"decision: required"`` -> ``decision``)."""
    head, sep, _ = message.partition(":")
    return head.strip() if sep and " " not in head.strip() else ""
