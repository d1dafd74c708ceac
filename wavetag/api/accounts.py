from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from wavetag.accounts.models import ViewerSettings
from wavetag.accounts.services import (
    create_token,
    reset_viewer_settings,
    revoke_token,
    update_viewer_settings,
    user_tokens,
)
from wavetag.errors import NotAllowed, load_json

from .projects import Status
from .users import api_user

router = Router(tags=["me"])


class ViewerSettingsOut(Schema):
    paper_speed: float
    gain: float
    line_width: float
    trace_color: str
    grid: bool
    grid_color: str
    background: str
    event_before: float
    event_after: float
    channels_shown: list[str]
    px_per_mm: float


class ViewerSettingsPatch(Schema):
    """Any subset of the settings; limits are checked by the server."""

    paper_speed: float | None = None
    gain: float | None = None
    line_width: float | None = None
    trace_color: str | None = None
    grid: bool | None = None
    grid_color: str | None = None
    background: str | None = None
    event_before: float | None = None
    event_after: float | None = None
    channels_shown: list[str] | None = None
    px_per_mm: float | None = None


class Me(Schema):
    id: int
    username: str
    is_staff: bool


@router.get("/me", response=Me, summary="The authenticated user")
def me(request: HttpRequest) -> dict[str, Any]:
    user = api_user(request)
    return {"id": user.pk, "username": user.get_username(), "is_staff": user.is_staff}


@router.get("/me/viewer-settings", response=ViewerSettingsOut, summary="Your viewer settings")
def get_viewer_settings(request: HttpRequest) -> dict[str, Any]:
    return ViewerSettings.for_user(api_user(request))


@router.patch(
    "/me/viewer-settings",
    response=ViewerSettingsOut,
    summary="Change some viewer settings",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ViewerSettingsPatch.model_json_schema()}},
        }
    },
)
def patch_viewer_settings(request: HttpRequest) -> dict[str, Any]:
    # The body is read here rather than by the schema layer so that every check (types,
    # ranges, unknown names) lives in the one service the pages use too.
    changes = load_json(request.body or b"null")
    return update_viewer_settings(api_user(request), changes)


@router.delete("/me/viewer-settings", response=ViewerSettingsOut, summary="Back to defaults")
def delete_viewer_settings(request: HttpRequest) -> dict[str, Any]:
    return reset_viewer_settings(api_user(request))


class TokenOut(Schema):
    prefix: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str


class TokenIn(Schema):
    name: str = ""


def _token(token: Any) -> dict[str, Any]:
    return {
        "prefix": token.prefix,
        "name": token.name,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
    }


@router.get("/account/tokens", response=list[TokenOut], summary="Your API tokens")
def get_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    return [_token(t) for t in user_tokens(api_user(request))]


@router.post(
    "/account/tokens",
    response={201: TokenCreated},
    summary="Create an API token (signed-in sessions only); its value is in this answer only",
)
def post_token(request: HttpRequest, payload: TokenIn) -> Any:
    user = api_user(request)
    # A token that could make tokens would outlive its own revocation through them.
    session_user = getattr(request, "user", None)
    if session_user is None or session_user.pk != user.pk:
        raise NotAllowed("tokens are made from a signed-in session or with wavetag token create")
    token, raw = create_token(user, payload.name)
    return Status(201, {**_token(token), "token": raw})


@router.delete(
    "/account/tokens/{prefix}", response={204: None}, summary="Revoke one of your API tokens"
)
def delete_token(request: HttpRequest, prefix: str) -> Any:
    revoke_token(prefix, api_user(request))
    return Status(204, None)
