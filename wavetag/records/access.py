"""The one place that decides which datasets and records a user may see.

Objects outside the user's reach are reported as missing (404), never as
forbidden, so that ids do not leak what exists.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .models import Dataset, Record


def _project_dataset_ids(user: Any) -> QuerySet[Dataset] | list[int]:
    """Datasets reached through project membership (none until projects exist)."""
    from django.apps import apps

    if not apps.is_installed("wavetag.projects"):
        return []
    Membership = apps.get_model("projects", "Membership")
    return Membership.objects.filter(user=user).values_list("project__dataset_id", flat=True)


def can_see_everything(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.is_staff))


def visible_datasets(user: Any) -> QuerySet[Dataset]:
    if can_see_everything(user):
        return Dataset.objects.all()
    if not user.is_authenticated:
        return Dataset.objects.none()
    return Dataset.objects.filter(id__in=_project_dataset_ids(user))


def visible_records(user: Any) -> QuerySet[Record]:
    if can_see_everything(user):
        return Record.objects.all()
    if not user.is_authenticated:
        return Record.objects.none()
    return Record.objects.filter(dataset_id__in=_project_dataset_ids(user))


def get_record_for_user(user: Any, record_id: int) -> Record:
    record = visible_records(user).select_related("dataset").filter(pk=record_id).first()
    if record is None:
        raise Http404("No such record")
    return record


def may_see_comments(user: Any) -> bool:
    """Header comments can give away the answer; only site admins see them."""
    return can_see_everything(user)
