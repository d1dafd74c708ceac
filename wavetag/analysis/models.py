"""Runs of the automatic analysis of a record, as the people who asked for them see them.

The job itself is a row of the tasks framework's database backend; an ``AnalysisRun`` is
what wavetag shows (status, progress, a readable error) and what the result links to.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wavetag.records.models import AnnotationSet, Record

from .shown import shown


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @classmethod
    def active(cls) -> tuple[str, str]:
        return (cls.QUEUED, cls.RUNNING)


class AnalysisRun(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="analysis_runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0 to 1")
    message = models.CharField(max_length=255, blank=True, help_text="what the job is doing")
    # For the person who asked: what went wrong, in a sentence. Tracebacks go to the log.
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="tasks framework result id")
    channel = models.PositiveIntegerField(null=True, blank=True, help_text="channel analysed")
    beats = models.PositiveIntegerField(null=True, blank=True)
    annotation_set = models.ForeignKey(
        AnnotationSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The set's name is kept: a later run replaces the set, and this run still says what
    # it made.
    set_name = models.CharField(max_length=64, blank=True)
    # What the run found beyond the set's rows: beat counts, HR/RR, intervals, rhythm
    # summary, quality grades (see wavetag.analysis.findings.summarise).
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Touched every few seconds while the job runs (wavetag.analysis.workers): a run whose
    # worker died stops being touched, and is failed once it is WORKER_DEAD_AFTER old.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The worker running it (host:pid), for the reason of a failure and for a worker that
    # starts again under the same name to fail what it held.
    worker = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One run at a time per record, also against two requests at the same moment.
            models.UniqueConstraint(
                fields=["record"],
                condition=Q(status__in=["queued", "running"]),
                name="analysis_one_active_run_per_record",
            )
        ]

    def __str__(self) -> str:
        return f"analysis {self.pk} of {self.record}: {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in RunStatus.active()

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "record": self.record_id,
            "status": self.status,
            "progress": round(self.progress, 4),
            # Stored in English by the worker; shown in the reader's language.
            "message": shown(self.message),
            "error": shown(self.error),
            "annotation_set": self.set_name or None,
            "channel": self.channel,
            "beats": self.beats,
            "result": self.result,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


class Worker(models.Model):
    """A worker process taking jobs from the queue, as it last said it was alive.

    Kept fresh every few seconds by the worker itself and removed when it stops; a row
    whose heartbeat grows old is a worker that died (``/metrics`` shows its age).
    """

    id = models.CharField(max_length=64, primary_key=True, help_text="host:pid")
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"worker {self.id}"
