"""Gold answers: a project admin's expert answers to some tasks, with an explanation.

They are what the practice test and hidden gold checks compare an annotator with. Given
through the API (``PUT /projects/{id}/gold``), the command (``wavetag project gold``) or
taken from an adjudicated task ("use as gold"); read by adjudicators and admins only.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from wavetag.errors import InvalidInput, StateConflict, WavetagError, refuse_nul
from wavetag.projects.access import require_role
from wavetag.projects.beat_schema import is_beat_schema
from wavetag.projects.models import Project, Role, Task
from wavetag.projects.schemas import clean_answer, is_decisive, label_of

from .models import Adjudication, GoldAnswer

MAX_ITEMS = 10000
MAX_EXPLANATION = 5000


def gold_out(gold: GoldAnswer) -> dict[str, Any]:
    return {
        "task": gold.task_id,
        "record": gold.task.record.name,
        "event_time": gold.task.event_time,
        "answer": gold.answer,
        "explanation": gold.explanation,
        "updated_at": gold.updated_at,
    }


def gold_rows(project: Project) -> list[dict[str, Any]]:
    rows = GoldAnswer.objects.filter(task__project=project).select_related("task__record")
    return [gold_out(g) for g in rows.order_by("task_id")]


def list_gold(project: Project, user: Any) -> list[dict[str, Any]]:
    require_role(user, project, Role.ADJUDICATOR)
    return gold_rows(project)


def check_gold(project: Project, answer: Any, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cleaned answer and its label, or ``InvalidInput`` naming ``where``."""
    if is_beat_schema(project.schema):
        raise InvalidInput(f"{where}: a beat-correction project has no gold answers")
    if not isinstance(answer, dict):
        raise InvalidInput(f"{where}: must be an object of the schema's fields")
    try:
        cleaned = clean_answer(project.schema, answer, complete=True)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}.{exc}") from None
    if not is_decisive(project.schema, cleaned):
        raise InvalidInput(f"{where}: a gold answer must be sure (no unsure choice or grade)")
    return cleaned, label_of(project.schema, cleaned)


def set_gold(project: Project, user: Any, data: Any) -> list[dict[str, Any]]:
    """Add or replace the gold answers of ``data["items"]`` (``task``, ``answer``,
    ``explanation``); all or nothing, a bad item refused with its index named. Project
    admins only."""
    require_role(user, project, Role.ADMIN)
    save_gold(project, data, by=user)
    return gold_rows(project)


def save_gold(project: Project, data: Any, *, by: Any = None) -> int:
    """:func:`set_gold` without the role check (the command runs with the server's rights)."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise InvalidInput('body: must be {"items": [{"task", "answer", "explanation"}, ...]}')
    items = data["items"]
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"items: at most {MAX_ITEMS} at once")
    tasks = set(Task.objects.filter(project=project).values_list("id", flat=True))
    checked = []
    seen: set[int] = set()
    for i, item in enumerate(items):
        at = f"items[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{at}: must be an object")
        unknown = set(item) - {"task", "answer", "explanation"}
        if unknown:
            raise InvalidInput(f"{at}.{sorted(unknown)[0]}: unknown (task, answer, explanation)")
        task_id = item.get("task")
        if isinstance(task_id, bool) or not isinstance(task_id, int) or task_id not in tasks:
            raise InvalidInput(f"{at}.task: no task {task_id!r} in project {project.name}")
        if task_id in seen:
            raise InvalidInput(f"{at}.task: task {task_id} is given twice")
        seen.add(task_id)
        answer, label = check_gold(project, item.get("answer"), f"{at}.answer")
        explanation = item.get("explanation") or ""
        if not isinstance(explanation, str) or len(explanation) > MAX_EXPLANATION:
            raise InvalidInput(f"{at}.explanation: a text of at most {MAX_EXPLANATION} characters")
        refuse_nul(f"{at}.explanation", explanation)
        checked.append((task_id, answer, label, explanation.strip()))
    now = timezone.now()
    with transaction.atomic():
        for task_id, answer, label, explanation in checked:
            GoldAnswer.objects.update_or_create(
                task_id=task_id,
                defaults={
                    "answer": answer,
                    "label": label,
                    "explanation": explanation,
                    "created_by": by,
                    "updated_at": now,
                },
            )
    return len(checked)


def remove_gold(project: Project, user: Any, task_id: int) -> bool:
    require_role(user, project, Role.ADMIN)
    deleted, _ = GoldAnswer.objects.filter(task__project=project, task_id=task_id).delete()
    return bool(deleted)


def gold_from_adjudication(task: Task, user: Any) -> GoldAnswer:
    """Use an adjudicated task's decision (and its comment, as the explanation) as gold."""
    require_role(user, task.project, Role.ADMIN)
    decision = Adjudication.objects.filter(task=task).order_by("-created_at", "-id").first()
    if decision is None or task.status != "adjudicated":
        raise StateConflict(f"task {task.pk} is not adjudicated: give its gold answer instead")
    try:
        answer, label = check_gold(task.project, decision.answer, "answer")
    except WavetagError as exc:
        raise StateConflict(f"task {task.pk}: its decision cannot be gold ({exc})") from None
    gold, _ = GoldAnswer.objects.update_or_create(
        task=task,
        defaults={
            "answer": answer,
            "label": label,
            "explanation": decision.comment,
            "created_by": user,
            "updated_at": timezone.now(),
        },
    )
    return gold


def is_correct(project: Project, gold: GoldAnswer, answer: dict[str, Any]) -> bool:
    """Whether an answer matches the gold one on the agreement fields (an unsure answer
    never does)."""
    schema = project.schema
    return is_decisive(schema, answer) and label_of(schema, answer) == gold.label


def gold_file_items(project: Project, path: Path) -> list[dict[str, Any]]:
    """The items of a gold file: JSON (``{"items": [...]}`` or the list itself, as the API
    takes) or CSV with a header: ``task`` (an id) or ``record`` with ``event_time`` (or
    ``window_start`` for segments; nothing more for a task on the whole record), one column
    per schema field (a list as ``a;b``, graded items as ``value:grade;...``, as the CSV
    export writes them) and ``explanation``. Errors name the file and the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read it ({exc})") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"{path}: not valid JSON ({exc})") from None
        items = data.get("items") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise InvalidInput(f'{path}: must be {{"items": [...]}} or a list of items')
        return items
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    fields = {f["name"]: f for f in project.schema["fields"]}
    if not columns & {"task", "record"}:
        raise InvalidInput(f"{path}: the header needs a task or a record column")
    unknown = (
        columns - {"task", "record", "event_time", "window_start", "explanation"} - set(fields)
    )
    if unknown:
        raise InvalidInput(f"{path}: column {sorted(unknown)[0]!r} is not a field of the schema")
    items = []
    for line, row in enumerate(reader, start=2):
        where = f"{path} line {line}"
        answer = {
            name: _cell_value(fields[name], row[name], f"{where}: {name}")
            for name in fields
            if (row.get(name) or "").strip()
        }
        items.append(
            {
                "task": _task_of(project, row, where),
                "answer": answer,
                "explanation": (row.get("explanation") or "").strip(),
            }
        )
    return items


def _cell_value(field: dict[str, Any], raw: str, where: str) -> Any:
    raw = raw.strip()
    if field["type"] == "multi":
        out: list[Any] = []
        for part in filter(None, (p.strip() for p in raw.split(";"))):
            value, _, grade = part.partition(":")
            out.append({"value": value, "grade": grade} if grade else value)
        return out
    if field["type"] == "number":
        try:
            return float(raw)
        except ValueError:
            raise InvalidInput(f"{where}: {raw!r} is not a number") from None
    return raw


def _task_of(project: Project, row: dict[str, Any], where: str) -> int:
    raw = (row.get("task") or "").strip()
    if raw:
        if not (raw.isascii() and raw.isdigit()):
            raise InvalidInput(f"{where}: task {raw!r} is not a task id")
        return int(raw)
    record = (row.get("record") or "").strip()
    tasks = Task.objects.filter(project=project, record__name=record)
    for column, name in (("event_time", "event_time"), ("window_start", "window_start")):
        value = (row.get(column) or "").strip()
        if value:
            try:
                at = float(value)
            except ValueError:
                raise InvalidInput(f"{where}: {column} {value!r} is not a number") from None
            tasks = tasks.filter(**{f"{name}__gte": at - 1e-3, f"{name}__lte": at + 1e-3})
    found = list(tasks.values_list("id", flat=True)[:2])
    if len(found) != 1:
        what = "no task" if not found else "more than one task"
        raise InvalidInput(f"{where}: {what} of record {record!r} there (give event_time)")
    return found[0]
