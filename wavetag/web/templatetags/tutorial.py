"""``{% walkthrough_url project %}``: the tutorial page that teaches a project's task page
(its template's walkthrough, or the tutorial's index when there is none)."""

from __future__ import annotations

from django import template
from django.urls import reverse

from wavetag.projects.models import Project
from wavetag.web.tutorial import walkthrough_for

register = template.Library()


@register.simple_tag
def walkthrough_url(project: Project) -> str:
    name = walkthrough_for(project)
    return reverse("tutorial-walk", args=[name]) if name else reverse("tutorial")
