"""Kinds of task, each behind the one interface of :class:`~.base.TaskKind`.

A project's schema names its kind (``"type"``: ``labels`` for form tasks, ``beats`` for
beat correction); :func:`kind_of` gives the implementation. A new kind is one new module
here and one entry in :data:`KINDS`.
"""

from __future__ import annotations

from wavetag.projects.models import Project

from .base import TaskKind
from .beats import BeatKind
from .form import FormKind

KINDS: dict[str, TaskKind] = {kind.name: kind for kind in (FormKind(), BeatKind())}


def kind_of(project: Project) -> TaskKind:
    return KINDS[str(project.schema.get("type") or FormKind.name)]


__all__ = ["KINDS", "TaskKind", "kind_of"]
