"""The agreement page of a project (adjudicators and project admins): per agreement field,
percent agreement, kappa or alpha, annotator pairs, each annotator against the final
labels and the Dawid–Skene accuracy, with confusion tables drawn as heat maps; beat
agreement for a beat-correction project.

The figures are ``annotations.agreement.project_agreement``'s, as the API gives them; this
module only lays them out. A heat map is a real table (headers, counts in the cells)
whose cells are shaded on the server, so it needs no script and reads without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wavetag.annotations.agreement import project_agreement
from wavetag.projects import access
from wavetag.projects.models import Role
from wavetag.projects.schema_text import label_text

from .guards import page_context, workflow_errors

SHADE = (26, 95, 180)  # the pages' link blue
DARK = 0.55  # above this share of the largest count, white text keeps its contrast


def _cell(value: float, top: float) -> dict[str, Any]:
    share = value / top if top else 0.0
    style = f"background-color: rgba({SHADE[0]}, {SHADE[1]}, {SHADE[2]}, {share:.2f})"
    if share > DARK:
        style += "; color: #fff"
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return {"text": text, "style": style}


def heatmap(
    categories: Sequence[Any], matrix: Sequence[Sequence[float]], rows: str, columns: str
) -> dict[str, Any] | None:
    """A square count table as a heat map, without the categories nobody used (a
    subcategory field has 18; an empty row and column say nothing)."""
    n = len(categories)
    keep = [i for i in range(n) if any(matrix[i]) or any(matrix[j][i] for j in range(n))]
    if not keep:
        return None
    top = max(matrix[i][j] for i in keep for j in keep)
    return {
        "rows_are": rows,
        "columns_are": columns,
        "columns": [str(categories[j]) for j in keep],
        "rows": [
            {"label": str(categories[i]), "cells": [_cell(matrix[i][j], top) for j in keep]}
            for i in keep
        ],
        "unused": n - len(keep),
    }


def _annotator_rows(field: dict[str, Any]) -> list[dict[str, Any]]:
    ds = (field["dawid_skene"] or {}).get("annotators", {})
    rows = []
    for name, row in field["annotators"].items():
        versus = row["versus_final"]
        rows.append(
            {
                "name": name,
                "tasks": row["tasks"],
                "versus": versus,
                "classes": [(c, s) for c, s in versus["classes"].items() if s["support"]]
                if versus
                else [],
                "heatmap": heatmap(
                    field["categories"],
                    versus["confusion"],
                    _("final label"),
                    _("%(name)s's answer") % {"name": name},
                )
                if versus
                else None,
                "accuracy": ds.get(name, {}).get("accuracy"),
            }
        )
    return rows


def _field(name: str, field: dict[str, Any]) -> dict[str, Any]:
    # Categories are answer values (data, shown as stored); the field's label is shown in
    # the reader's language.
    field = {**field, "label": label_text(field["label"])}
    return {
        "name": name,
        "stats": field,
        "heatmap": heatmap(
            field["categories"], field["coincidence"], _("one annotator"), _("another annotator")
        ),
        "annotators": _annotator_rows(field),
        "per_choice": sorted((field.get("per_choice") or {}).items()),
    }


def _beats(beats: dict[str, Any] | None) -> dict[str, Any] | None:
    if beats is None:
        return None
    final = beats["versus_final"]
    codes = final["codes"]
    rows = []
    for name, row in final["annotators"].items():
        labels = row["labels"]
        confusion = labels["confusion"] if labels else None
        rows.append(
            {
                "name": name,
                **row,
                "heatmap": heatmap(
                    codes, confusion, _("final beat"), _("%(name)s's beat") % {"name": name}
                )
                if confusion
                else None,
            }
        )
    return {**beats, "final_rows": rows}


@login_required
@require_GET
@workflow_errors
def agreement(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, needs=Role.ADJUDICATOR)
    stats = project_agreement(project, request.user)
    context = page_context(
        request,
        project,
        stats=stats,
        fields=[_field(name, f) for name, f in stats["fields"].items()],
        beats=_beats(stats.get("beats")),
    )
    return render(request, "web/agreement.html", context)
