"""Pages of beat-correction tasks: the annotator's beat editor on their working set, the
analysis a task waits for, and the adjudication of the beat disagreements.

They act through the services the API uses (``annotations.beats``,
``annotations.beat_adjudication``), which check roles and blindness themselves.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wavetag.annotations import beat_adjudication, beats
from wavetag.annotations.kinds import kind_of
from wavetag.errors import InvalidInput, WavetagError
from wavetag.projects import access
from wavetag.projects.models import Task

from .answers import REASONS, answer_lines
from .guards import project_links, workflow_errors

MAX_SHOWN = 500
# The codes an adjudicator picks from, most used first.
PICK_CODES = ["N", "V", "A", "L", "R", "F", "/", "Q", "S", "E", "J", "a", "j", "e", "f"]


@login_required
@require_POST
@workflow_errors
def request_analysis(request: HttpRequest, task_id: int) -> HttpResponse:
    task, _acc = access.get_task_for_user(request.user, task_id)
    run = beats.request_start_analysis(task, request.user)
    messages.info(
        request,
        _("Automatic analysis queued (run %(run)s): reload this page when it is done.")
        % {"run": run.pk},
    )
    return redirect("task", task_id=task.pk)


# -- adjudication ---------------------------------------------------------------------------


def _rows(comparison: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for item in comparison["items"][:MAX_SHOWN]:
        r = item["resolution"] or {}
        text = {
            "take": _("take %(annotator)s") % {"annotator": r.get("annotator")},
            "label": _("beat %(label)s") % {"label": r.get("label")},
            "keep": _("keep the beat"),
            "drop": _("no beat"),
        }.get(r.get("action", ""), "")
        rows.append({**item, "resolution_text": text})
    return rows


def _label_pairs(comparison: dict[str, Any]) -> list[str]:
    """The label disagreements' label sets ("N V"; "/" is a beat code), for the bulk
    form's filter."""
    pairs = {
        " ".join(sorted({v["label"] for v in i["versions"] if v["label"]}))
        for i in comparison["items"]
        if i["kind"] == "label"
    }
    return sorted(pairs)


def adjudicate_page(
    request: HttpRequest, task: Task, acc: access.TaskAccess, *, error: str = "", status: int = 200
) -> HttpResponse:
    data = kind_of(task.project).adjudication_page(task, request.user, acc)
    comparison = data["comparison"]
    stats = (comparison or {}).get("stats") or {}
    for a in data["notes"]:
        a["lines"] = answer_lines(task.project.schema, a["answer"])
    context = {
        **project_links(task.project, acc.role),
        **data,
        "error": error,
        "rows": _rows(comparison) if comparison else [],
        "more": max(0, (comparison or {}).get("count", 0) - MAX_SHOWN),
        "stats": stats,
        "annotators": stats.get("annotators", []),
        "label_pairs": _label_pairs(comparison) if comparison else [],
        "codes": PICK_CODES,
        "reason_text": REASONS.get(data["reason"], ""),
    }
    return render(request, "web/adjudicate_beats.html", context, status=status)


def _resolution_from(post: Any) -> dict[str, Any]:
    """A resolution from the page's forms: action "take:NAME", "label:V", keep, drop."""
    raw = post.get("action", "")
    action, _colon, arg = raw.partition(":")
    if action == "take":
        return {"action": "take", "annotator": arg}
    if action == "label":
        return {"action": "label", "label": arg or post.get("label", "")}
    return {"action": action}


def adjudicate_post(request: HttpRequest, task: Task, acc: access.TaskAccess) -> HttpResponse:
    """One disagreement (``id``) or, with ``bulk``, all that match ``kind`` / ``labels``."""
    post = request.POST
    resolution = _resolution_from(post)
    try:
        if post.get("bulk"):
            body: dict[str, Any] = dict(resolution)
            if post.get("kind"):
                body["kind"] = post["kind"]
            if post.get("labels"):
                body["labels"] = post["labels"].split()
            out = beat_adjudication.resolve_bulk(task, request.user, body)
            note = _("%(n)s resolved") % {"n": out["resolved_now"]}
            if out["skipped"]:
                note += _(", %(n)s left (the annotators' labels differ)") % {"n": out["skipped"]}
        elif post.get("finish"):
            beat_adjudication.finish_now(task, request.user, post.get("comment", ""))
            out, note = {"status": "adjudicated", "unresolved": 0}, _("Decided")
        else:
            raw = post.get("id", "")
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
                raise InvalidInput(_("id: must be the id of a disagreement of this task"))
            item = {"id": int(raw), **resolution}
            out = beat_adjudication.resolve(task, request.user, {"items": [item]})
            note = _("Resolved")
    except WavetagError as exc:
        return adjudicate_page(request, task, acc, error=str(exc), status=exc.status)
    if out["status"] == "adjudicated":
        messages.success(
            request,
            _("Task %(task)s adjudicated: its final beats are written.") % {"task": task.pk},
        )
    else:
        messages.success(
            request,
            _("%(note)s; %(n)s left to resolve.") % {"note": note, "n": out["unresolved"]},
        )
    return redirect(reverse("adjudicate", args=[task.pk]))


def adjudicate(request: HttpRequest, task: Task, acc: access.TaskAccess) -> HttpResponse:
    if request.method == "GET":
        return adjudicate_page(request, task, acc)
    return adjudicate_post(request, task, acc)
