"""Throttles kept in the database (so that they hold across every web process): failed
log-ins lock guessing without handing strangers a way to lock others out; password-reset
mail is limited per e-mail address and per client address.

Log-in locks are keyed so that failures from other addresses, or with other names, never
lock out someone who logs in correctly: attempts are counted per name *and* address, so
guessing one name's password from one address is stopped after a few tries while the same
name from elsewhere, and other names from the same address, are untouched. A browser that
once logged in as a name carries a signed "device cookie" saying so, and its attempts at
that name are counted on their own: a stranger guessing a colleague's password from the
same address (the same hospital network behind one NAT) cannot lock the colleague's own
browser either. Behind a reverse proxy, the client's address is read from
``X-Forwarded-For`` only when the request comes from one of ``WAVETAG_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import LoginFailure, ResetRequest

WINDOW = timedelta(minutes=float(os.environ.get("WAVETAG_LOGIN_LOCK_MINUTES", "15")))
# Failures of one name from one address (or from one trusted browser) before it is locked.
PER_USERNAME = int(os.environ.get("WAVETAG_LOGIN_FAILURES_PER_USER", "5"))
RESET_WINDOW = timedelta(hours=1)
RESETS_PER_EMAIL = 3
RESETS_PER_IP = 10

DEVICE_COOKIE = "wavetag_device"
DEVICE_MAX_AGE = 365 * 24 * 3600
_SALT = "wavetag.accounts.device"


def _address(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None


def _trusted(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(addr in net for net in settings.TRUSTED_PROXIES)


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request came straight from one of ``WAVETAG_TRUSTED_PROXIES`` (whose
    headers, such as ``X-Request-ID``, may then be believed)."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    return remote is not None and _trusted(remote)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or, when that is a trusted proxy, the last
    address of ``X-Forwarded-For`` that is not one (each proxy appends the address it
    was called from, so addresses left of the first untrusted one may be forged)."""
    if request is None:
        return None
    remote = _address(request.META.get("REMOTE_ADDR"))
    if remote is None:
        return None
    if not settings.TRUSTED_PROXIES or not _trusted(remote):
        return str(remote)
    chain = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(chain):
        addr = _address(hop)
        if addr is None:
            break  # a malformed hop: trust nothing beyond it
        if not _trusted(addr):
            return str(addr)
    return str(remote)


def _norm(username: str) -> str:
    return (username or "").strip().lower()[:150]


def device_of(request: HttpRequest | None, username: str) -> str:
    """The id of this browser's device cookie when it was issued for ``username``, else ''."""
    if request is None:
        return ""
    raw = request.COOKIES.get(DEVICE_COOKIE, "")
    if not raw:
        return ""
    try:
        data = signing.loads(raw, salt=_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return ""
    if not isinstance(data, dict) or data.get("u") != _norm(username):
        return ""
    device = data.get("d")
    return device if isinstance(device, str) and 0 < len(device) <= 32 else ""


def seconds_locked(username: str, ip: str | None, device: str = "") -> int:
    """Seconds until this attempt at ``username`` may be made; 0 when not locked.

    ``device`` is the id of a device cookie issued to this browser for this name (see
    :func:`device_of`): its own failures decide. Without one, the failures of this name
    from this address without a device cookie decide.
    """
    recent = LoginFailure.objects.filter(at__gte=timezone.now() - WINDOW)
    if device:
        failures = recent.filter(device=device)
    else:
        failures = recent.filter(username=_norm(username), ip=ip, device="")
    times = list(failures.order_by("-at").values_list("at", flat=True)[:PER_USERNAME])
    if len(times) < PER_USERNAME:
        return 0
    # Locked until the oldest of the last PER_USERNAME failures leaves the window.
    return int((times[-1] + WINDOW - timezone.now()).total_seconds()) + 1


def record_failure(username: str, ip: str | None, device: str = "") -> None:
    LoginFailure.objects.create(username=_norm(username), ip=ip, device=device)
    LoginFailure.objects.filter(at__lt=timezone.now() - 4 * WINDOW).delete()


def record_success(username: str, request: HttpRequest | None = None) -> None:
    """Forget the name's failures, and give this browser a device cookie for it (kept if
    it has one), set on the response by :class:`DeviceCookieMiddleware`."""
    name = _norm(username)
    LoginFailure.objects.filter(username=name).delete()
    if request is not None:
        device = device_of(request, name) or secrets.token_hex(16)
        request._wavetag_device = signing.dumps({"u": name, "d": device}, salt=_SALT)  # type: ignore[attr-defined]


class DeviceCookieMiddleware:
    """Sets the device cookie a successful log-in asked for (forms cannot set cookies)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        value = getattr(request, "_wavetag_device", None)
        if value:
            response.set_cookie(
                DEVICE_COOKIE,
                value,
                max_age=DEVICE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


def lock_message(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return (
        _("Too many failed log-in attempts.")
        + " "
        + ngettext("Try again in %(n)d minute.", "Try again in %(n)d minutes.", minutes)
        % {"n": minutes}
    )


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    username = str(credentials.get("username", ""))
    record_failure(username, client_ip(request), device_of(request, username))


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
