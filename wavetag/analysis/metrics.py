"""The analysis queue and its workers as Prometheus metrics, read from the database.

Computed at each scrape from the rows every process shares, so that any web process of any
machine gives the same figures (a counter kept in one worker's memory would die with it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from .models import AnalysisRun, RunStatus, Worker
from .workers import dead_after

# Seconds: a 30-min record takes a few seconds, a 24-h Holter a minute or more.
DURATION_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


class JobCollector:
    """A prometheus_client collector (``collect()``) of the analysis queue's state."""

    def collect(self) -> Iterator[Any]:
        from django_tasks_db.compat import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        now = timezone.now()
        runs = GaugeMetricFamily(
            "wavetag_analysis_runs", "Analysis runs in the database, by status", labels=["status"]
        )
        by_status = dict(
            AnalysisRun.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        for status in RunStatus.values:
            runs.add_metric([status], by_status.get(status, 0))
        yield runs

        ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        queue = ready.aggregate(n=Count("id"), oldest=Min("enqueued_at"))
        yield GaugeMetricFamily(
            "wavetag_jobs_queued", "Background jobs waiting for a worker", value=queue["n"]
        )
        oldest = (now - queue["oldest"]).total_seconds() if queue["oldest"] else 0.0
        yield GaugeMetricFamily(
            "wavetag_jobs_oldest_queued_seconds",
            "Age of the oldest job waiting for a worker (0 when none waits)",
            value=oldest,
        )

        beat = AnalysisRun.objects.filter(status=RunStatus.RUNNING).aggregate(
            oldest=Min("heartbeat_at")
        )["oldest"]
        yield GaugeMetricFamily(
            "wavetag_analysis_run_heartbeat_age_seconds",
            "Age of the oldest heartbeat of a running analysis (0 when none runs); "
            "runs older than WAVETAG_WORKER_DEAD_AFTER are failed",
            value=(now - beat).total_seconds() if beat else 0.0,
        )

        ages = GaugeMetricFamily(
            "wavetag_worker_heartbeat_age_seconds",
            "Seconds since each worker (host:pid) last said it was alive; a worker that stops "
            "cleanly is removed, one that died stays here, growing old, for a day",
            labels=["worker"],
        )
        alive = 0
        for name, at in Worker.objects.values_list("id", "heartbeat_at"):
            age = (now - at).total_seconds()
            ages.add_metric([name], age)
            alive += age < dead_after().total_seconds()
        yield ages
        yield GaugeMetricFamily(
            "wavetag_workers_alive",
            "Workers whose heartbeat is younger than WAVETAG_WORKER_DEAD_AFTER",
            value=alive,
        )
        yield self._durations()

    def _durations(self) -> HistogramMetricFamily:
        """Seconds from start to end of the finished analyses, as a histogram."""
        done = AnalysisRun.objects.filter(
            status=RunStatus.DONE, started_at__isnull=False, finished_at__isnull=False
        ).values_list("started_at", "finished_at")
        counts = [0] * len(DURATION_BUCKETS)
        total, n = 0.0, 0
        for started, finished in done.iterator():
            seconds = (finished - started).total_seconds()
            total += seconds
            n += 1
            for i, edge in enumerate(DURATION_BUCKETS):
                if seconds <= edge:
                    counts[i] += 1
        buckets = [
            (floatToGoString(edge), c) for edge, c in zip(DURATION_BUCKETS, counts, strict=True)
        ]
        buckets.append(("+Inf", n))
        return HistogramMetricFamily(
            "wavetag_analysis_run_duration_seconds",
            "Duration of the finished analyses",
            buckets=buckets,
            sum_value=total,
        )
