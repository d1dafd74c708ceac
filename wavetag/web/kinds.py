"""The pages that differ by kind of task (``annotations.kinds``), one entry per kind: what
an assignee's task page adds, and the adjudication page. A new kind whose pages are a
form's reuses ``form_pages``; one with pages of its own adds its module here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

from wavetag.annotations.kinds import kind_of
from wavetag.projects.access import TaskAccess
from wavetag.projects.models import Task

from . import beat_pages, form_pages


@dataclass(frozen=True)
class KindPages:
    # (task, user, viewer config) -> extra context of the assignee's task page
    assignee: Callable[[Task, Any, dict[str, Any]], dict[str, Any]]
    # (request, task, access) -> the adjudication page, GET and POST
    adjudicate: Callable[[HttpRequest, Task, TaskAccess], HttpResponse]


PAGES = {
    "labels": KindPages(form_pages.assignee_context, form_pages.adjudicate),
    "beats": KindPages(beat_pages.assignee_context, beat_pages.adjudicate),
}


def pages_for(task: Task) -> KindPages:
    return PAGES[kind_of(task.project).name]
