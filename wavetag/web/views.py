from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wavetag.annotations import access as set_access
from wavetag.annotations.progress import projects_overview
from wavetag.annotations.viewer import viewer_config
from wavetag.projects import access
from wavetag.records import history
from wavetag.records.access import may_manage_datasets

from .analysis_views import analysis_panel
from .dataset_pages import datasets_for, upload_context

RECORDS_PER_PAGE = 100


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    datasets = datasets_for(request.user).annotate(n_records=Count("records"))
    projects = projects_overview(request.user)
    may_create = access.can_create_projects(request.user)
    context = {"datasets": datasets, "projects": projects, "may_create": may_create}
    context["may_make_datasets"] = may_manage_datasets(request.user)
    return render(request, "web/home.html", context)


@login_required
@require_GET
def dataset_detail(request: HttpRequest, dataset_id: int) -> HttpResponse:
    dataset = datasets_for(request.user).filter(pk=dataset_id).first()
    if dataset is None:
        raise Http404(_("No such dataset"))
    records = access.visible_records(request.user).filter(dataset=dataset)
    search = request.GET.get("q", "").strip()[:100]
    if search:
        records = records.filter(name__icontains=search)
    records = records.annotate(n_channels=Count("channels")).order_by("name")
    # A PhysioNet database can hold tens of thousands of records: one page at a time.
    page = Paginator(records, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"dataset": dataset, "page": page, "records": page.object_list, "q": search}
    context.update(upload_context(request.user, dataset))
    return render(request, "web/dataset.html", context)


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


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
    aset = set_access.get_annotation_set_for_user(request.user, set_id)
    page = Paginator(history.edits(aset).reverse(), HISTORY_PAGE).get_page(request.GET.get("page"))
    rows = history.lines(list(page))
    context = {"set": aset, "record": aset.record, "page": page, "rows": rows}
    return render(request, "web/set_history.html", context)
