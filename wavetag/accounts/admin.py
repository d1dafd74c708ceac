"""Site-admin pages for API tokens, invitations and the log-in and password-reset throttles.

Tokens and invitation codes are stored as hashes and shown once when made (``wavetag
token create``, ``wavetag invite``, the project console), so they cannot be added here;
deleting one revokes it. Deleting a user's login failures lifts a lock early.
"""

from __future__ import annotations

from django.contrib import admin

from wavetag.records.admin import ReadOnlyMixin

from .models import ApiToken, Invitation, LoginFailure, ResetRequest


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("prefix", "user", "name", "created_at", "last_used_at")
    search_fields = ("user__username", "prefix", "name")
    exclude = ("key_hash",)


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("prefix", "project", "role", "email", "expires_at", "used_by", "used_at")
    list_filter = ("project", "role")
    exclude = ("code_hash",)


@admin.register(LoginFailure)
class LoginFailureAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("username", "ip", "at")
    search_fields = ("username", "ip")


@admin.register(ResetRequest)
class ResetRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("address_hash", "ip", "at")
    search_fields = ("ip",)
