"""The automatic analysis on the record page: ask for it, see how the latest run went."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wavetag.analysis.access import get_record_to_analyse, may_analyse
from wavetag.analysis.models import AnalysisRun
from wavetag.analysis.services import request_analysis
from wavetag.errors import InvalidInput, NotAllowed, StateConflict
from wavetag.records.models import Record


def analysis_panel(user: Any, record: Record) -> dict[str, Any] | None:
    """What the record page shows of the analysis; None for those who may not ask for it."""
    if not may_analyse(user, record):
        return None
    run = AnalysisRun.objects.filter(record=record).order_by("-created_at", "-id").first()
    channels = list(record.channels.order_by("index").values("index", "name"))
    return {"run": run.describe() if run is not None else None, "channels": channels}


@login_required
@require_POST
def record_analysis(request: HttpRequest, record_id: int) -> HttpResponse:
    try:
        record = get_record_to_analyse(request.user, record_id)
    except NotAllowed as exc:
        return HttpResponseForbidden(str(exc))
    try:
        run = request_analysis(record, request.user, channel=request.POST.get("channel") or None)
    except (StateConflict, InvalidInput) as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, _("Analysis queued (run %(id)s).") % {"id": run.pk})
    return redirect("record", record_id=record.pk)
