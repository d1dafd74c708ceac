"""Login throttling: too many failures lock the account name, and the address, for a while."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from .models import LoginFailure

WINDOW = timedelta(minutes=float(os.environ.get("WAVETAG_LOGIN_LOCK_MINUTES", "15")))
PER_USERNAME = int(os.environ.get("WAVETAG_LOGIN_FAILURES_PER_USER", "5"))
PER_ADDRESS = int(os.environ.get("WAVETAG_LOGIN_FAILURES_PER_ADDRESS", "20"))


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _norm(username: str) -> str:
    return (username or "").strip().lower()[:150]


def seconds_locked(username: str, ip: str | None) -> int:
    """Seconds until ``username`` (or ``ip``) may try again; 0 when not locked."""
    since = timezone.now() - WINDOW
    recent = LoginFailure.objects.filter(at__gte=since)
    checks = [(recent.filter(username=_norm(username)), PER_USERNAME)]
    if ip:
        checks.append((recent.filter(ip=ip), PER_ADDRESS))
    wait = 0
    for failures, limit in checks:
        times = list(failures.order_by("-at").values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            # Locked until the oldest of the last `limit` failures leaves the window.
            until = times[-1] + WINDOW
            wait = max(wait, int((until - timezone.now()).total_seconds()) + 1)
    return wait


def record_failure(username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=_norm(username), ip=ip)
    LoginFailure.objects.filter(at__lt=timezone.now() - 4 * WINDOW).delete()


def record_success(username: str) -> None:
    LoginFailure.objects.filter(username=_norm(username)).delete()


def lock_message(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return (
        "Too many failed log-in attempts. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    record_failure(str(credentials.get("username", "")), client_ip(request))
