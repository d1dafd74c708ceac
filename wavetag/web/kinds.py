"""The pages that differ by kind of task (``annotations.kinds``), one entry per kind: the
adjudication page (what an assignee's task page adds is data, from the kind itself). A
new kind decided by a form reuses ``form_pages``; one with pages of its own adds its
module here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from wavetag.annotations.kinds import kind_of
from wavetag.projects.access import TaskAccess
from wavetag.projects.models import Task

from . import beat_pages, form_pages


@dataclass(frozen=True)
class KindPages:
    # (request, task, access) -> the adjudication page, GET and POST
    adjudicate: Callable[[HttpRequest, Task, TaskAccess], HttpResponse]


PAGES = {
    "labels": KindPages(form_pages.adjudicate),
    "beats": KindPages(beat_pages.adjudicate),
}


def pages_for(task: Task) -> KindPages:
    return PAGES[kind_of(task.project).name]
