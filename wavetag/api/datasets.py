"""Datasets made, records uploaded and annotation files added over HTTP (dataset managers).

The files are read from ``multipart/form-data`` parts named ``files``, streamed to disk as
they arrive (``wavetag.records.upload_handlers``); the rules live in
``wavetag.records.uploads``, which pages call too.
"""

from __future__ import annotations

import shutil
from contextlib import nullcontext
from typing import Any, Literal

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, Router, Schema

from wavetag.analysis.import_jobs import describe, fail_dead_imports, queue_import
from wavetag.errors import InvalidInput, NotAllowed, WavetagError
from wavetag.projects import access
from wavetag.records.access import MAX_ID, can_see_everything, may_manage_datasets
from wavetag.records.models import Dataset, ImportJob
from wavetag.records.upload_handlers import upload_too_large
from wavetag.records.uploads import (
    Outcome,
    add_annotation_files,
    create_dataset,
    import_staged,
    new_folder,
    record_for_manager,
    stage,
    uploadable_dataset,
)

from .analysis import ErrorOut
from .errors import error_body
from .projects import Status, json_body
from .users import api_user

router = Router(tags=["records"])


class DatasetIn(Schema):
    name: str
    description: str = ""


class DatasetOut(Schema):
    id: int
    name: str
    description: str
    records: int


class DatasetList(Schema):
    items: list[DatasetOut]
    count: int


class ItemOut(Schema):
    id: int
    name: str


class RefusedOut(Schema):
    file: str = Field(description="the file (or `archive.zip: member`) as sent")
    error: str


class UploadOut(Schema):
    items: list[ItemOut] = Field(description="what was made: records, or annotation sets")
    refused: list[RefusedOut]


class UploadRefused(Schema):
    detail: str
    refused: list[RefusedOut] = Field([], description="each file refused, and why")
    request_id: str | None = None


class JobQueued(Schema):
    job: int
    url: str = Field(description="where to follow the job")


class ImportJobOut(Schema):
    id: int
    dataset: str
    status: Literal["queued", "running", "done", "failed"]
    source: dict[str, str] = Field(
        description='`{"kind": "upload"}` or `{"kind": "physionet", "database", "version"}`'
    )
    total: int = Field(description="records found (0 until the worker has looked)")
    downloaded: int = Field(description="PhysioNet: records fetched (or refused) so far")
    done: int = Field(description="records imported or refused so far")
    items: list[ItemOut]
    refused: list[RefusedOut]
    error: str
    created_at: str
    started_at: str | None
    finished_at: str | None


class TooLarge(WavetagError):
    status = 413


def _manager(request: HttpRequest) -> Any:
    user = api_user(request)
    if not may_manage_datasets(user):
        raise NotAllowed(
            "forbidden: only dataset managers (site admins and users granted it with "
            "`wavetag user grant-datasets USER`) make datasets and upload files"
        )
    return user


def _uploaded_files(request: HttpRequest) -> list[Any]:
    """The parts named ``files``, on disk; refuses (413) an upload over the limit, and
    (400) a body that is not multipart or holds no file."""
    limit = f"{settings.MAX_UPLOAD} bytes (WAVETAG_MAX_UPLOAD)"
    if upload_too_large(request):
        raise TooLarge(f"files: the upload is larger than {limit}")
    if request.content_type != "multipart/form-data":
        raise InvalidInput("body: send multipart/form-data with one or more parts named files")
    files = request.FILES.getlist("files")
    if upload_too_large(request):
        for upload in files:
            upload.close()
        raise TooLarge(f"files: the upload is larger than {limit}")
    if not files:
        raise InvalidInput("files: no file sent (multipart parts named files)")
    return files


# What an upload that made nothing answers, by what it was to make.
NOTHING_MADE = {
    "record": gettext_noop("no record could be made"),
    "annotation set": gettext_noop("no annotation set could be made"),
}


def _answer(outcome: Outcome, what: str) -> Any:
    if outcome.items:
        return Status(201, {"items": outcome.items, "refused": outcome.refused})
    status = 409 if outcome.conflict else 400
    return Status(status, error_body("files: " + _(NOTHING_MADE[what]), refused=outcome.refused))


MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        }
                    },
                    "required": ["files"],
                }
            }
        },
    }
}


@router.get("/datasets", response=DatasetList, summary="Datasets you may see")
def list_datasets(request: HttpRequest) -> dict[str, Any]:
    user = api_user(request)
    # Dataset managers see every dataset: they make them and upload into them.
    qs = Dataset.objects.all() if may_manage_datasets(user) else access.visible_datasets(user)
    qs = qs.annotate(n=Count("records"))
    items = [{"id": d.pk, "name": d.name, "description": d.description, "records": d.n} for d in qs]
    return {"items": items, "count": len(items)}


@router.post(
    "/datasets",
    response={201: DatasetOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="Make a dataset (dataset managers)",
    description='`{"name", "description"}`; 409 when a dataset of that name exists.',
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": DatasetIn.model_json_schema()}},
        }
    },
)
def post_dataset(request: HttpRequest) -> Any:
    _manager(request)
    body = json_body(request)
    if not isinstance(body, dict):
        raise InvalidInput("body: must be a JSON object")
    unknown = set(body) - {"name", "description"}
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: unknown (name, description)")
    dataset = create_dataset(body.get("name"), body.get("description", ""))
    return Status(
        201,
        {"id": dataset.pk, "name": dataset.name, "description": dataset.description, "records": 0},
    )


@router.post(
    "/datasets/{name}/records",
    response={
        201: UploadOut,
        202: JobQueued,
        400: UploadRefused,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
    },
    summary="Upload records into a dataset (dataset managers)",
    description="Multipart parts named `files`: WFDB files (a `.hea` with its `.dat`/`.mat` "
    "and annotation files such as `.atr`, matched by name), EDF/EDF+/BDF files, and `.zip` "
    "or `.tar.gz` archives of a folder. Each record is imported or refused on its own; "
    "`refused` names each file refused and why. 400 (with `refused`) when nothing could be "
    "imported; 413 past WAVETAG_MAX_UPLOAD bytes. Uploads larger than "
    "WAVETAG_UPLOAD_INLINE_MAX bytes answer 202 with an import job to follow at "
    "`GET /api/v1/import-jobs/{job_id}`. Patient fields and recording dates are not kept.",
    openapi_extra=MULTIPART,
)
def post_records(request: HttpRequest, name: str) -> Any:
    user = _manager(request)
    dataset = uploadable_dataset(name)
    files = _uploaded_files(request)
    size = sum(f.size or 0 for f in files)
    folder = new_folder("import-")
    queued = size > settings.UPLOAD_INLINE_MAX
    try:
        # A job keeps its refusals in English, shown in the reader's language when the job
        # is (``describe``); within the request they are worded in it at once.
        with translation.override("en") if queued else nullcontext():
            refused = stage(files, folder)
        if queued:
            job = queue_import(dataset, user, folder, refused=refused)
            return Status(202, {"job": job.pk, "url": f"/api/v1/import-jobs/{job.pk}"})
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        for upload in files:
            upload.close()
    outcome = import_staged(folder, dataset, user)
    outcome.refused = refused + outcome.refused
    return _answer(outcome, "record")


@router.get(
    "/import-jobs/{job_id}",
    response={200: ImportJobOut, 403: ErrorOut, 404: ErrorOut},
    summary="An import job: its progress, then the records imported and the files refused",
    description="Only the user who uploaded and site admins see a job.",
)
def get_import_job(request: HttpRequest, job_id: int) -> Any:
    user = api_user(request)
    # A job whose worker died is failed here, with its reason, rather than running for ever:
    # the workers' own sweep does it too, but when no worker is left alive only a poll can.
    fail_dead_imports()
    job = (
        ImportJob.objects.select_related("dataset")
        .filter(pk=job_id if 0 < job_id <= MAX_ID else 0)
        .first()
    )
    if job is None or not (job.user_id == user.pk or can_see_everything(user)):
        raise Http404("No such import job")
    return describe(job)


@router.post(
    "/records/{record_id}/annotation-files",
    response={
        201: UploadOut,
        400: UploadRefused,
        403: ErrorOut,
        404: ErrorOut,
        409: UploadRefused,
    },
    summary="Add annotation files to a record as new sets (dataset managers)",
    description="Multipart parts named `files`: WFDB annotation files (`100.qrs` becomes "
    "the set `qrs`) or EDF+ files of annotations (`r01_events.edf` becomes `r01_events`). "
    "An existing set is never replaced: such a file is refused naming the set (409 when "
    "nothing else was added).",
    openapi_extra=MULTIPART,
)
def post_annotation_files(request: HttpRequest, record_id: int) -> Any:
    user = _manager(request)
    record = record_for_manager(user, record_id)
    files = _uploaded_files(request)
    folder = new_folder("annotations-")
    try:
        refused = stage(files, folder)
        staged = sorted((folder / "files").iterdir()) + sorted((folder / "archives").iterdir())
        outcome = add_annotation_files(record, [(p.name, p) for p in staged], user)
    finally:
        for upload in files:
            upload.close()
        shutil.rmtree(folder, ignore_errors=True)
    outcome.refused = refused + outcome.refused
    return _answer(outcome, "annotation set")
