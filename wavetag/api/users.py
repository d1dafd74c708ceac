"""Who is asking, for every router of the API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def api_user(request: HttpRequest) -> Any:
    """The authenticated user of an API request. Bearer-token requests carry it in
    ``request.auth`` (set by the API's authenticators), not in ``request.user``."""
    return request.auth  # type: ignore[attr-defined]
