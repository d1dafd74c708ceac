"""The language and time zone a page is drawn in.

Django's LocaleMiddleware picks the language from the cookie the switch sets, then from
the browser's Accept-Language. A user who saved a language or a time zone gets theirs on
every device: the saved pair is read from the database once a session and kept in the
session, so no request pays a query for it (the waveform window endpoint is called
dozens of times a page).

A change saved on one device reaches the user's other open sessions at their next
request: saving puts a new stamp in the cache "preferences" (Redis when configured, else
files under WAVETAG_HOME: shared by the server processes), each session keeps the stamp
its pair was read at, and a session whose stamp is no longer the cache's reads the pair
again. No query per request, and at most one cache lookup a second per user and process:
each process keeps the stamp it last read for a second (``STAMP_MEMO_S``), so the window
endpoint's bursts of requests do not each ask the cache; a change made in another process
shows at most that second later, one made in this process at once.
"""

from __future__ import annotations

import logging
import time
import zoneinfo
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from wavetag.accounts.models import Preferences

log = logging.getLogger(__name__)
SESSION_KEY = "wavetag_preferences"
STAMP_MEMO_S = 1.0
# user pk -> (stamp, monotonic time it was read); per process, bounded by the active users.
_memo: dict[Any, tuple[str | None, float]] = {}


def _stamps() -> Any:
    # Settings made without the "preferences" cache (a test's Redis) use the default one.
    return caches["preferences"] if "preferences" in settings.CACHES else cache


def _stamp_key(user: Any) -> str:
    return f"preferences-stamp:{user.pk}"


def _new_stamp() -> str:
    return str(time.time_ns())


def current_stamp(user: Any) -> str | None:
    """The stamp of the user's last saved change, made when the cache has none (a restart,
    an eviction: every session then reads its pair once more); None when the cache does
    not answer (the session's pair is then used as it is). Read from the cache at most
    once every ``STAMP_MEMO_S`` per user in this process."""
    now = time.monotonic()
    memo = _memo.get(user.pk)
    if memo is not None and now - memo[1] < STAMP_MEMO_S:
        return memo[0]
    stamp = _read_stamp(user)
    if len(_memo) > 10_000:  # users gone idle: forget them all rather than grow
        _memo.clear()
    _memo[user.pk] = (stamp, now)
    return stamp


def _read_stamp(user: Any) -> str | None:
    try:
        stamps = _stamps()
        stamp = stamps.get(_stamp_key(user))
        if stamp is None:
            # ``add``: a change saved meanwhile by another request keeps its stamp.
            stamps.add(_stamp_key(user), _new_stamp(), timeout=None)
            stamp = stamps.get(_stamp_key(user))
    except Exception:
        log.warning("the cache did not answer: preferences kept as the session has them")
        return None
    return None if stamp is None else str(stamp)


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
    stamp = _new_stamp()
    _memo.pop(request.user.pk, None)
    try:
        # The user's other sessions read the pair again at their next request.
        _stamps().set(_stamp_key(request.user), stamp, timeout=None)
        _memo[request.user.pk] = (stamp, time.monotonic())
    except Exception:
        log.warning("the cache did not answer: other sessions see the change at log-in")
    pair = saved(request.user)
    request.session[SESSION_KEY] = [*pair, stamp]
    _apply(request, *pair)


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
            kept = request.session.get(SESSION_KEY)
            stamp = current_stamp(user)
            if not isinstance(kept, list) or len(kept) != 3:
                kept = [*saved(user), stamp]
                request.session[SESSION_KEY] = kept
            elif stamp is not None and kept[2] != stamp:
                # Saved on another device since this session read it.
                kept = [*saved(user), stamp]
                request.session[SESSION_KEY] = kept
            _apply(request, str(kept[0]), str(kept[1]))
        else:
            timezone.deactivate()
        return self.get_response(request)
