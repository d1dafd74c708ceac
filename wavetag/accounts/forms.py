from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import translation

from . import preferences, throttle


class _Throttled:
    """Refuse before checking the password while this attempt is locked (see
    :mod:`wavetag.accounts.throttle`)."""

    request: Any
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        wait = throttle.seconds_locked(
            username, throttle.client_ip(self.request), throttle.device_of(self.request, username)
        )
        if wait:
            raise forms.ValidationError(throttle.lock_message(wait), code="throttled")
        cleaned = super().clean()  # type: ignore[misc]
        throttle.record_success(username, self.request)
        return cleaned


class ThrottledAuthenticationForm(_Throttled, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(_Throttled, AdminAuthenticationForm):
    pass


class ThrottledPasswordResetForm(PasswordResetForm):
    """A reset request answers the same in every case (the mail is on its way, if the
    address has an account), but sends at most a few mails an hour to one address, and
    for one client address."""

    def save(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        email = self.cleaned_data["email"]
        if throttle.reset_mail_allowed(email, throttle.client_ip(request)):
            super().save(*args, request=request, **kwargs)

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        """In the account's saved language: whoever asks for the link (another browser,
        another language) is not necessarily who reads the mail."""
        context = kwargs.get("context", args[2] if len(args) > 2 else {})
        language, _zone = preferences.saved(context["user"])
        with translation.override(language or translation.get_language()):
            super().send_mail(*args, **kwargs)
