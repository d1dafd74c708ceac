"""Site-admin pages for projects and their members.

A project's schema is a copy frozen at creation: answers already given depend on its
meaning, so it is shown, not edited, here.
"""

from __future__ import annotations

from django.contrib import admin

from wavetag.records.admin import ReadOnlyMixin

from .models import Assignment, Membership, Project, Task


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "template", "dataset", "annotators_per_task", "batch_size", "blind")
    list_filter = ("template",)
    search_fields = ("name",)
    readonly_fields = ("template", "schema", "dataset", "created_at", "created_by")
    inlines = (MembershipInline,)


@admin.register(Task)
class TaskAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "project", "record", "key", "status", "event_time")
    list_filter = ("project", "status")
    search_fields = ("record__name", "key")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("task", "user", "batch", "position", "claimed_at")
    list_filter = ("task__project",)
    search_fields = ("user__username",)
