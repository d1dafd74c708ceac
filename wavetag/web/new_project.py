"""The create-project page (site admins, or whoever ``access.can_create_projects`` lets in):
name, dataset, a built-in template or a custom schema as JSON, the records, the workflow;
with a preview of the answer form the schema gives, drawn by the task page's own field
template.

The form is turned into the body ``POST /api/v1/projects`` takes and handed to the same
service (``create_from_data``); a refusal re-renders the form with the message at the
field it names.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from wavetag.errors import InvalidInput, NotAllowed, WavetagError, load_json
from wavetag.projects import access
from wavetag.projects.builtin import TEMPLATES
from wavetag.projects.models import ConflictPolicy, Task
from wavetag.projects.schemas import template_schema, validate_schema
from wavetag.projects.services import create_from_data

from .answer_form import form_fields
from .guards import refuse

CUSTOM = "custom"
# Form inputs read as numbers: whole numbers, or any number.
WHOLE = (
    "annotators_per_task",
    "batch_size",
    "max_annotators",
    "records_sample",
    "records_seed",
    "practice_size",
    "practice_pass",
    "gold_rate",
)
REAL = ("window_before", "window_after", "event_at", "segment_seconds")
TEXT = ("description", "event_set", "event_match")
# Ticked boxes (every one of them off by default, as on the model).
FLAGS = ("blind", "reveal_outcome", "open", "leaderboard_anonymous", "machine_suggestions")
# Inputs of the form a message can be shown at (others go above the form).
INPUTS = (
    "name",
    "dataset",
    "template",
    "schema",
    "records",
    "records_pattern",
    "records_annotation_set",
    "records_sample",
    "records_seed",
    "conflict_policy",
    "visible_sets",
    *FLAGS,
    *TEXT,
    *WHOLE,
    *REAL,
)


def _number(name: str, raw: str, whole: bool) -> int | float | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return int(raw) if whole else float(raw)
    except ValueError:
        text = _("%(value)r is not a whole number") if whole else _("%(value)r is not a number")
        raise InvalidInput(f"{name}: " + text % {"value": raw[:40]}) from None


def form_to_body(post: QueryDict) -> dict[str, Any]:
    """The posted form as the API's body; blank inputs are left out (defaults apply)."""
    body: dict[str, Any] = {
        "name": post.get("name", ""),
        "dataset": post.get("dataset", ""),
        "conflict_policy": post.get("conflict_policy", ConflictPolicy.ADJUDICATE),
        **{flag: post.get(flag) == "1" for flag in FLAGS},
    }
    # Annotation sets annotators may see in a blind project: names, comma-separated.
    shown = [name.strip() for name in post.get("visible_sets", "").split(",") if name.strip()]
    if shown:
        body["visible_sets"] = shown
    template = post.get("template", "")
    if template == CUSTOM:
        body["schema"] = load_json(post.get("schema", ""), "schema")
    else:
        body["template"] = template
    for name in TEXT:
        if post.get(name, "").strip():
            body[name] = post[name].strip()
    numbers = {n: _number(n, post.get(n, ""), n in WHOLE) for n in (*WHOLE, *REAL)}
    records = {
        "pattern": post.get("records_pattern", "").strip() or None,
        "annotation_set": post.get("records_annotation_set", "").strip() or None,
        "sample": numbers.pop("records_sample"),
        "seed": numbers.pop("records_seed"),
    }
    body["records"] = {k: v for k, v in records.items() if v is not None} or None
    body.update({k: v for k, v in numbers.items() if v is not None})
    return body


def error_field(message: str) -> str:
    """The form input a service message is about: ``records.sample: ...`` is the input
    ``records_sample``, ``schema.field 'a'...`` the schema box, ``event_at/event_set`` the
    event time."""
    path = message.split(":", 1)[0]
    if path.startswith("records."):
        return "records_" + path[len("records.") :].split(".")[0]
    return path.split(".")[0].split("/")[0].split("[")[0].split(" ")[0]


def preview(schema: dict[str, Any]) -> str:
    """The answer form of ``schema`` as annotators will see it (inputs disabled)."""
    fields = form_fields(schema, {})
    return render_to_string("web/project_preview.html", {"fields": fields, "schema": schema})


def _schema_of(post: QueryDict | dict[str, str]) -> dict[str, Any]:
    template = post.get("template", "")
    if template == CUSTOM:
        return validate_schema(load_json(post.get("schema", ""), "schema"))
    return template_schema(template or "")


def _page(
    request: HttpRequest, form: dict[str, Any], *, error: str = "", status: int = 200
) -> HttpResponse:
    try:
        shown = preview(_schema_of(form))
    except WavetagError:
        shown = ""  # the error is shown at the schema or template
    template = form.get("template", "")
    schema_text = form.get("schema") or json.dumps(
        TEMPLATES.get(template, TEMPLATES["icu-alarm"]), indent=2
    )
    context = {
        "form": form,
        "datasets": access.datasets_for_new_projects(request.user).order_by("name"),
        "templates": sorted(TEMPLATES),
        "template_schemas": {name: TEMPLATES[name] for name in sorted(TEMPLATES)},
        "schema_text": schema_text,
        "policies": ConflictPolicy.values,
        "preview": shown,
        "error": error,
        "error_field": error_field(error) if error else "",
        "inputs": INPUTS,
    }
    return render(request, "web/project_new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def new_project(request: HttpRequest) -> HttpResponse:
    """GET: the empty form (template icu-alarm, blind); POST: create, then the console."""
    if not access.can_create_projects(request.user):
        return refuse(request, NotAllowed(_("creating projects needs a site admin")))
    if request.method == "GET":
        return _page(request, {"template": "icu-alarm", "blind": "1"})
    form = request.POST.dict()
    try:
        project = create_from_data(form_to_body(request.POST), request.user)
    except WavetagError as exc:
        return _page(request, form, error=str(exc), status=exc.status)
    count = Task.objects.filter(project=project).count()
    messages.success(
        request,
        ngettext(
            "Project %(project)s created with %(count)d task",
            "Project %(project)s created with %(count)d tasks",
            count,
        )
        % {"project": project.name, "count": count},
    )
    return redirect(reverse("console", args=[project.pk]))


@login_required
@require_POST
def preview_form(request: HttpRequest) -> HttpResponse:
    """The preview of the answer form for the posted template or schema (the page's
    script asks while the schema is edited); 400 with the message naming what is wrong."""
    if not access.can_create_projects(request.user):
        return refuse(request, NotAllowed(_("creating projects needs a site admin")))
    try:
        html = preview(_schema_of(request.POST))
    except WavetagError as exc:
        return HttpResponse(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    return HttpResponse(html)
