"""The HTTP API, version 1. OpenAPI schema at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from wavetag.accounts.models import ApiToken
from wavetag.errors import WavetagError

from .errors import error_body

log = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return ApiToken.user_for(token)


class ActiveSession(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        return user if user.is_authenticated and user.is_active else None


ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "what is wrong, naming the field"},
        "request_id": {
            "type": "string",
            "description": "this request's id, as in the X-Request-ID header and the server's"
            " log: quote it when reporting a problem",
        },
    },
    "required": ["detail"],
}
ERROR_MEANING = {
    400: "Bad request: a parameter or the body cannot be read (the detail names it)",
    401: "Authentication required",
    403: "Forbidden: your role in the project does not allow it",
    404: "Not found, or not visible to you",
    409: "Conflict with the current state (e.g. an answer already frozen)",
    413: "Request body too large",
    422: "Invalid values (the detail names each field)",
}
# Answers that are not JSON: the media types a 200 may carry.
MEDIA = {
    "/records/{record_id}/window": ["application/json", "application/octet-stream"],
    "/records/{record_id}/annotations/export": [
        "text/csv",
        "application/octet-stream",
        "application/json",
    ],
    "/projects/{project_id}/export": ["application/json", "text/csv"],
    "/records/{record_id}/report.pdf": ["application/pdf"],
    "/projects/{project_id}/releases/{release_id}/download": ["application/zip"],
}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """List on every operation the error answers it can give, all ``{"detail": ...}``: 401
    and 403 everywhere (every endpoint checks who asks), 404 where the path names an object,
    400 and 422 where parameters or a body are read, 409 and 413 on writes (409 on reading
    a task too); and the media
    types of the answers that are not JSON."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            codes = {401, 403, 400}
            if "{" in path:
                codes.add(404)
            if op.get("parameters") or op.get("requestBody"):
                codes.add(422)
            if method in {"post", "put", "patch", "delete"}:
                codes |= {409, 413}
            elif "{task_id}" in path:
                codes.add(409)  # a task not of the kind asked for (beats of a form task)
            # django-ninja keys responses by int; JSON makes them strings.
            responses = op.setdefault("responses", {})
            for code in sorted(codes):
                if code not in responses and str(code) not in responses:
                    responses[code] = {"description": ERROR_MEANING[code], "content": error}
            for suffix, types in MEDIA.items():
                ok = responses.get(200) or responses.get("200")
                if path.endswith(suffix) and ok is not None:
                    known = ok.get("content", {}).get("application/json", {"schema": {}})
                    ok["content"] = {t: known if t == "application/json" else {} for t in types}
    return schema


class WavetagAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return document_errors(super().get_openapi_schema(*args, **kwargs))


api = WavetagAPI(
    title="wavetag API",
    version="1",
    description=(
        "Records, signal windows and annotations. Authenticate with a session "
        "(browser) or `Authorization: Bearer <token>` (`wavetag token create USER`)."
    ),
    auth=[BearerToken(), ActiveSession()],
    urls_namespace="api-v1",
)


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return api.create_response(request, error_body(message), status=status)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # One readable line per problem, naming the parameter.
    problems = []
    for err in exc.errors:
        where = ".".join(str(p) for p in err.get("loc", ())[1:]) or "request"
        problems.append(f"{where}: {err.get('msg', 'invalid')}")
    return api.create_response(
        request, error_body("; ".join(problems), errors=exc.errors), status=422
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request, 401, "Authentication required: log in or send Authorization: Bearer <token>"
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or "Not found")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(WavetagError)
def _refused(request: HttpRequest, exc: WavetagError) -> HttpResponse:
    # Every app's refusals: the status they carry, the message naming the field or rule.
    return _error(request, exc.status, str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1e6
    return _error(request, 413, f"body: larger than {limit:g} MB (WAVETAG_MAX_BODY_MB)")


@api.exception_handler(MultiPartParserError)
@api.exception_handler(BadRequest)
@api.exception_handler(SuspiciousOperation)
def _bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    # What Django itself answers 400 to (a malformed multipart body, too many fields, a
    # bad host); without this the catch-all below would make them 500s.
    return _error(request, 400, f"request: {exc}" if str(exc) else "request: malformed")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s", request.path)
    return _error(request, 500, "Internal error; it has been logged with this request's id")


from .accounts import router as accounts_router  # noqa: E402
from .analysis import router as analysis_router  # noqa: E402
from .beats import router as beats_router  # noqa: E402
from .datasets import router as datasets_router  # noqa: E402
from .editing import router as editing_router  # noqa: E402
from .projects import router as projects_router  # noqa: E402
from .records import router as records_router  # noqa: E402
from .releases import router as releases_router  # noqa: E402
from .review import router as review_router  # noqa: E402
from .tasks import router as tasks_router  # noqa: E402
from .teams import router as teams_router  # noqa: E402
from .training import router as training_router  # noqa: E402

api.add_router("/", teams_router)
api.add_router("/", datasets_router)
api.add_router("/", records_router)
api.add_router("/", accounts_router)
api.add_router("/", projects_router)
api.add_router("/", releases_router)
api.add_router("/", tasks_router)
api.add_router("/", review_router)
api.add_router("/", analysis_router)
api.add_router("/", editing_router)
api.add_router("/", beats_router)
api.add_router("/", training_router)

from .leaderboard import router as leaderboard_router  # noqa: E402
from .physionet import router as physionet_router  # noqa: E402

api.add_router("/", leaderboard_router)
api.add_router("/", physionet_router)
