"""``{{ seconds|clock }}``: a duration as people read it (``24:00:00``, ``5:00``, ``9.5 s``)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(round(seconds))
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
