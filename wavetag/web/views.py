from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wavetag.accounts.models import ViewerSettings
from wavetag.annotations.progress import projects_overview
from wavetag.records import access, history
from wavetag.records.models import Record
from wavetag.signal import vocabulary
from wavetag.signal.channels import channel_kind

from .analysis_views import analysis_panel

RECORDS_PER_PAGE = 100


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    datasets = access.visible_datasets(request.user).annotate(n_records=Count("records"))
    projects = projects_overview(request.user)
    return render(request, "web/home.html", {"datasets": datasets, "projects": projects})


@login_required
@require_GET
def dataset_detail(request: HttpRequest, dataset_id: int) -> HttpResponse:
    dataset = access.visible_datasets(request.user).filter(pk=dataset_id).first()
    if dataset is None:
        raise Http404("No such dataset")
    records = access.visible_records(request.user).filter(dataset=dataset)
    search = request.GET.get("q", "").strip()[:100]
    if search:
        records = records.filter(name__icontains=search)
    records = records.annotate(n_channels=Count("channels")).order_by("name")
    # A PhysioNet database can hold tens of thousands of records: one page at a time.
    page = Paginator(records, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"dataset": dataset, "page": page, "records": page.object_list, "q": search}
    return render(request, "web/dataset.html", context)


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def viewer_config(
    record: Record,
    user: object,
    event: float | None = None,
    window: tuple[float, float] | None = None,
) -> dict[str, object]:
    """Everything the viewer needs to start, so that its first paint waits on one request.

    ``window`` (start, end in seconds) is where the viewer opens, e.g. a task's window;
    without it, an ``event`` opens with the user's own seconds before and after it."""
    return {
        "record": {
            "id": record.pk,
            "name": record.name,
            "dataset": record.dataset.name,
            "duration": record.duration,
            "channels": [
                {
                    "index": c.index,
                    "name": c.name,
                    "units": c.units,
                    "fs": c.fs,
                    "kind": channel_kind(c.name, c.units),
                }
                for c in record.channels.all()
            ],
            "annotation_sets": [
                {
                    "id": s.pk,
                    "name": s.name,
                    "origin": s.origin,
                    "count": s.count,
                    "mine": s.created_by_id == user.pk,
                }
                for s in access.visible_annotation_sets(user, record)
            ],
        },
        "event": event,
        "window": {"start": window[0], "end": window[1]} if window else None,
        "settings": ViewerSettings.for_user(user),
        "api": "/api/v1",
        # Beat codes, rhythm labels and colours come from the one vocabulary, so that the
        # browser cannot drift from the importer, the analysis and the exports.
        "vocabulary": vocabulary.for_viewer(),
    }


@login_required
@require_GET
def record_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    record = access.get_record_for_user(request.user, record_id)
    event = None
    if "t" in request.GET:
        try:
            event = float(request.GET["t"])
        except ValueError:
            event = None
        if event is not None and not 0 <= event <= record.duration:
            event = None
    config = viewer_config(record, request.user, event)
    # The record's own page edits beats; task pages embed the viewer without the editor.
    config["beat_editor"] = True
    context = {
        "record": record,
        "config": config,
        "analysis": analysis_panel(request.user, record),
    }
    return render(request, "web/record.html", context)


HISTORY_PAGE = 200


@login_required
@require_GET
def set_history_page(request: HttpRequest, set_id: int) -> HttpResponse:
    """Every edit of an annotation set, newest first, each linked to its place in the record."""
    aset = access.get_annotation_set_for_user(request.user, set_id)
    page = Paginator(history.edits(aset).reverse(), HISTORY_PAGE).get_page(request.GET.get("page"))
    rows = history.lines(list(page))
    context = {"set": aset, "record": aset.record, "page": page, "rows": rows}
    return render(request, "web/set_history.html", context)
