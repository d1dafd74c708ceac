"""The header's language switch and the account page's language and time zone."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wavetag.accounts import preferences


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


def _remember(response: HttpResponse, language: str) -> None:
    """The language cookie: what LocaleMiddleware reads before Accept-Language."""
    if not language:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Anyone (the log-in page has the switch too): a cookie, and the user's saved choice."""
    language = request.POST.get("language", "")
    response: HttpResponse = HttpResponseRedirect(_back(request))
    if language not in preferences.language_codes():
        return response
    if request.user.is_authenticated:
        preferences.save(request, language=language)
    translation.activate(language)
    _remember(response, language)
    return response


@login_required
@require_POST
def save_preferences(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    time_zone = request.POST.get("time_zone", "").strip()
    if language and language not in preferences.language_codes():
        messages.error(request, _("Unknown language: %(value)s.") % {"value": language[:32]})
        return redirect("account")
    if time_zone and not preferences.valid_time_zone(time_zone):
        messages.error(
            request,
            _("Unknown time zone: %(value)s (an IANA name such as Asia/Shanghai).")
            % {"value": time_zone[:64]},
        )
        return redirect("account")
    preferences.save(request, language=language, time_zone=time_zone)
    response = redirect("account")
    _remember(response, language)
    messages.success(request, _("Your language and time zone are saved."))
    return response
