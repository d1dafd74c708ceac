"""``{{ value|role }}``: a stored role, policy or state named in the page's language."""

from __future__ import annotations

from django import template

from wavetag.projects.names import name

register = template.Library()


@register.filter
def role(value: object) -> str:
    return name(value)
