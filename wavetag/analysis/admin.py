"""Site-admin pages for analysis runs: read-only, written by the job alone."""

from __future__ import annotations

from django.contrib import admin

from wavetag.records.admin import ReadOnlyMixin

from .models import AnalysisRun, Worker


@admin.register(AnalysisRun)
class AnalysisRunAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "id",
        "record",
        "status",
        "progress",
        "beats",
        "requested_by",
        "worker",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("record__name",)
    raw_id_fields = ("record", "annotation_set", "requested_by")


@admin.register(Worker)
class WorkerAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """The workers that said they were alive; a dead one's heartbeat grows old here."""

    list_display = ("id", "host", "pid", "started_at", "heartbeat_at")
