"""Account-level services used by both pages and the API."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput, WavetagError, refuse_nul

from .models import VIEWER_DEFAULTS, ApiToken, ViewerSettings

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# name -> (lowest, highest) for numbers; the one place these limits are stated.
NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "paper_speed": (1.0, 500.0),
    "gain": (0.5, 200.0),
    "line_width": (0.25, 6.0),
    "event_before": (0.0, 3600.0),
    "event_after": (0.0, 3600.0),
    "px_per_mm": (0.0, 40.0),
}
COLORS = {"trace_color", "grid_color", "background"}


class SettingsError(InvalidInput):
    """An invalid viewer setting; the message names the field."""


def _check(name: str, value: Any) -> Any:
    if name in NUMBER_RANGES:
        low, high = NUMBER_RANGES[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{name}: " + _("must be a number"))
        if not low <= value <= high:
            raise SettingsError(
                f"{name}: "
                + _("must be between %(low)s and %(high)s")
                % {"low": f"{low:g}", "high": f"{high:g}"}
            )
        return float(value)
    if name in COLORS:
        if not isinstance(value, str) or not COLOR.match(value):
            raise SettingsError(f"{name}: " + _("must be a colour like #1a2b3c"))
        return value
    if name == "grid":
        if not isinstance(value, bool):
            raise SettingsError("grid: " + _("must be true or false"))
        return value
    if name == "channels_shown":
        if (
            not isinstance(value, list)
            or len(value) > 256
            or not all(isinstance(v, str) and 0 < len(v) <= 100 for v in value)
        ):
            raise SettingsError("channels_shown: " + _("must be a list of channel names"))
        return value
    raise SettingsError(f"{name}: " + _("unknown setting"))


def update_viewer_settings(user: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate and merge ``changes`` into the user's settings; return all of them."""
    if not isinstance(changes, dict):
        raise SettingsError("settings: " + _("expected an object"))
    clean = {name: _check(name, value) for name, value in changes.items()}
    with transaction.atomic():
        row, _created = ViewerSettings.objects.select_for_update().get_or_create(user=user)
        row.data = {k: v for k, v in {**row.data, **clean}.items() if k in VIEWER_DEFAULTS}
        row.save()
    return {**VIEWER_DEFAULTS, **row.data}


def reset_viewer_settings(user: Any) -> dict[str, Any]:
    ViewerSettings.objects.filter(user=user).delete()
    return dict(VIEWER_DEFAULTS)


# -- API tokens: the account page, the API and ``wavetag token`` ----------------------------
TOKEN_NAME_MAX = ApiToken._meta.get_field("name").max_length or 100


class TokenNotFound(WavetagError):
    """No token of this user (or of anyone, for the command) starts with the prefix."""

    status = 404


def user_tokens(user: Any) -> QuerySet[ApiToken]:
    """The user's tokens, oldest first (as the command lists them)."""
    return ApiToken.objects.filter(user=user).order_by("created_at", "id")


def create_token(user: Any, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user``; the raw value is returned once and stored nowhere."""
    name = refuse_nul("name", name.strip())
    if len(name) > TOKEN_NAME_MAX:
        raise InvalidInput("name: " + _("at most %(n)s characters") % {"n": TOKEN_NAME_MAX})
    return ApiToken.create_for(user, name)


def revoke_token(prefix: str, user: Any = None) -> int:
    """Delete the token(s) starting with ``prefix`` (the stored first 10 characters);
    ``user``: only among that user's, so that nobody revokes another's token (a prefix of
    someone else's is reported as missing). ``None``: anyone's, for the site's command.
    Deleting clears the token cache of this process (``models.forget_token``)."""
    tokens = ApiToken.objects.filter(prefix=prefix[:10])
    if user is not None:
        tokens = tokens.filter(user=user)
    # QuerySet.delete sends each row's post_delete: the token leaves the cache at once.
    deleted, _ = tokens.delete()
    if not deleted:
        raise TokenNotFound(f"no token starts with {prefix!r}")
    return deleted
