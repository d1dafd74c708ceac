from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wavetag.records import access


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    datasets = access.visible_datasets(request.user).annotate(n_records=Count("records"))
    return render(request, "web/home.html", {"datasets": datasets})


@login_required
@require_GET
def dataset_detail(request: HttpRequest, dataset_id: int) -> HttpResponse:
    dataset = access.visible_datasets(request.user).filter(pk=dataset_id).first()
    if dataset is None:
        raise Http404("No such dataset")
    records = (
        access.visible_records(request.user)
        .filter(dataset=dataset)
        .annotate(n_channels=Count("channels"))
        .order_by("name")
    )
    return render(request, "web/dataset.html", {"dataset": dataset, "records": records})


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
