"""PhysioNet databases imported from the mirror (dataset managers): the record list for
the picker, and the import job (``wavetag.analysis.import_jobs.physionet_job``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from wavetag.analysis.import_jobs import physionet_job
from wavetag.errors import InvalidInput
from wavetag.records import physionet

from .analysis import ErrorOut
from .datasets import JobQueued, _manager
from .projects import Status, json_body

router = Router(tags=["records"])


class PhysionetIn(Schema):
    database: str = Field(description="the database's slug on PhysioNet, e.g. `mitdb`")
    version: str | None = Field(None, description="e.g. `1.0.0`; null for the current one")
    records: list[str] | None = Field(None, description="record names; null for all")


class RecordListOut(Schema):
    database: str
    version: str = Field(description='"" when the mirror keeps the flat layout')
    records: list[str]


@router.get(
    "/physionet/{database}/records",
    response={200: RecordListOut, 400: ErrorOut, 403: ErrorOut, 502: ErrorOut},
    summary="The records of a PhysioNet database on the mirror (dataset managers)",
    description="Read from the database's `RECORDS` on the mirror (`WAVETAG_PHYSIONET_URL`): "
    "`files/{database}/{version}/`, or the flat `files/{database}/`. 400 naming an unknown "
    "database or version; 502 when the mirror cannot be reached.",
)
def get_records(request: HttpRequest, database: str, version: str | None = None) -> Any:
    _manager(request)
    source = physionet.resolve(database, version or None)
    return {"database": source.database, "version": source.version, "records": source.records}


@router.post(
    "/datasets/{name}/physionet",
    response={202: JobQueued, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut, 502: ErrorOut},
    summary="Import records of a PhysioNet database into a dataset (dataset managers)",
    description='`{"database", "version", "records"}` (`version` and `records` may be null: '
    "the current version, every record). The dataset is made when absent. The database, "
    "version and records are checked against the mirror first (400 naming what it lacks); "
    "then a job downloads and imports them: follow it at `GET /api/v1/import-jobs/{job_id}` "
    "(`downloaded`, then `done`, out of `total`). A record that cannot be fetched is "
    "refused with the reason; the others are imported.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PhysionetIn.model_json_schema()}},
        }
    },
)
def post_physionet(request: HttpRequest, name: str) -> Any:
    user = _manager(request)
    body = json_body(request)
    if not isinstance(body, dict):
        raise InvalidInput("body: must be a JSON object")
    unknown = set(body) - {"database", "version", "records"}
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: unknown (database, version, records)")
    if "database" not in body:
        raise InvalidInput("database: required (e.g. mitdb)")
    job = physionet_job(name, body["database"], body.get("version"), body.get("records"), user=user)
    return Status(202, {"job": job.pk, "url": f"/api/v1/import-jobs/{job.pk}"})
