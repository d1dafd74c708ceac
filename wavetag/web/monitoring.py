"""What a hospital's IT watches: request ids and log lines, ``/readyz`` and ``/metrics``.

:class:`RequestMiddleware` (outermost) gives each request an id, echoed in the
``X-Request-ID`` response header and carried by every log line written while the request
is served (:mod:`wavetag.logs`); the id sent by a trusted reverse proxy is kept, so that the
proxy's log and ours name a request alike. After the response it writes one line (method,
path, status, duration, user id, client address) and counts the request for ``/metrics``.

Metrics come from two places. Requests are counted in each server process by
prometheus_client; the processes of ``wavetag serve --processes N`` write their counts to
files in one folder (prometheus_client's multiprocess mode, set up by
:func:`share_metrics_between_processes`) so that a scrape, whichever process answers it,
gives the sum of all. The analysis queue and its workers are read from the database at each
scrape (:class:`wavetag.analysis.metrics.JobCollector`), the same for every process and
machine. Several machines: scrape each web machine; the job figures are repeated by each.
"""

from __future__ import annotations

import atexit
import hmac
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import empty
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from wavetag import logs
from wavetag.accounts.throttle import client_ip, from_trusted_proxy
from wavetag.records.access import can_see_everything
from wavetag.records.storage import store_root

log = logging.getLogger("wavetag.requests")
errors = logging.getLogger(__name__)

HEADER = "X-Request-ID"
# What a proxy may send as an id (nginx's $request_id, a UUID, a trace id); else ours.
VALID_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")
# Load balancers and Prometheus ask these every few seconds: logged only when they fail.
QUIET_ROUTES = {"healthz", "readyz", "metrics"}

_registry = CollectorRegistry()
REQUESTS = Counter(
    "wavetag_http_requests",
    "HTTP requests answered, by route (URL pattern), method and status",
    ["route", "method", "status"],
    registry=_registry,
)
LATENCY = Histogram(
    "wavetag_http_request_duration_seconds",
    "Time from request to response (a streamed body is not waited for)",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=_registry,
)


def share_metrics_between_processes() -> None:
    """Before starting the server processes of ``serve --processes N``: give them one
    folder for their metrics (removed at exit), unless the administrator set
    ``PROMETHEUS_MULTIPROC_DIR`` already (then it is theirs to empty at each start)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    folder = tempfile.mkdtemp(prefix="wavetag-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)


def _request_id(request: HttpRequest) -> str:
    sent = request.META.get("HTTP_X_REQUEST_ID", "")
    if sent and VALID_ID.fullmatch(sent) and from_trusted_proxy(request):
        return sent
    return uuid.uuid4().hex


def _route(request: HttpRequest) -> str:
    """The URL pattern that answered (``api/v1/records/<int:record_id>``): one series per
    view, not per record. Static files and unknown paths are one series each."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return str(match.route)
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"


def _user_id(request: HttpRequest) -> int | None:
    """The user's id if the request was authenticated; the session is not loaded for it."""
    pk = getattr(getattr(request, "auth", None), "pk", None)  # API bearer tokens
    if pk is not None:
        return int(pk)
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return int(user.pk) if user.is_authenticated else None


def _forget_request_id() -> None:
    logs.request_id.set("-")


class RequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = _request_id(request)
        request.request_id = rid  # type: ignore[attr-defined]
        logs.request_id.set(rid)
        start = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - start
        response[HEADER] = rid
        self._record(request, response.status_code, seconds)
        # Django logs 4xx answers (and the server may log) after the middleware returns:
        # the id stays until the response is closed, in this thread.
        response._resource_closers.append(_forget_request_id)
        return response

    @staticmethod
    def _record(request: HttpRequest, status: int, seconds: float) -> None:
        route, method = _route(request), request.method or "-"
        REQUESTS.labels(route, method, str(status)).inc()
        LATENCY.labels(route, method, str(status)).observe(seconds)
        if route in QUIET_ROUTES and status < 400:
            return
        fields: dict[str, Any] = {
            "method": method,
            "path": request.path,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "user_id": _user_id(request),
            "client": client_ip(request),
        }
        level = logging.ERROR if status >= 500 else logging.INFO
        log.log(
            level,
            "%s %s %s %.1f ms user=%s client=%s",
            method,
            request.path,
            status,
            fields["duration_ms"],
            fields["user_id"] if fields["user_id"] is not None else "-",
            fields["client"],
            extra=fields,
        )


def _may_read_metrics(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and given.startswith("Bearer "):
        if hmac.compare_digest(given[7:].strip().encode(), token.encode()):
            return True
    if settings.METRICS_ALLOW:
        import ipaddress

        address = ipaddress.ip_address(client_ip(request) or "0.0.0.0")
        if any(address in net for net in settings.METRICS_ALLOW):
            return True
    return can_see_everything(request.user)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; for a scrape job with WAVETAG_METRICS_TOKEN, the addresses
    of WAVETAG_METRICS_ALLOW and site admins only (figures say how busy the site is)."""
    from wavetag.analysis.metrics import JobCollector

    if not _may_read_metrics(request):
        return HttpResponse(
            "metrics: not for you (a bearer token WAVETAG_METRICS_TOKEN, an address in "
            "WAVETAG_METRICS_ALLOW, or a site admin's session)\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        every = CollectorRegistry()
        multiprocess.MultiProcessCollector(every)
        body = generate_latest(every)
    else:
        body = generate_latest(_registry)
    body += generate_latest(JobCollector())  # type: ignore[arg-type]
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_store() -> str:
    """The waveform store's folder can be listed and written (imports write there); on
    object storage, its bucket can be listed (endpoint, credentials and bucket at once)."""
    root = store_root()
    if not isinstance(root, (str, Path)) and hasattr(root, "list"):
        root.list("")
        return "ok"
    folder = Path(root)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".readyz-"):
        pass
    return "ok"


@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """For load balancers and orchestrators: 200 when this process can serve (its database
    and the waveform store answer), else 503 naming what failed; with the queue's depth.

    ``/healthz`` says only that the process answers; a process that answers ``/healthz``
    but not ``/readyz`` should get no traffic, not be restarted.
    """
    checks: dict[str, str] = {}
    for name, check in (("database", _check_database), ("store", _check_store)):
        try:
            checks[name] = check()
        except Exception as exc:
            # The details (host names, paths) go to the log, under this request's id.
            errors.exception("readiness: the %s check failed", name)
            checks[name] = f"failed ({type(exc).__name__})"
    ready = all(v == "ok" for v in checks.values())
    body: dict[str, Any] = {"status": "ok" if ready else "unavailable", "checks": checks}
    if checks["database"] == "ok":
        from wavetag.analysis.models import AnalysisRun, RunStatus

        counts = AnalysisRun.objects.filter(status__in=RunStatus.active())
        body["queue"] = {
            "queued": counts.filter(status=RunStatus.QUEUED).count(),
            "running": counts.filter(status=RunStatus.RUNNING).count(),
        }
    return JsonResponse(body, status=200 if ready else 503)
