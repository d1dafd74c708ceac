"""Stored words shown in the reader's language: ``{{ task.status|status }}``,
``{{ p|period }}``."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy

from wavetag.web.answers import status_text

register = template.Library()


@register.filter
def status(value: object) -> str:
    """A task's or an answer's status (stored in English) as the page's language says it."""
    return status_text(str(value or ""))


PERIODS = {
    "day": gettext_lazy("day"),
    "week": gettext_lazy("week"),
    "month": gettext_lazy("month"),
    "all": gettext_lazy("all"),
}


@register.filter
def period(value: object) -> str:
    """A statistics period (``?period=`` value) in words."""
    return str(PERIODS.get(str(value), value))
