"""Account-level services used by both pages and the API."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from wavetag.errors import InvalidInput

from .models import VIEWER_DEFAULTS, ViewerSettings

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
            raise SettingsError(f"{name}: must be a number")
        if not low <= value <= high:
            raise SettingsError(f"{name}: must be between {low:g} and {high:g}")
        return float(value)
    if name in COLORS:
        if not isinstance(value, str) or not COLOR.match(value):
            raise SettingsError(f"{name}: must be a colour like #1a2b3c")
        return value
    if name == "grid":
        if not isinstance(value, bool):
            raise SettingsError("grid: must be true or false")
        return value
    if name == "channels_shown":
        if (
            not isinstance(value, list)
            or len(value) > 256
            or not all(isinstance(v, str) and 0 < len(v) <= 100 for v in value)
        ):
            raise SettingsError("channels_shown: must be a list of channel names")
        return value
    raise SettingsError(f"{name}: unknown setting")


def update_viewer_settings(user: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate and merge ``changes`` into the user's settings; return all of them."""
    if not isinstance(changes, dict):
        raise SettingsError("settings: expected an object")
    clean = {name: _check(name, value) for name, value in changes.items()}
    with transaction.atomic():
        row, _ = ViewerSettings.objects.select_for_update().get_or_create(user=user)
        row.data = {k: v for k, v in {**row.data, **clean}.items() if k in VIEWER_DEFAULTS}
        row.save()
    return {**VIEWER_DEFAULTS, **row.data}


def reset_viewer_settings(user: Any) -> dict[str, Any]:
    ViewerSettings.objects.filter(user=user).delete()
    return dict(VIEWER_DEFAULTS)
