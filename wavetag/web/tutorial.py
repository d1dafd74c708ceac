"""The tutorial: for each built-in template, a guided walkthrough of the task page on a
record wavetag generated for it (``records.tutorial``): the real viewer, the template's
real answer form (the task page's partials, built from its schema) and a guide that
highlights each control and checks it was used.

Nothing here is saved to a project: Submit and Save for later show, in the page, what a
task would do with the answer. The beat-correction walkthrough edits the user's own copy
of the practice beats, which nobody else sees (``restart`` drops it).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wavetag.annotations.viewer import show_only, viewer_config
from wavetag.projects.beat_schema import is_beat_schema
from wavetag.projects.builtin import ACTION_KEYS
from wavetag.projects.models import Project
from wavetag.projects.schema_text import shown_schema
from wavetag.projects.schemas import template_schema
from wavetag.records import tutorial as records
from wavetag.records.models import AnnotationSet, Record

from .answer_form import form_fields
from .tutorial_steps import WALKTHROUGHS, Walkthrough, expected, steps


def walkthrough_for(project: Project) -> str | None:
    """The walkthrough that teaches a project's task page: its template's, or for a
    custom schema the built-in one of the same kind of task; None if there is none."""
    if project.template in WALKTHROUGHS:
        return str(project.template)
    if is_beat_schema(project.schema):
        return "beat-correction"
    return None


def _walkthrough(template: str) -> Walkthrough:
    walk = WALKTHROUGHS.get(template)
    if walk is None:
        raise Http404(_("No such walkthrough"))
    return walk


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    items = [
        {"walk": w, "schema": shown_schema(template_schema(name))}
        for name, w in WALKTHROUGHS.items()
    ]
    return render(request, "web/tutorial_index.html", {"items": items})


def _beats_part(record: Record, user: Any, config: dict[str, Any]) -> dict[str, Any]:
    """The beat editor on the user's copy of the practice beats, beside the practice set,
    as a beat task's page has it; and what the guide checks the corrections against."""
    mine = records.practice_copy(record, user)
    practice = AnnotationSet.objects.get(record=record, name=records.PRACTICE_SET)
    # A copy made just now, after the viewer's list was read, is added.
    listed = {"id": mine.pk, "name": mine.name, "origin": mine.origin, "count": mine.count}
    show_only(config, {practice.pk, mine.pk}, {**listed, "mine": True})
    config["beat_editor"] = True
    config["edit_set"] = {"id": mine.pk, "name": mine.name}
    return {
        "working_set": mine,
        "start_set": practice,
        "corrections": records.corrections(record),
    }


@login_required
@require_GET
def walkthrough(request: HttpRequest, template: str) -> HttpResponse:
    walk = _walkthrough(template)
    # Labels in the reader's language, the same in the form, the guide and its checks.
    schema = shown_schema(template_schema(template))
    record = records.tutorial_record(walk.record)
    reference = records.reference(record)
    event = reference["alarm"] if walk.before_alarm is not None else None
    window = walk.window
    if event is not None and walk.before_alarm is not None:
        window = (event - walk.before_alarm, event)
    config = viewer_config(record, request.user, event=event, window=window)
    guide: dict[str, Any] = {
        "template": template,
        "expected": expected(schema, walk),
        # Beat times, to tell the user whether a caliper spans an RR interval.
        "beats": [t for t, _ in reference["beats"]],
    }
    beat = None
    if is_beat_schema(schema):
        beat = _beats_part(record, request.user, config)
        guide["corrections"] = beat["corrections"]
        guide["reference"] = reference["beats"]
    else:
        show_only(config, set())  # the reference set would give the answer away
    channels = [c["name"] for c in config["record"]["channels"]]
    context = {
        "walk": walk,
        "schema": schema,
        "record": record,
        "window": window,
        "event": event,
        "config": config,
        "guide": guide,
        "steps": steps(walk, schema, channels),
        "fields": form_fields(schema, {}),
        "action_keys": ACTION_KEYS,
        "beat": beat,
        "others": [name for name in WALKTHROUGHS if name != template],
    }
    return render(request, "web/tutorial.html", context)


@login_required
@require_POST
def restart(request: HttpRequest, template: str) -> HttpResponse:
    """Start the beat-correction walkthrough again from the practice beats."""
    walk = _walkthrough(template)
    if is_beat_schema(template_schema(template)):
        records.restart(records.tutorial_record(walk.record), request.user)
    return redirect("tutorial-walk", template=template)
