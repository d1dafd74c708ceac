"""Who is asking, for every router of the API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from wavetag.projects import access
from wavetag.projects.models import Task


def api_user(request: HttpRequest) -> Any:
    """The authenticated user of an API request. Bearer-token requests carry it in
    ``request.auth`` (set by the API's authenticators), not in ``request.user``."""
    return request.auth  # type: ignore[attr-defined]


def asked_task(request: HttpRequest, task_id: int) -> tuple[Any, Task, access.TaskAccess]:
    """The asking user, and the task with what their roles allow on it; 404 for a task they
    may not see at all. Whether they may do what they ask (annotate, adjudicate, reopen)
    stays the check of the service each endpoint calls, with this access."""
    user = api_user(request)
    task, acc = access.get_task_for_user(user, task_id)
    return user, task, acc
