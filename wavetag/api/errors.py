"""Errors under ``/api/`` answer JSON, whoever raised them.

django-ninja answers its own errors as JSON, but an unknown path, a method a route does not
take, a failed CSRF check or a body Django refuses are answered by Django before or around
ninja, as HTML pages: a client parsing JSON then fails on ``<!doctype html>``. This
middleware turns any such answer under the API's prefix into ``{"detail": ...}`` with the
same status (and, for 405, the same ``Allow`` header).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from wavetag import logs

API_PREFIX = "/api/"

DETAILS = {
    400: "bad request",
    403: "forbidden",
    404: "not found: no API endpoint at this path",
    405: "method not allowed",
    413: "request body too large",
}


def error_body(detail: str, **extra: object) -> dict[str, object]:
    """Every error's JSON: the detail, and the request id that finds it in the server's log
    (an administrator asked about "an error" needs that id, not a time of day)."""
    body: dict[str, object] = {"detail": detail, **extra}
    rid = logs.request_id.get()
    if rid != "-":
        body["request_id"] = rid
    return body


class JsonApiErrorsMiddleware:
    """Non-JSON error answers under ``/api/`` become JSON with the same status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        detail = DETAILS.get(status, "error")
        if status == 405 and response.has_header("Allow"):
            detail = f"method {request.method} not allowed here; allowed: {response['Allow']}"
        elif status == 403 and b"CSRF" in getattr(response, "content", b""):
            detail = "forbidden: CSRF check failed"
        out = JsonResponse(error_body(detail), status=status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if response.has_header(header):
                out[header] = response[header]
        return out
