"""The "Import from PhysioNet" page (dataset managers): a database and version, its records
from the mirror to pick, a target dataset; the import runs as a job the page follows.

Everything it does goes through the API (``GET /api/v1/physionet/{database}/records``,
``POST /api/v1/datasets/{name}/physionet``, ``GET /api/v1/import-jobs/{id}``), from
``web/physionet.js``: the page itself only says who may use it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wavetag.errors import NotAllowed
from wavetag.records.access import may_manage_datasets
from wavetag.records.models import Dataset

from .guards import refuse

# Offered as suggestions; any database the mirror has may be typed.
COMMON = (
    ("mitdb", "MIT-BIH Arrhythmia"),
    ("afdb", "MIT-BIH Atrial Fibrillation"),
    ("ltafdb", "Long Term AF"),
    ("nsrdb", "MIT-BIH Normal Sinus Rhythm"),
    ("incartdb", "St Petersburg INCART 12-lead Arrhythmia"),
    ("ptb-xl", "PTB-XL 12-lead ECG"),
    ("challenge-2015", "Reducing False Arrhythmia Alarms in the ICU"),
    ("svdb", "MIT-BIH Supraventricular Arrhythmia"),
    ("edb", "European ST-T"),
)


@login_required
@require_GET
def physionet_page(request: HttpRequest) -> HttpResponse:
    if not may_manage_datasets(request.user):
        return refuse(
            request, NotAllowed(_("only dataset managers import from PhysioNet (ask a site admin)"))
        )
    datasets = Dataset.objects.filter(tutorial=False).order_by("name")
    wanted = request.GET.get("dataset", "")[:200]
    names = list(datasets.values_list("name", flat=True))
    context = {"common": COMMON, "datasets": names, "dataset": wanted}
    return render(request, "web/physionet_import.html", context)
