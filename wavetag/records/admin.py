"""Site-admin pages for datasets and records.

Records are written by the importer (samples in the store, rows in one transaction),
so here they are read-only: editing a channel's gain by hand would silently change
every value shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AnnotationEdit, AnnotationSet, Channel, Dataset, ImportJob, Record


class ReadOnlyMixin:
    """Lists and shows rows, never adds or edits them (deleting stays possible)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "description", "licence", "created_at")
    search_fields = ("name",)
    fields = ("name", "description", "provenance", "licence")


class ChannelInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = Channel
    extra = 0
    fields = ("index", "name", "units", "fs", "gain", "baseline", "n_samples")
    readonly_fields = fields


class AnnotationSetInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = AnnotationSet
    extra = 0
    fields = ("name", "origin", "source", "count", "created_at")
    readonly_fields = fields


@admin.register(Record)
class RecordAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "dataset", "format", "duration", "imported_at")
    list_filter = ("dataset", "format")
    search_fields = ("name",)
    exclude = ("patient_info",)
    inlines = (ChannelInline, AnnotationSetInline)


@admin.register(AnnotationEdit)
class AnnotationEditAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """The edit log of working sets: a record of what people did, so never rewritten."""

    list_display = ("annotation_set", "op", "user", "at", "batch")
    list_filter = ("op",)
    search_fields = ("annotation_set__name", "user__username")
    readonly_fields = ("annotation_set", "user", "at", "batch", "op", "before", "after")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Uploads imported by the worker: what came of them, as the uploader sees it."""

    list_display = ("dataset", "user", "status", "done", "total", "created_at", "finished_at")
    list_filter = ("status",)
    exclude = ("folder",)
