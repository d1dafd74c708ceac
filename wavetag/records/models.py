"""Datasets, records and what was imported with them.

The samples themselves live in the waveform store (``wavetag.signal.store``),
addressed by ``Record.store_key``; the database holds what is queried.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Dataset(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    # Shown on the dataset and record pages and written into every export, so that labels
    # made here travel with the terms of the data they were made on. Filled by
    # ``wavetag import --physionet``, otherwise set with ``wavetag dataset set`` or the
    # admin site.
    provenance = models.TextField(
        blank=True, help_text="where the records come from, e.g. PhysioNet mitdb 1.0.0"
    )
    licence = models.CharField(
        max_length=200, blank=True, help_text="the data's licence, e.g. ODC-By 1.0"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Made by wavetag for its tutorial (``records.tutorial``): every signed-in user reads
    # its records, member of a project on it or not. Never set by hand or by an import.
    tutorial = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name"]
        # Dataset managers make datasets and upload records and annotation files over HTTP
        # (site admins may anyway): ``wavetag user grant-datasets USER`` or the admin site.
        permissions = [("manage_datasets", "Can create datasets and upload records")]

    def __str__(self) -> str:
        return self.name

    def about(self) -> dict[str, str]:
        """The dataset as exports describe it: name, provenance, licence."""
        return {"name": self.name, "provenance": self.provenance, "licence": self.licence}


class Record(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="records")
    name = models.CharField(max_length=255)
    format = models.CharField(max_length=10)  # wfdb | edf | bdf | csv | ishne | aecg | dicom | scp
    duration = models.FloatField(help_text="seconds; the longest channel")
    start_time = models.TimeField(null=True, blank=True)
    # Dates and patient fields identify people: only kept when the importer asks.
    start_date = models.DateTimeField(null=True, blank=True)
    patient_info = models.JSONField(default=dict, blank=True)
    # Header comments may hold the answer (e.g. "#True alarm"): never shown to annotators.
    comments = models.TextField(blank=True)
    source_path = models.CharField(max_length=1024, blank=True)
    store_key = models.CharField(max_length=64, unique=True, default="", editable=False)
    warnings = models.JSONField(default=list, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["dataset", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "name"], name="record_unique_name_in_dataset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset.name}/{self.name}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.store_key:
            self.store_key = uuid.uuid4().hex
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Channel(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="channels")
    index = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    units = models.CharField(max_length=32, blank=True)
    fs = models.FloatField()
    gain = models.FloatField()
    baseline = models.FloatField()
    n_samples = models.BigIntegerField()
    adc_resolution = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["record", "index"]
        constraints = [
            models.UniqueConstraint(fields=["record", "index"], name="channel_unique_index")
        ]

    def __str__(self) -> str:
        return f"{self.record} #{self.index} {self.name}"


class AnnotationSet(models.Model):
    class Origin(models.TextChoices):
        REFERENCE = "reference"
        MACHINE = "machine"
        HUMAN = "human"
        # Made by wavetag's own analysis jobs; replaced by the next run, never edited by hand.
        AUTOMATIC = "automatic"

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="annotation_sets")
    name = models.CharField(max_length=64)
    origin = models.CharField(max_length=16, choices=Origin.choices)
    source = models.CharField(max_length=255, blank=True, help_text="file the set came from")
    fs = models.FloatField(null=True, blank=True)
    count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # Who made a human set, and the set it started as a copy of.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="annotation_sets",
    )
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    # Why nobody may edit the set now (a submitted answer points to it, it is a project's
    # final set); empty: its owner may edit it.
    frozen = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["record", "name"]
        constraints = [
            models.UniqueConstraint(fields=["record", "name"], name="annotation_set_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.record}.{self.name}"


SYMBOL_MAX = 64


class Annotation(models.Model):
    """One mark of an imported set: a beat, a rhythm change, an alarm, an EDF+ event."""

    annotation_set = models.ForeignKey(
        AnnotationSet, on_delete=models.CASCADE, related_name="items"
    )
    time = models.FloatField(help_text="seconds from the start of the record")
    sample = models.BigIntegerField(null=True, blank=True)
    duration = models.FloatField(default=0)
    # WFDB symbols are one or two characters; EDF+ labels are short words.
    symbol = models.CharField(max_length=SYMBOL_MAX, blank=True)
    subtype = models.SmallIntegerField(default=0)
    chan = models.SmallIntegerField(default=0)
    num = models.SmallIntegerField(default=0)
    aux_note = models.TextField(blank=True)
    # Morphology cluster of a beat, as the automatic analysis grouped them (null: none).
    cluster = models.SmallIntegerField(null=True, blank=True)
    # A fiducial point (wave onset, offset, peak) belongs to one beat and goes with it.
    beat = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="fiducials"
    )

    class Meta:
        ordering = ["annotation_set", "time"]
        indexes = [models.Index(fields=["annotation_set", "time"], name="annotation_set_time")]

    def __str__(self) -> str:
        return f"{self.symbol or self.aux_note} @ {self.time:.3f} s"


class AnnotationEdit(models.Model):
    """One human edit of a set, as it was applied: who, when, what, before and after."""

    annotation_set = models.ForeignKey(
        AnnotationSet, on_delete=models.CASCADE, related_name="edits"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    # Edits sent together share a batch number: they were applied all or nothing.
    batch = models.PositiveIntegerField(default=0)
    op = models.CharField(max_length=32)
    before = models.JSONField(default=list, blank=True)
    after = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["annotation_set", "id"]

    def __str__(self) -> str:
        return f"{self.op} on {self.annotation_set} by {self.user} at {self.at:%Y-%m-%d %H:%M}"


class ImportJob(models.Model):
    """An upload too large to import within its request, imported by the worker.

    The uploaded files wait in ``folder`` (a private folder under WAVETAG_HOME) until the
    worker imports them; the folder is removed when the job ends, done or failed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="import_jobs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    folder = models.CharField(max_length=1024, blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="tasks framework result id")
    # Records found and records done so far: the progress shown while it runs.
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # Where the records come from when not uploaded: ``{"physionet": {...}}`` for a
    # PhysioNet download (wavetag.records.physionet.Source), which counts in ``downloaded``
    # the records fetched (or refused) so far before importing them.
    source = models.JSONField(default=dict, blank=True)
    downloaded = models.PositiveIntegerField(default=0)
    items = models.JSONField(default=list, blank=True)
    refused = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Touched every few seconds while the job runs: a job whose worker died stops being
    # touched and is failed once WORKER_DEAD_AFTER old (wavetag.analysis.import_jobs).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import into {self.dataset.name} ({self.status})"
