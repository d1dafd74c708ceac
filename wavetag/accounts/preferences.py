"""The language and time zone a page is drawn in.

Django's LocaleMiddleware picks the language from the cookie the switch sets, then from
the browser's Accept-Language. A user who saved a language or a time zone gets theirs on
every device: the saved pair is read from the database once a session and kept in the
session, so no request pays a query for it (the waveform window endpoint is called
dozens of times a page).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from wavetag.accounts.models import Preferences

SESSION_KEY = "wavetag_preferences"


def language_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


@lru_cache(maxsize=1)
def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def valid_time_zone(name: str) -> bool:
    if not name or "/" not in name and name != "UTC":
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def saved(user: Any) -> tuple[str, str]:
    row = Preferences.objects.filter(user=user).values_list("language", "time_zone").first()
    return (row[0], row[1]) if row else ("", "")


def save(
    request: HttpRequest, *, language: str | None = None, time_zone: str | None = None
) -> None:
    """Save the user's choice (``None`` leaves a value as it is) and apply it at once."""
    fields: dict[str, str] = {}
    if language is not None:
        fields["language"] = language
    if time_zone is not None:
        fields["time_zone"] = time_zone
    Preferences.objects.update_or_create(user=request.user, defaults=fields)
    request.session[SESSION_KEY] = list(saved(request.user))
    _apply(request, *saved(request.user))


def _apply(request: HttpRequest, language: str, time_zone: str) -> None:
    if language in language_codes():
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
    if time_zone and valid_time_zone(time_zone):
        timezone.activate(zoneinfo.ZoneInfo(time_zone))
    else:
        timezone.deactivate()


class PreferencesMiddleware:
    """After authentication: the user's saved language and time zone, if any."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            pair = request.session.get(SESSION_KEY)
            if not isinstance(pair, list) or len(pair) != 2:
                pair = list(saved(user))
                request.session[SESSION_KEY] = pair
            _apply(request, str(pair[0]), str(pair[1]))
        else:
            timezone.deactivate()
        return self.get_response(request)
