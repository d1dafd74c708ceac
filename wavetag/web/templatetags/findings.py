"""The automatic analysis's rhythm names in the page's language (``wavetag.analysis.texts``)."""

from __future__ import annotations

from typing import Any

from django import template

from wavetag.analysis import texts

register = template.Library()


@register.simple_tag
def rhythm_name(entry: dict[str, Any]) -> str:
    """The name of one ``rhythm_summary`` entry (``{"label", "name", ...}``)."""
    return texts.rhythm(str(entry.get("label", "")), str(entry.get("name", "")))
