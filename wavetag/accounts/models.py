from __future__ import annotations

import hashlib
import secrets
import threading
import time
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "wt_"
# A bearer token's user is remembered by each process for this long. The look-up through
# the ORM costs about 0.5 ms, a tenth of a window request, and a viewer makes several a
# second. Deleting a token or saving its user clears the entry in the process that does
# it (signals below); other processes notice within this many seconds.
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_ENTRIES = 10_000
_token_cache: dict[str, tuple[float, Any]] = {}
_token_cache_lock = threading.Lock()
_now = time.monotonic


def hash_token(raw: str) -> str:
    # Tokens are long random strings, so a fast hash is enough; only the hash is
    # stored, so a leaked database does not leak working tokens.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the HTTP API. The raw value is shown once, at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to tell tokens apart")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def create_for(cls, user: object, name: str = "") -> tuple[ApiToken, str]:
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=hash_token(raw), prefix=raw[:10])
        return token, raw

    @classmethod
    def user_for(cls, raw: str) -> object | None:
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            return None
        key = hash_token(raw)
        now = _now()
        hit = _token_cache.get(key)
        if hit is not None and hit[0] > now:
            return _clone(hit[1])
        user = cls._user_from_db(key)
        with _token_cache_lock:
            if len(_token_cache) >= TOKEN_CACHE_ENTRIES:
                _token_cache.clear()
            if user is None:
                _token_cache.pop(key, None)
            else:
                _token_cache[key] = (now + TOKEN_CACHE_SECONDS, user)
        return _clone(user) if user is not None else None

    @classmethod
    def _user_from_db(cls, key: str) -> object | None:
        # Unordered and sliced rather than .first(): no ORDER BY to compile on a lookup
        # by a unique key, which every window request of the viewer makes.
        rows = cls.objects.select_related("user").filter(key_hash=key).order_by()
        token = next(iter(rows[:1]), None)
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        # Touch at most once a minute: a viewer fires many window requests per second.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user


def _clone(user: Any) -> Any:
    """A copy of a cached user, so that nothing one request sets on it reaches another
    thread: the model's own pickling state (its fields and a copy of ``_state``), without
    the pickling machinery ``copy.copy`` goes through (a third of a token look-up)."""
    clone = user.__class__.__new__(user.__class__)
    clone.__dict__.update(user.__getstate__())
    return clone


def forget_token(sender: Any, instance: ApiToken, **kwargs: Any) -> None:
    """post_delete of a token: it stops working in this process at once."""
    with _token_cache_lock:
        _token_cache.pop(instance.key_hash, None)


def forget_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    """post_save/post_delete of a user (deactivated, made staff, ...): look it up again."""
    with _token_cache_lock:
        for key in [k for k, (_, u) in _token_cache.items() if u.pk == instance.pk]:
            del _token_cache[key]


VIEWER_DEFAULTS: dict[str, object] = {
    "paper_speed": 25.0,  # mm/s
    "gain": 10.0,  # mm/mV
    "line_width": 1.2,  # CSS px
    "trace_color": "#111111",
    "grid": True,
    "grid_color": "#f2b8b5",
    "background": "#ffffff",
    "event_before": 10.0,  # s shown before an event
    "event_after": 5.0,  # s shown after an event
    "channels_shown": [],  # channel names shown by default; empty = all
    "px_per_mm": 0.0,  # screen calibration; 0 = the CSS nominal 96 dpi
}


class ViewerSettings(models.Model):
    """A user's viewer preferences, applied on every page that shows a waveform."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="viewer_settings"
    )
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"viewer settings of {self.user}"

    @classmethod
    def for_user(cls, user: object) -> dict[str, object]:
        row = cls.objects.filter(user=user).first()
        return {**VIEWER_DEFAULTS, **(row.data if row else {})}


class LoginFailure(models.Model):
    """A failed log-in, kept for a while to throttle password guessing.

    Stored in the database rather than a per-process cache so that the limit holds
    across every web process of a deployment.
    """

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    # The device cookie's id when the browser had logged in as this name before; '' else.
    device = models.CharField(max_length=32, blank=True, default="", db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at:%Y-%m-%d %H:%M:%S}"


class ResetRequest(models.Model):
    """A password-reset mail asked for, kept for a while to throttle mail floods. The
    address is kept as a hash: the table must not become a list of addresses people
    tried."""

    address_hash = models.CharField(max_length=64, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.address_hash[:8]} from {self.ip} at {self.at:%Y-%m-%d %H:%M:%S}"


class Invitation(models.Model):
    """A one-time code that lets a person register (or an existing user join) a project
    with a role. Only a hash of the code is stored, like API tokens."""

    code_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to tell codes apart")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=16)
    email = models.EmailField(blank=True, help_text="when set, only this address may use it")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation {self.prefix}… to {self.project} as {self.role}"

    @property
    def usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class Preferences(models.Model):
    """A user's language and time zone, followed on every device they log in from.

    Blank means "as the browser says" (language) and "the site's time zone"
    (``WAVETAG_TIME_ZONE``).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    language = models.CharField(max_length=16, blank=True, default="")
    time_zone = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"preferences of {self.user}"
