"""Site-admin pages for answers and their history, read-only.

Answers change only through the services (which keep every revision and re-evaluate
consensus); an edit here would bypass both.
"""

from __future__ import annotations

from django.contrib import admin

from wavetag.records.admin import ReadOnlyMixin

from .models import Adjudication, Annotation, DiscussionPost, Flag, Revision


class RevisionInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = Revision
    extra = 0
    can_delete = False
    fields = ("at", "user", "status", "answer", "comment", "changes")
    readonly_fields = fields


@admin.register(Annotation)
class AnnotationAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("task", "user", "status", "updated_at")
    list_filter = ("status", "task__project")
    search_fields = ("user__username", "task__record__name")
    inlines = (RevisionInline,)

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Adjudication)
class AdjudicationAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("task", "user", "created_at")
    list_filter = ("task__project",)

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Flag)
class FlagAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("annotation", "user", "created_at", "resolved_at")


@admin.register(DiscussionPost)
class DiscussionPostAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("task", "user", "created_at")
