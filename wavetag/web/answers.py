"""Answers on pages: reading a schema's fields from a posted form, and showing an answer
(or a final label, or a revision's changes) in words. The checks themselves are the
schema's (``wavetag.projects.schemas.clean_answer``), run by the services."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wavetag.projects.schema_text import shown_schema


def _labels(field: dict[str, Any], key: str = "choices") -> dict[str, str]:
    return {c["value"]: c["label"] for c in field.get(key, [])}


def grade_input(field: str, value: str) -> str:
    """Form name of the grade given to one item of a graded list."""
    return f"{field}.{value}"


def answer_from_form(schema: dict[str, Any], post: QueryDict) -> dict[str, Any]:
    """The request body the API would get, from a form named after the schema's fields.

    A number that does not parse is passed on as typed, so that the schema's check names
    the field; an empty input is left out, as in a JSON body without it.
    """
    data: dict[str, Any] = {"comment": post.get("comment", "")}
    for field in schema["fields"]:
        name, kind = field["name"], field["type"]
        if kind == "choice":
            data[name] = post.get(name) or None
        elif kind == "multi" and field.get("grades"):
            # An item is given by its box or by a grade; a box alone gets the schema's
            # first grade, as a plain value in a JSON body does.
            ticked = set(post.getlist(name))
            items: list[Any] = []
            for c in field["choices"]:
                grade = post.get(grade_input(name, c["value"]))
                if grade:
                    items.append({"value": c["value"], "grade": grade})
                elif c["value"] in ticked:
                    items.append(c["value"])
            data[name] = items
        elif kind == "multi":
            data[name] = post.getlist(name)
        elif kind == "text":
            data[name] = post.get(name, "")
        else:
            raw = post.get(name, "").strip()
            if not raw:
                data[name] = None
                continue
            try:
                data[name] = float(raw) if any(c in raw for c in ".eE") else int(raw)
            except ValueError:
                data[name] = raw
    return data


def form_values(schema: dict[str, Any], answer: dict[str, Any] | None) -> dict[str, Any]:
    """What each input shows: for choices the value, for lists the set of values (or
    value -> grade), for text and numbers the text."""
    answer = answer or {}
    out: dict[str, Any] = {}
    for field in schema["fields"]:
        value = answer.get(field["name"])
        if field["type"] == "multi" and field.get("grades"):
            out[field["name"]] = {
                i["value"]: i["grade"] for i in value or [] if isinstance(i, dict) and "value" in i
            }
        elif field["type"] == "multi":
            out[field["name"]] = {v for v in value or [] if isinstance(v, str)}
        else:
            out[field["name"]] = "" if value is None else value
    return out


def form_fields(schema: dict[str, Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema's fields ready for a template: each choice knows whether it is chosen
    (and, in a graded list, which grade it has)."""
    schema = shown_schema(schema)
    labels = {f["name"]: _labels(f) for f in schema["fields"]}
    out = []
    for field in schema["fields"]:
        name = field["name"]
        current: Any = values.get(name)
        item = {**field, "value": current}
        if field["type"] == "choice":
            groups = labels.get(field.get("depends_on", ""), {})
            item["options"] = [
                {
                    **c,
                    "checked": c["value"] == current,
                    "group_label": groups.get(c.get("group", ""), c.get("group", "")),
                }
                for c in field["choices"]
            ]
        elif field["type"] == "multi":
            grades = field.get("grades")
            item["options"] = [
                {
                    **c,
                    "checked": bool(current) and c["value"] in current,
                    "grade_input": grade_input(name, c["value"]),
                    "grades": [
                        {**g, "checked": (current or {}).get(c["value"]) == g["value"]}
                        for g in grades or []
                    ],
                }
                for c in field["choices"]
            ]
        out.append(item)
    return out


def _value_text(field: dict[str, Any], value: Any) -> str:
    if field["type"] == "choice":
        return _labels(field).get(value, str(value))
    if field["type"] == "multi":
        labels, grades = _labels(field), _labels(field, "grades")
        parts = []
        for item in value or []:
            if isinstance(item, dict):
                v, g = str(item.get("value")), str(item.get("grade"))
                parts.append(f"{labels.get(v, v)} ({grades.get(g, g)})")
            else:
                parts.append(labels.get(item, str(item)))
        return ", ".join(parts) or _("none")
    return str(value)


def answer_lines(schema: dict[str, Any], answer: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(field label, value in words) for every field the answer gives, in the reader's
    language."""
    answer = answer or {}
    schema = shown_schema(schema)
    return [
        (f["label"], _value_text(f, answer[f["name"]]))
        for f in schema["fields"]
        if f["name"] in answer and answer[f["name"]] not in (None, "")
    ]


def answer_text(schema: dict[str, Any], answer: dict[str, Any] | None) -> str:
    return "; ".join(f"{label}: {text}" for label, text in answer_lines(schema, answer)) or "-"


def change_lines(schema: dict[str, Any], changes: dict[str, list[Any]]) -> list[str]:
    """A revision's changes ({"answer.decision": [before, after], "comment": ...}) in words."""
    fields = {f["name"]: f for f in shown_schema(schema)["fields"]}
    out = []
    for key, (before, after) in sorted(changes.items()):
        if key == "status":
            continue  # shown beside the change already
        name = key.removeprefix("answer.")
        field = fields.get(name)
        if field is None:
            label, b, a = (_("Comment") if name == "comment" else name), before, after
        else:
            label = field["label"]
            b = "-" if before in (None, "") else _value_text(field, before)
            a = "-" if after in (None, "") else _value_text(field, after)
        out.append(f"{label}: {b or '-'} → {a or '-'}")
    return out


# Why a task waits for an expert, in words (``Task.reason`` and the queue's reasons).
REASONS = {
    "conflict": gettext_lazy("the answers disagree"),
    "unsure": gettext_lazy("an answer is unsure"),
    "reject": gettext_lazy("an answer says the case cannot be judged"),
    "no-majority": gettext_lazy("no majority after re-entry"),
    "request": gettext_lazy("an annotator asks to change their answer"),
    "flag": gettext_lazy("an answer was flagged"),
}


def event_text(schema: dict[str, Any], action: str, detail: dict[str, Any]) -> str:
    """One line of a task's log (``TaskEvent``) in words."""
    status = str(status_text(detail.get("status") or ""))
    if detail.get("reason"):
        status += f" ({REASONS.get(detail['reason'], detail['reason'])})"
    if detail.get("final_label"):
        status += f": {answer_text(schema, detail['final_label'])}"
    n = detail.get("answers", "")
    if action == "evaluated":
        return _("all %(n)s answers in: %(status)s") % {"n": n, "status": status}
    if action == "reentry":
        return _("no majority in %(n)s answers: opened to one more annotator") % {"n": n}
    if action == "reopened":
        return _("reopened: %(reason)s") % {"reason": detail.get("reason", "")}
    if action == "change-requested":
        return _("change requested: %(text)s") % {"text": detail.get("text", "")}
    return status


# Task and answer statuses as pages show them; the stored values stay English.
STATUSES = {
    "open": gettext_lazy("open"),
    "in_progress": gettext_lazy("in progress"),
    "conflict": gettext_lazy("conflict"),
    "agreed": gettext_lazy("agreed"),
    "majority": gettext_lazy("majority"),
    "adjudicated": gettext_lazy("adjudicated"),
    "reentry": gettext_lazy("re-entry"),
    "draft": gettext_lazy("draft"),
    "later": gettext_lazy("saved for later"),
    "submitted": gettext_lazy("submitted"),
    "done": gettext_lazy("done"),
    # A task's log (``TaskEvent.Action``), shown beside its status.
    "evaluated": gettext_lazy("evaluated"),
    "reopened": gettext_lazy("reopened"),
    "change-requested": gettext_lazy("change requested"),
}


def status_text(status: str) -> str:
    """A task's or an answer's status in the reader's language."""
    return str(STATUSES.get(status, status))
