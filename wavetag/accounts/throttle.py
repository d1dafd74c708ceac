"""Throttles kept in the database (so that they hold across every web process): failed
log-ins lock the account name and the address for a while; password-reset mail is
limited per e-mail address and per client address."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from .models import LoginFailure, ResetRequest

WINDOW = timedelta(minutes=float(os.environ.get("WAVETAG_LOGIN_LOCK_MINUTES", "15")))
PER_USERNAME = int(os.environ.get("WAVETAG_LOGIN_FAILURES_PER_USER", "5"))
PER_ADDRESS = int(os.environ.get("WAVETAG_LOGIN_FAILURES_PER_ADDRESS", "20"))
RESET_WINDOW = timedelta(hours=1)
RESETS_PER_EMAIL = 3
RESETS_PER_IP = 10


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


def reset_mail_allowed(email: str, ip: str | None) -> bool:
    """Whether a password-reset mail may go to ``email`` now, asked from ``ip``; counts the
    request when it may.

    Every request counts, whether or not an account has the address, so that the limit
    behaves the same for both and tells nothing about which addresses exist. A refused
    request is not counted: a flood cannot keep the owner of the address locked out for
    longer than the window.
    """
    address = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()
    now = timezone.now()
    recent = ResetRequest.objects.filter(at__gte=now - RESET_WINDOW)
    if recent.filter(address_hash=address).count() >= RESETS_PER_EMAIL:
        return False
    if ip and recent.filter(ip=ip).count() >= RESETS_PER_IP:
        return False
    ResetRequest.objects.create(address_hash=address, ip=ip, at=now)
    ResetRequest.objects.filter(at__lt=now - 4 * RESET_WINDOW).delete()
    return True
