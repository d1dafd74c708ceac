"""Machine suggestions: a diagnosis form pre-filled from the automatic 12-lead statements.

A project turns them on (``Project.machine_suggestions``, off by default). They come from
the record's latest finished analysis run, never from another annotator, so blindness
holds: every annotator of a task gets the same suggestions, whoever answered before. They
are marked as the machine's in the form, and nothing is saved until the annotator saves
or submits the answer themselves.
"""

from __future__ import annotations

from typing import Any

from wavetag.analysis.findings import latest_run
from wavetag.projects.models import Task


def _first_sure_grade(field: dict[str, Any]) -> str | None:
    """The grade a suggested item starts with: the first that does not send the task to an
    expert (a suggestion accepted as it stands must not count as doubt)."""
    for g in field.get("grades", []):
        if not g.get("unsure"):
            return str(g["value"])
    return None


def machine_suggestion(task: Task) -> dict[str, Any] | None:
    """What the analysis suggests for ``task``'s form, or None (setting off, a task that is
    not a whole record, no finished analysis, or no statement the schema can hold).

    Returns
    -------
    dict
        ``run``: the analysis run; ``answer``: the pre-filled fields (multi-choice fields
        whose choice values are statement codes, e.g. ``rbbb``, ``sinus-tachycardia``);
        ``statements``: every statement (code, text, evidence, values) with ``field`` and
        ``choice`` where the schema holds it (None where it does not: it is shown, not
        filled in).
    """
    project = task.project
    schema = project.schema
    # The statements describe the whole record: a window or event task is not about that.
    if not project.machine_suggestions or schema.get("tasks") != "record":
        return None
    run = latest_run(task.record)
    statements = (run.result or {}).get("statements") if run is not None else None
    if not statements:
        return None
    answer: dict[str, Any] = {}
    shown = []
    for s in statements:
        where = None
        for field in schema["fields"]:
            values = {c["value"] for c in field.get("choices", [])}
            if field["type"] == "multi" and s["code"] in values:
                where = field
                break
        if where is not None:
            grade = _first_sure_grade(where)
            item: Any = {"value": s["code"], "grade": grade} if grade else s["code"]
            answer.setdefault(where["name"], []).append(item)
        shown.append(
            {
                **s,
                "field": where["name"] if where else None,
                "choice": s["code"] if where else None,
            }
        )
    return {"run": run, "answer": answer, "statements": shown}
