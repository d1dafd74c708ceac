"""The page shown when a form's CSRF check fails (``settings.CSRF_FAILURE_VIEW``).

Django's own page is written for developers (and in English): a reader who left a form
open past a log-out, or across a restart, needs only to hear that the form expired and
what to do. The API never comes here: its views make their own CSRF check and answer
it in JSON, as they do their other errors.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # The page the form was on, to load again (a form's own address may take only POST).
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("home")
    # ``reason`` (Django's words for the developer) is not shown: the log has the 403.
    return render(request, "web/csrf_failure.html", {"back": back}, status=403)
