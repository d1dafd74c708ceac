"""What the expert and admin pages share: the project's role for the page, and refusals
rendered as pages with the status the API would answer (403 for a role too low, 404
for what the user may not see at all)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from wavetag.annotations.adjudication import adjudication_queue
from wavetag.errors import WavetagError
from wavetag.projects.access import has_role, role_in
from wavetag.projects.models import Project, Role

View = Callable[..., HttpResponse]


def refuse(request: HttpRequest, exc: WavetagError) -> HttpResponse:
    return render(request, "web/review_refused.html", {"message": str(exc)}, status=exc.status)


def workflow_errors(view: View) -> View:
    """Turn a service's refusal into a page naming the rule, never a 500."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except WavetagError as exc:
            return refuse(request, exc)

    return wrapper


def project_links(project: Project, role: str | None) -> dict[str, Any]:
    """What the project's sub-navigation may show to this role."""
    return {
        "project": project,
        "role": role,
        "is_expert": has_role(role, Role.ADJUDICATOR),
        "is_admin": has_role(role, Role.ADMIN),
    }


def page_context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    return {**project_links(project, role_in(request.user, project)), **extra}


def back_to(request: HttpRequest, default: str) -> str:
    """The page a form came from (its ``next`` field), if it is on this site."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def next_in_queue(project: Project, user: Any) -> str:
    """Where an adjudicator goes after deciding or skipping a task: the next one waiting."""
    task = adjudication_queue(project, user).first()
    if task is None:
        return reverse("adjudication-queue", args=[project.pk])
    return reverse("adjudicate", args=[task.pk])
