"""Changes to a running project that depend on its answers: removing a member (their
unfinished batch is released), replacing the label schema (only while nobody has
answered) and changing settings (some only before the first answer). They live with the
workflow because they read and release its answers; the project's own rules (the last
admin stays, what a schema may say, which setting may change when) come from
``wavetag.projects``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from wavetag.errors import InvalidInput, StateConflict
from wavetag.projects.models import Membership, Project, Role
from wavetag.projects.schemas import validate_schema
from wavetag.projects.services import keep_an_admin, update_settings

from .batches import release
from .models import Adjudication, Annotation


def remove_member(project: Project, user: Any, *, allow_no_admin: bool = False) -> bool:
    """Remove a member. Their submitted answers stay; unfinished assignments are released.
    The last admin stays unless ``allow_no_admin`` (site admins, from the command)."""
    with transaction.atomic():
        membership = Membership.objects.filter(project=project, user=user).first()
        if membership is None:
            return False
        if membership.role == Role.ADMIN:
            keep_an_admin(project, user, allow_no_admin)
        release(project, user=user)
        membership.delete()
    return True


def has_answers(project: Project) -> bool:
    """Whether anyone saved an answer (even a draft) or a decision in the project."""
    return (
        Annotation.everything.filter(task__project=project).exists()
        or Adjudication.objects.filter(task__project=project).exists()
    )


def change_settings(project: Project, data: Any) -> Project:
    """Change a project's settings (``projects.services.update_settings``), knowing whether
    it has answers: some settings only change before the first answer. The project's row
    is locked first, as ``replace_schema`` does."""
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        return update_settings(project, data, answered=has_answers(project))


def replace_schema(project: Project, raw: Any) -> Project:
    """Give ``project`` a custom label schema (``raw``, as JSON data) in place of its own.

    Only while nobody has saved an answer or a decision: a schema gives answers their
    meaning, so changing it under existing answers would silently change what they say.
    The tasks stay as they are, so the new schema must make the same kind of tasks, and
    allow the project's number of annotators per task.
    """
    checked = validate_schema(raw)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if has_answers(project):
            raise StateConflict(
                f"schema: project {project.name} already has answers, which the schema gives "
                "their meaning; start a new project for a new schema"
            )
        if checked["tasks"] != project.schema["tasks"]:
            raise InvalidInput(
                f"schema: tasks must stay {project.schema['tasks']!r} (the project's tasks are "
                f"made already), not {checked['tasks']!r}"
            )
        if checked.get("type", "labels") != project.schema.get("type", "labels"):
            raise InvalidInput(
                f"schema: type must stay {project.schema.get('type', 'labels')!r} (the kind of "
                f"answer the project's tasks take), not {checked.get('type', 'labels')!r}"
            )
        if project.max_annotators > checked["max_annotators"]:
            raise InvalidInput(
                f"schema: max_annotators must be at least the project's "
                f"{project.max_annotators} annotators per task"
            )
        project.schema = checked
        project.template = "custom"
        project.save(update_fields=["schema", "template"])
    return project


def leave_project(project: Project, user: Any) -> bool:
    """The user leaves the project (as :func:`remove_member`: answers stay, unfinished
    assignments are released; the last admin cannot leave)."""
    return remove_member(project, user)
