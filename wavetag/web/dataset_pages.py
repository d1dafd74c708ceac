"""Dataset managers' pages: the new-dataset form, and what the dataset page offers them
(the upload drop zone, whose files go to ``POST /api/v1/datasets/{name}/records``).

The form hands its fields to the service the API calls (``create_dataset``); a refusal
re-renders the form with the message at the field it names.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wavetag.errors import WavetagError
from wavetag.projects import access
from wavetag.records.access import may_manage_datasets
from wavetag.records.models import Dataset
from wavetag.records.uploads import create_dataset

FIELDS = ("name", "description")


def datasets_for(user: Any) -> QuerySet[Dataset]:
    """The datasets the user's pages list (managers: all of them, as the API shows them,
    since they make them and upload into them)."""
    return access.visible_datasets(user)


def upload_context(user: Any, dataset: Dataset) -> dict[str, Any]:
    """What the dataset page needs for its upload box; empty for those who may not
    upload (the API refuses them anyway)."""
    if not may_manage_datasets(user) or dataset.tutorial:
        return {}
    return {
        "upload": {
            # Names may hold spaces, '#' or '?': quoted whole into the path.
            "url": f"/api/v1/datasets/{quote(dataset.name, safe='')}/records",
            "max": settings.MAX_UPLOAD,
            "max_gb": f"{settings.MAX_UPLOAD / 1e9:g}",
        }
    }


def _field_of(message: str) -> str:
    """The form field a service's message names (``name: ...``), or "" for the form."""
    head = message.split(":", 1)[0]
    return head if head in FIELDS else ""


@login_required
@require_http_methods(["GET", "POST"])
def new_dataset(request: HttpRequest) -> HttpResponse:
    if not may_manage_datasets(request.user):
        # Outsiders are told nothing of the page, as of objects they may not see.
        raise Http404(_("No such page"))
    form = {f: request.POST.get(f, "") for f in FIELDS}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            dataset = create_dataset(form["name"], form["description"])
        except WavetagError as exc:
            text = str(exc)
            field = _field_of(text)
            errors[field] = text[len(field) + 2 :] if field else text
            status = exc.status
        else:
            messages.success(
                request,
                _("Dataset %(dataset)s made: upload its records here.") % {"dataset": dataset.name},
            )
            return redirect("dataset", dataset.pk)
    return render(request, "web/dataset_new.html", {"form": form, "errors": errors}, status=status)
