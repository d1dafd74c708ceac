"""API tokens on the account page: create one (its value shown once, on the answer to
the form, never again), and revoke one after a confirmation page.

The same services as ``wavetag token`` and the API (``accounts.services``); every look-up
is among the signed-in user's own tokens, so another user's prefix is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from wavetag.accounts.services import TokenNotFound, create_token, revoke_token, user_tokens
from wavetag.errors import InvalidInput


@never_cache
@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    try:
        token, raw = create_token(request.user, request.POST.get("name", ""))
    except InvalidInput as exc:
        messages.error(request, _("Token not created: %(why)s") % {"why": exc})
        return redirect("account")
    # The raw value lives only in this answer: never stored, never cached (never_cache),
    # and not in a redirect's session message either.
    return render(request, "web/account_token_created.html", {"token": token, "raw": raw})


@login_required
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, prefix: str) -> HttpResponse:
    token = user_tokens(request.user).filter(prefix=prefix[:10]).first()
    if token is None:
        raise Http404(_("No such token"))
    if request.method == "GET":
        return render(request, "web/account_token_revoke.html", {"token": token})
    try:
        revoke_token(prefix, request.user)
    except TokenNotFound:
        raise Http404(_("No such token")) from None
    messages.success(
        request, _("Token %(prefix)s… revoked: it no longer works.") % {"prefix": token.prefix}
    )
    return redirect("account")
