"""Answers on pages: reading a schema's fields from a posted form, and showing an answer
(or a final label, or a revision's changes) in words. The checks themselves are the
schema's (``wavetag.projects.schemas.clean_answer``), run by the services."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict


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
    out = []
    for field in schema["fields"]:
        name = field["name"]
        current: Any = values.get(name)
        item = {**field, "value": current}
        if field["type"] == "choice":
            item["options"] = [{**c, "checked": c["value"] == current} for c in field["choices"]]
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
        return ", ".join(parts) or "none"
    return str(value)


def answer_lines(schema: dict[str, Any], answer: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(field label, value in words) for every field the answer gives."""
    answer = answer or {}
    return [
        (f["label"], _value_text(f, answer[f["name"]]))
        for f in schema["fields"]
        if f["name"] in answer and answer[f["name"]] not in (None, "")
    ]


def answer_text(schema: dict[str, Any], answer: dict[str, Any] | None) -> str:
    return "; ".join(f"{label}: {text}" for label, text in answer_lines(schema, answer)) or "-"


def change_lines(schema: dict[str, Any], changes: dict[str, list[Any]]) -> list[str]:
    """A revision's changes ({"answer.decision": [before, after], "comment": ...}) in words."""
    fields = {f["name"]: f for f in schema["fields"]}
    out = []
    for key, (before, after) in sorted(changes.items()):
        if key == "status":
            continue  # shown beside the change already
        name = key.removeprefix("answer.")
        field = fields.get(name)
        if field is None:
            label, b, a = name.capitalize(), before, after
        else:
            label = field["label"]
            b = "-" if before in (None, "") else _value_text(field, before)
            a = "-" if after in (None, "") else _value_text(field, after)
        out.append(f"{label}: {b or '-'} → {a or '-'}")
    return out


# Why a task waits for an expert, in words (``Task.reason`` and the queue's reasons).
REASONS = {
    "conflict": "the answers disagree",
    "unsure": "an answer is unsure",
    "reject": "an answer says the case cannot be judged",
    "no-majority": "no majority after re-entry",
    "request": "an annotator asks to change their answer",
    "flag": "an answer was flagged",
}


def event_text(schema: dict[str, Any], action: str, detail: dict[str, Any]) -> str:
    """One line of a task's log (``TaskEvent``) in words."""
    status = detail.get("status") or ""
    if detail.get("reason"):
        status += f" ({REASONS.get(detail['reason'], detail['reason'])})"
    if detail.get("final_label"):
        status += f": {answer_text(schema, detail['final_label'])}"
    if action == "evaluated":
        return f"all {detail.get('answers', '')} answers in: {status}"
    if action == "reentry":
        return f"no majority in {detail.get('answers', '')} answers: opened to one more annotator"
    if action == "reopened":
        return f"reopened: {detail.get('reason', '')}"
    if action == "change-requested":
        return f"change requested: {detail.get('text', '')}"
    return status
