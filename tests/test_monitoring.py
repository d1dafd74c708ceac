"""What an IT administrator watches: request ids, request log lines (text and JSON),
``/readyz``, and ``/metrics`` (who may read it, what it counts, across server processes)."""

from __future__ import annotations

import ipaddress
import json
import logging
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path, resolve
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from wavetag.analysis.models import AnalysisRun, RunStatus, Worker
from wavetag.logs import JsonFormatter, RequestIdFilter

from .factories import bearer, make_user
from .test_cli import free_port, run_env, wait_for

pytestmark = pytest.mark.django_db

TOKEN = "a-scrape-token-of-some-length"


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("something broke")


# For the tests of errors: the site's own URLs plus a view that fails.
urlpatterns = [path("boom", boom), path("", include("wavetag.urls"))]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, by name and sorted labels."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def scrape(settings: Any) -> dict[str, str]:
    settings.METRICS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


class TestRequestId:
    def test_each_response_carries_a_new_id(self, client: Client) -> None:
        ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
        assert len(ids) == 3 and all(len(i) == 32 for i in ids)

    def test_a_proxys_id_is_kept_only_from_a_trusted_proxy(
        self, client: Client, settings: Any
    ) -> None:
        sent = {"HTTP_X_REQUEST_ID": "nginx-4f2a9c"}
        assert client.get("/healthz", **sent).headers["X-Request-ID"] != "nginx-4f2a9c"
        settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.0/8")]
        assert client.get("/healthz", **sent).headers["X-Request-ID"] == "nginx-4f2a9c"
        # Only a sane id: no header injection or megabyte ids into our logs.
        odd = client.get("/healthz", HTTP_X_REQUEST_ID="a b\tc")
        assert odd.headers["X-Request-ID"] != "a b\tc" and len(odd.headers["X-Request-ID"]) == 32


class TestRequestLog:
    def test_one_line_per_request_with_its_fields(
        self, client: Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        user = make_user("ann", password=None)
        with caplog.at_level(logging.INFO, logger="wavetag.requests"):
            response = client.get("/api/v1/me", **bearer(user))
        [line] = [r for r in caplog.records if r.name == "wavetag.requests"]
        assert line.method == "GET" and line.path == "/api/v1/me"  # type: ignore[attr-defined]
        assert line.status == response.status_code == 200  # type: ignore[attr-defined]
        assert line.user_id == user.pk  # type: ignore[attr-defined]
        assert line.client == "127.0.0.1"  # type: ignore[attr-defined]
        assert line.duration_ms > 0  # type: ignore[attr-defined]
        assert line.request_id == response.headers["X-Request-ID"]  # type: ignore[attr-defined]

    def test_probes_are_not_logged_unless_they_fail(
        self, client: Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO, logger="wavetag.requests"):
            client.get("/healthz")
            client.get("/metrics")  # refused: logged
        assert [r.path for r in caplog.records if r.name == "wavetag.requests"] == [  # type: ignore[attr-defined]
            "/metrics"
        ]

    def test_an_error_is_logged_with_the_request_id(
        self, client: Client, settings: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        settings.ROOT_URLCONF = __name__
        client.raise_request_exception = False
        with caplog.at_level(logging.INFO):
            response = client.get("/boom")
        assert response.status_code == 500
        rid = response.headers["X-Request-ID"]
        [error] = [r for r in caplog.records if r.name == "django.request"]
        assert error.exc_info and "something broke" in str(error.exc_info[1])
        RequestIdFilter().filter(error)
        assert error.request_id == rid  # type: ignore[attr-defined]
        # And in JSON, one object per line with the traceback.
        out = json.loads(JsonFormatter().format(error))
        assert out["request_id"] == rid and out["level"] == "ERROR"
        assert "RuntimeError: something broke" in out["exception"]
        [line] = [r for r in caplog.records if r.name == "wavetag.requests"]
        assert line.levelno == logging.ERROR and line.status == 500  # type: ignore[attr-defined]


class TestMetricsAccess:
    def test_who_may_read_the_metrics(self, client: Client, scrape: dict[str, str]) -> None:
        assert client.get("/metrics").status_code == 403
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
        ok = client.get("/metrics", **scrape)
        assert ok.status_code == 200 and ok["Content-Type"].startswith("text/plain; version=")
        client.force_login(make_user("annotator", password=None))
        assert client.get("/metrics").status_code == 403
        client.force_login(make_user("root", staff=True, password=None))
        assert client.get("/metrics").status_code == 200

    def test_allowed_addresses_as_seen_through_a_trusted_proxy(
        self, client: Client, settings: Any
    ) -> None:
        settings.METRICS_ALLOW = [ipaddress.ip_network("10.9.0.0/16")]
        assert client.get("/metrics", REMOTE_ADDR="10.9.1.2").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="10.8.1.2").status_code == 403
        # A request relayed by the proxy counts as its client's, never as the proxy's.
        settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.9.0.1/32")]
        relayed = {"REMOTE_ADDR": "10.9.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
        assert client.get("/metrics", **relayed).status_code == 403
        inside = {"REMOTE_ADDR": "10.9.0.1", "HTTP_X_FORWARDED_FOR": "10.9.7.7"}
        assert client.get("/metrics", **inside).status_code == 200


class TestMetrics:
    def test_requests_are_counted_by_route_and_status(
        self, client: Client, scrape: dict[str, str]
    ) -> None:
        before = client.get("/metrics", **scrape).content.decode()
        route = resolve("/api/v1/analysis/1").route  # the URL pattern: one series
        key = (
            "wavetag_http_requests_total",
            (("method", "GET"), ("route", route), ("status", "404")),
        )
        start = samples(before).get(key, 0.0)
        user = make_user("ann", password=None)
        for run_id in (1, 2, 3):  # three paths, one route
            assert client.get(f"/api/v1/analysis/{run_id}", **bearer(user)).status_code == 404
        text = client.get("/metrics", **scrape).content.decode()
        assert samples(text)[key] == start + 3
        labels = {"method": "GET", "route": route, "status": "404"}
        assert value(text, "wavetag_http_request_duration_seconds_count", **labels) == start + 3
        assert value(text, "wavetag_http_request_duration_seconds_bucket", le="+Inf", **labels) == (
            start + 3
        )

    def test_jobs_and_workers_from_the_database(
        self, client: Client, scrape: dict[str, str], mitdb_100: Any
    ) -> None:
        [record] = mitdb_100
        now = timezone.now()
        AnalysisRun.objects.create(
            record=record, status=RunStatus.RUNNING, heartbeat_at=now - timedelta(seconds=7)
        )
        for seconds in (3, 40):
            AnalysisRun.objects.create(
                record=record,
                status=RunStatus.DONE,
                started_at=now - timedelta(seconds=seconds),
                finished_at=now,
            )
        AnalysisRun.objects.create(record=record, status=RunStatus.FAILED)
        Worker.objects.create(id="a:1", host="a", pid=1, started_at=now, heartbeat_at=now)
        Worker.objects.create(
            id="b:2", host="b", pid=2, started_at=now, heartbeat_at=now - timedelta(minutes=5)
        )
        text = client.get("/metrics", **scrape).content.decode()
        runs = {s: value(text, "wavetag_analysis_runs", status=s) for s in RunStatus.values}
        assert runs == {"queued": 0, "running": 1, "done": 2, "failed": 1}
        assert 7 <= value(text, "wavetag_analysis_run_heartbeat_age_seconds") < 30
        assert value(text, "wavetag_worker_heartbeat_age_seconds", worker="a:1") < 30
        assert value(text, "wavetag_worker_heartbeat_age_seconds", worker="b:2") >= 300
        assert value(text, "wavetag_workers_alive") == 1
        durations = "wavetag_analysis_run_duration_seconds"
        assert value(text, f"{durations}_bucket", le="5.0") == 1
        assert value(text, f"{durations}_bucket", le="60.0") == 2
        assert value(text, f"{durations}_count") == 2
        assert 42 < value(text, f"{durations}_sum") < 44


class TestReadiness:
    def test_ready_with_the_queue(self, client: Client, mitdb_100: Any) -> None:
        [record] = mitdb_100
        AnalysisRun.objects.create(record=record, status=RunStatus.QUEUED)
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ok",
            "checks": {"database": "ok", "store": "ok"},
            "queue": {"queued": 1, "running": 0},
        }

    def test_a_store_that_cannot_be_written_is_not_ready(
        self, client: Client, settings: Any, tmp_path: Path
    ) -> None:
        blocked = tmp_path / "not-a-folder"
        blocked.write_text("")
        settings.STORE_DIR = blocked / "store"
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"] == {
            "database": "ok",
            "store": "failed (NotADirectoryError)",
        }
        assert client.get("/healthz").status_code == 200  # alive, only not ready


class TestServedWithSeveralProcesses:
    @pytest.mark.django_db(transaction=False)
    def test_metrics_sum_every_process_and_json_logs_carry_the_ids(self, tmp_path: Path) -> None:
        port = free_port()
        env = run_env(tmp_path) | {"WAVETAG_METRICS_TOKEN": TOKEN, "WAVETAG_LOG_FORMAT": "json"}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wavetag",
                "serve",
                "--port",
                str(port),
                "--no-worker",
                "--processes",
                "3",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/healthz", 60)
            ids = []
            for _ in range(30):  # new connections: the kernel shares them among processes
                with urllib.request.urlopen(f"{base}/login/") as r:
                    ids.append(r.headers["X-Request-ID"])
            pages = set()
            for _ in range(6):  # whichever process answers, the sum of all
                ask = urllib.request.Request(
                    f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
                )
                with urllib.request.urlopen(ask) as r:
                    text = r.read().decode()
                pages.add(
                    value(
                        text,
                        "wavetag_http_requests_total",
                        method="GET",
                        route="login/",
                        status="200",
                    )
                )
            assert pages == {30.0}
        finally:
            server.terminate()
            _, err = server.communicate(timeout=30)
        lines = [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]
        logged = [x for x in lines if x["logger"] == "wavetag.requests" and x["path"] == "/login/"]
        assert sorted(x["request_id"] for x in logged) == sorted(ids)
        assert {(x["method"], x["status"], x["user_id"]) for x in logged} == {("GET", 200, None)}
