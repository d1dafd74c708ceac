from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Query, Router, Schema

from wavetag.annotations import access as set_access
from wavetag.projects import access
from wavetag.records.access import may_see_comments
from wavetag.records.annotation_files import export_csv, export_json, export_wfdb, file_stem
from wavetag.records.models import Annotation, Record
from wavetag.records.windows import (
    WINDOW_PARAMETERS,
    WindowRequest,
    WindowRequestError,
    open_store,
    parse_channels,
    read_windows,
    to_binary,
    to_json,
    window_params,
)
from wavetag.reports.record import record_report
from wavetag.signal.vocabulary import NORMAL_BEATS

from .limits import MAX_OFFSET
from .users import api_user

router = Router(tags=["records"])

# Marks a reader of a long record does not stop at: normal beats and wave boundaries and
# peaks (ecgpuwave's `(`, `)`, `p`, `t`, `u`).
NOT_EVENTS = (*sorted(NORMAL_BEATS), "(", ")", "p", "t", "u")


class ChannelOut(Schema):
    index: int
    name: str
    units: str
    fs: float


class RecordOut(Schema):
    id: int
    name: str
    dataset: str
    duration: float = Field(description="seconds")
    channels: list[ChannelOut]


class RecordList(Schema):
    items: list[RecordOut]
    count: int


class AnnotationSetOut(Schema):
    id: int
    name: str
    origin: Literal["reference", "machine", "human", "automatic"]
    source: str
    count: int
    mine: bool = Field(False, description="a working set you made")


class RecordDetail(RecordOut):
    format: str
    start_time: str | None
    annotation_sets: list[AnnotationSetOut]
    comments: str | None = Field(None, description="header comments; site admins only")


class WindowChannel(Schema):
    index: int
    name: str
    units: str
    fs: float
    kind: Literal["raw", "minmax"]
    t0: float = Field(description="time of the first sample, or start of the first bucket (s)")
    step: float = Field(description="seconds between samples or buckets")
    values: list[float | None] | None = Field(None, description="kind=raw: physical values")
    min: list[float | None] | None = Field(None, description="kind=minmax: bucket minima")
    max: list[float | None] | None = Field(None, description="kind=minmax: bucket maxima")


class WindowOut(Schema):
    start: float
    end: float
    channels: list[WindowChannel]


class AnnotationOut(Schema):
    id: int
    time: float
    sample: int | None
    duration: float
    symbol: str
    aux_note: str
    chan: int
    num: int
    subtype: int
    cluster: int | None = Field(None, description="morphology cluster of a beat, if known")
    beat: int | None = Field(None, description="a fiducial point's beat (annotation id)")


class AnnotationList(Schema):
    set: str
    set_id: int
    origin: str
    items: list[AnnotationOut]
    count: int


def _record_out(record: Record) -> dict[str, Any]:
    return {
        "id": record.pk,
        "name": record.name,
        "dataset": record.dataset.name,
        "duration": record.duration,
        "channels": [
            {"index": c.index, "name": c.name, "units": c.units, "fs": c.fs}
            for c in record.channels.all()
        ],
    }


@router.get("/records", response=RecordList, summary="Records you may see")
def list_records(
    request: HttpRequest,
    dataset: str | None = None,
    limit: int = Query(1000, ge=1, le=10000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    qs = access.visible_records(api_user(request)).select_related("dataset")
    if dataset is not None:
        qs = qs.filter(dataset__name=dataset)
    count = qs.count()
    page = qs.prefetch_related("channels").order_by("dataset__name", "name")[
        offset : offset + limit
    ]
    return {"items": [_record_out(r) for r in page], "count": count}


@router.get("/records/{record_id}", response=RecordDetail, summary="One record")
def get_record(request: HttpRequest, record_id: int) -> dict[str, Any]:
    user = api_user(request)
    record = access.get_record_for_user(user, record_id)
    out = _record_out(record)
    out["format"] = record.format
    out["start_time"] = record.start_time.isoformat() if record.start_time else None
    out["annotation_sets"] = [
        {
            "id": s.pk,
            "name": s.name,
            "origin": s.origin,
            "source": s.source,
            "count": s.count,
            "mine": s.created_by_id == user.pk,
        }
        for s in set_access.visible_annotation_sets(user, record)
    ]
    if may_see_comments(user):
        out["comments"] = record.comments
    return out


@router.get(
    "/records/{record_id}/window",
    response={200: WindowOut},
    summary="Samples of a time window",
    description=(
        "Samples with start ≤ t < end of each requested channel. `kind` is `raw` when the "
        "span holds at most `max_points` samples of that channel, otherwise `minmax`: between "
        "max_points/2 and max_points buckets aligned to the store's grid, each the exact min "
        "and max of the raw samples in it. Values in physical units (null = missing sample). "
        "`format=binary` (or `Accept: application/octet-stream`) returns the compact form: "
        "`WTW2`, a little-endian u32 header length, a JSON header whose channels carry "
        "`dtype`, `count`, `encoding`, `offsets`, `lengths`, `gain`, `baseline`, `invalid`, "
        "then the digital arrays (values; or min, then max). `encoding` is `delta-varint` for "
        "integer samples (lossless: each value minus the one before, zigzag-mapped, as "
        "LEB128 varints; the first value minus zero) and `raw` (little-endian) otherwise."
    ),
    openapi_extra={"parameters": WINDOW_PARAMETERS},
)
def get_window(request: HttpRequest, record_id: int) -> HttpResponse:
    # The query is read by hand (documented in WINDOW_PARAMETERS): the window is the most
    # frequent request, and ninja's validation of its five parameters cost more than
    # reading a 3-lead window from the store.
    params = window_params(request.GET)
    store_key, duration = access.record_store_for_user(api_user(request), record_id)
    # The store's metadata (cached per process) knows the channels: no extra query.
    store = open_store(store_key)
    req = WindowRequest(
        params.start, params.end, parse_channels(params.channels, len(store.channels)),
        params.max_points,
    )  # fmt: skip
    windows = read_windows(store, duration, req)
    binary = params.format == "binary" or (
        params.format is None and "application/octet-stream" in request.headers.get("Accept", "")
    )
    if binary:
        return HttpResponse(to_binary(req, store, windows), content_type="application/octet-stream")
    return HttpResponse(to_json(req, store, windows), content_type="application/json")


@router.get(
    "/records/{record_id}/annotations",
    response=AnnotationList,
    summary="Annotations of one imported set, optionally within a time span",
)
def list_annotations(
    request: HttpRequest,
    record_id: int,
    set: str = Query(..., description="annotation set name, e.g. atr"),
    start: float | None = None,
    end: float | None = None,
    limit: int = Query(100_000, ge=1, le=1_000_000),
    aux_only: bool = Query(
        False,
        description="only annotations with an aux note: rhythm changes such as `(AFIB`, "
        "comments; lets a viewer know the rhythm in effect anywhere without every beat",
    ),
    events_only: bool = Query(
        False,
        description="only what a reader jumps between: beats other than normal ones (N, L, R, "
        "e, j), rhythm changes, alarms and comments; no wave boundaries or fiducial points",
    ),
    order: Literal["asc", "desc"] = Query(
        "asc",
        description="`desc` lists the latest first: with `end` and `limit=1`, the "
        "annotation just before a time",
    ),
) -> dict[str, Any]:
    user = api_user(request)
    record = access.get_record_for_user(user, record_id)
    aset = set_access.visible_annotation_sets(user, record).filter(name=set).first()
    if aset is None:
        raise WindowRequestError(f"set: record {record.name} has no annotation set {set!r}")
    qs = Annotation.objects.filter(annotation_set=aset)
    if start is not None:
        qs = qs.filter(time__gte=start)
    if end is not None:
        qs = qs.filter(time__lt=end)
    if aux_only:
        qs = qs.exclude(aux_note="")
    if events_only:
        qs = (
            qs.filter(beat__isnull=True)
            .exclude(symbol__in=NOT_EVENTS)
            .exclude(symbol="+", aux_note="")
        )
    count = qs.count()
    ordering = ("time", "id") if order == "asc" else ("-time", "-id")
    items = list(
        qs.order_by(*ordering).values(
            "id",
            "time",
            "sample",
            "duration",
            "symbol",
            "aux_note",
            "chan",
            "num",
            "subtype",
            "cluster",
            "beat",
        )[:limit]
    )
    return {
        "set": aset.name,
        "set_id": aset.pk,
        "origin": aset.origin,
        "items": items,
        "count": count,
    }


@router.get(
    "/records/{record_id}/annotations/export",
    summary="One annotation set as a file: WFDB annotation file, CSV or JSON",
    description=(
        "`format=wfdb` returns a WFDB annotation file named `<record>.<set>` (`wfdb.rdann` "
        "and the WFDB tools read it; labels outside the standard codes become comment "
        "annotations carrying the label; rhythm episodes drawn with a length become rhythm "
        "changes; a set holding text outside ASCII is refused, as WFDB files cannot carry "
        "it); `format=csv` one row per annotation: time (s), sample, symbol, aux, channel, "
        "duration (s), subtype, num; `format=json` the same fields as items. Only sets you "
        "may see."
    ),
)
def export_annotations(
    request: HttpRequest,
    record_id: int,
    set: str = Query(..., description="annotation set name, e.g. atr"),
    format: Literal["wfdb", "csv", "json"] = "wfdb",
) -> HttpResponse:
    user = api_user(request)
    record = access.get_record_for_user(user, record_id)
    aset = set_access.visible_annotation_sets(user, record).filter(name=set).first()
    if aset is None:
        raise WindowRequestError(f"set: record {record.name} has no annotation set {set!r}")
    name, extension = file_stem(aset)
    if format == "csv":
        response = HttpResponse(export_csv(aset), content_type="text/csv; charset=utf-8")
        filename = f"{name}.{extension}.csv"
    elif format == "json":
        response = JsonResponse(export_json(aset), json_dumps_params={"ensure_ascii": False})
        filename = f"{name}.{extension}.json"
    else:
        response = HttpResponse(export_wfdb(aset), content_type="application/octet-stream")
        filename = f"{name}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get(
    "/records/{record_id}/report.pdf",
    summary="The record's report as PDF",
    description=(
        "Recording length and analysed time; heart rate minimum, mean and maximum with "
        "their times and a trend over the whole record; beat counts (N, S, V, F, paced); "
        "rhythm episodes with the longest and fastest of each rhythm; pauses; signal "
        "quality; intervals; and a 10-s strip of each finding at 25 mm/s and 10 mm/mV on a "
        "1-mm/5-mm grid. It shows the record's final human set when you may see one, else "
        "the automatic set of the latest analysis, marked as automatic on every page. A "
        "record without a finished analysis gets a report that says so, with its length, "
        "channels and the counts of the sets you may see. Only sets you may see are used "
        "(a blind project's annotator gets no reference labels)."
    ),
)
def get_report(request: HttpRequest, record_id: int) -> HttpResponse:
    user = api_user(request)
    record = access.get_record_for_user(user, record_id)
    response = HttpResponse(record_report(record, user), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{file_stem_report(record)}"'
    return response


def file_stem_report(record: Record) -> str:
    """``<record>-report.pdf``, with what a file name cannot hold replaced."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in record.name)
    return f"{safe or 'record'}-report.pdf"
