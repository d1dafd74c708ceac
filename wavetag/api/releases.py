"""Release bundles built in the background: ask for one, follow it, download its zip."""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest, StreamingHttpResponse
from ninja import Field, Router, Schema

from wavetag.annotations.models import ReleaseBuild
from wavetag.annotations.release_jobs import request_release, zip_chunks
from wavetag.errors import InvalidInput
from wavetag.projects import access
from wavetag.projects.models import Project, Role

from .analysis import ErrorOut
from .projects import Status, json_body
from .users import api_user

router = Router(tags=["projects"])
BASE = "/projects/{project_id}/releases"


class ReleaseBuildIn(Schema):
    with_names: bool = Field(
        False, description="also write the annotators' user names (pseudonymous ids otherwise)"
    )


class ReleaseBuildOut(Schema):
    id: int
    project: int
    status: Literal["queued", "running", "done", "failed"]
    message: str = Field(description="what the job is doing, or why it failed")
    with_names: bool
    requested_by: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    size: int | None = Field(description="bytes of the zip, once done")
    sha256: str | None = Field(description="SHA-256 of the zip, once done")
    file_name: str | None = Field(description="the download's file name, once done")


class ReleaseBuildList(Schema):
    items: list[ReleaseBuildOut]
    count: int


def _admin_project(request: HttpRequest, project_id: int) -> Project:
    # Project admins (and site admins) only: a bundle holds every answer, and may hold names.
    return access.get_project_for_user(api_user(request), project_id, needs=Role.ADMIN)


def _build(project: Project, release_id: int) -> ReleaseBuild:
    build = (
        ReleaseBuild.objects.select_related("requested_by")
        .filter(project=project, pk=release_id if 0 < release_id <= access.MAX_ID else 0)
        .first()
    )
    if build is None:
        raise Http404("No such release build")
    return build


@router.post(
    BASE,
    response={202: ReleaseBuildOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Build the project's release bundle in the background (project admins)",
    description="The bundle `wavetag export PROJECT --out DIR` writes (records as WFDB, "
    "final labels, every answer under pseudonymous ids, README.md, SHA256SUMS), as a zip "
    "with one top-level folder named after the project. `with_names` also writes the "
    "annotators' user names. Follow the build at `GET .../releases/{release_id}`; once "
    "`done`, download it at `.../download`. 409 while another build of the project is "
    "queued or running.",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": ReleaseBuildIn.model_json_schema()}},
        }
    },
)
def post_release_build(request: HttpRequest, project_id: int) -> Any:
    project = _admin_project(request, project_id)
    body = json_body(request)
    if not isinstance(body, dict):
        raise InvalidInput("body: must be a JSON object")
    unknown = set(body) - {"with_names"}
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: unknown (with_names)")
    with_names = body.get("with_names", False)
    if not isinstance(with_names, bool):
        raise InvalidInput("with_names: must be true or false")
    build = request_release(project, api_user(request), with_names=with_names)
    return Status(202, build.describe())


@router.get(BASE, response=ReleaseBuildList, summary="The project's release builds, latest first")
def list_release_builds(request: HttpRequest, project_id: int) -> dict[str, Any]:
    project = _admin_project(request, project_id)
    items = [
        b.describe()
        for b in ReleaseBuild.objects.filter(project=project).select_related("requested_by")
    ]
    return {"items": items, "count": len(items)}


@router.get(BASE + "/{release_id}", response=ReleaseBuildOut, summary="One release build")
def get_release_build(request: HttpRequest, project_id: int, release_id: int) -> dict[str, Any]:
    return _build(_admin_project(request, project_id), release_id).describe()


@router.get(
    BASE + "/{release_id}/download",
    response={200: None, 409: ErrorOut},
    summary="The zip of a finished release build",
    description="`application/zip`, streamed. 409 while the build is not done (queued, "
    "running or failed); 404 when its zip is no longer kept (build it again).",
)
def download_release_build(
    request: HttpRequest, project_id: int, release_id: int
) -> StreamingHttpResponse:
    build = _build(_admin_project(request, project_id), release_id)
    try:
        chunks = zip_chunks(build)
    except FileNotFoundError:
        raise Http404("The zip of this build is no longer kept: build it again") from None
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Length"] = str(build.size)
    response["Content-Disposition"] = f'attachment; filename="{build.file_name}"'
    return response
