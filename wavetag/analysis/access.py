"""Who may ask for the automatic analysis of a record, and see its runs.

Project admins of a project on the record's dataset, and site admins. Anyone else who can
see the record gets 403; a record or run outside the user's reach is 404, as elsewhere.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from wavetag.errors import NotAllowed
from wavetag.projects.access import MAX_ID, get_record_for_user
from wavetag.projects.models import Membership, Role
from wavetag.records.access import can_see_everything
from wavetag.records.models import Record

from .models import AnalysisRun


def may_analyse(user: Any, record: Record) -> bool:
    if can_see_everything(user):
        return True
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        user=user, role=Role.ADMIN, project__dataset_id=record.dataset_id
    ).exists()


def get_record_to_analyse(user: Any, record_id: int) -> Record:
    record = get_record_for_user(user, record_id)
    if not may_analyse(user, record):
        raise NotAllowed(_("analysis needs the admin role in a project on this record's dataset"))
    return record


def get_record_findings_for_user(user: Any, record_id: int) -> Record:
    """A record whose automatic findings ``user`` may read: any member of a project on its
    dataset (annotators too: machine suggestions are nobody's answer), and site admins."""
    return get_record_for_user(user, record_id)


def get_run_for_user(user: Any, run_id: int) -> AnalysisRun:
    if not 0 < run_id <= MAX_ID:
        raise Http404(_("No such analysis run"))
    run = AnalysisRun.objects.filter(pk=run_id).select_related("record").first()
    if run is None:
        raise Http404(_("No such analysis run"))
    try:
        get_record_to_analyse(user, run.record_id)
    except Http404:
        raise Http404(_("No such analysis run")) from None
    return run
