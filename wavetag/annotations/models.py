"""Answers to tasks, with every revision; adjudications, flags and discussion posts.

Not to be confused with ``records.Annotation``: those are marks imported with a record
(beats, alarms); these are the answers people give to a project's tasks.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AnnotationStatus(models.TextChoices):
    DRAFT = "draft"  # saved on the server as typed, not given yet
    LATER = "later"  # saved for later: the annotator will come back to it
    SUBMITTED = "submitted"


class RealAnswers(models.Manager["Annotation"]):
    """Answers that count: hidden gold checks are left out of consensus, exports, reviews
    and statistics wherever a query does not ask for them (``Annotation.everything``)."""

    def get_queryset(self) -> models.QuerySet[Annotation]:
        return super().get_queryset().filter(gold=False)


class Annotation(models.Model):
    """One annotator's current answer to one task."""

    task = models.ForeignKey("projects.Task", on_delete=models.CASCADE, related_name="annotations")
    # Expert labels outlive accounts: deactivate a user rather than delete their answers.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="task_annotations"
    )
    answer = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=AnnotationStatus.choices, default=AnnotationStatus.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Set when the task had every answer it needed and was evaluated: the answer can no
    # longer change (a change is then a request to the adjudicator, or a logged reopen).
    frozen_at = models.DateTimeField(null=True, blank=True)
    # The answer to a hidden gold check (``Assignment.gold``): compared with the gold answer,
    # never part of the task's consensus.
    gold = models.BooleanField(default=False)

    # Every answer, gold checks included: an annotator's own batch, counts of their work.
    everything = models.Manager()
    objects = RealAnswers()

    class Meta:
        ordering = ["task", "created_at"]
        # Related lookups (task.annotations, ...) use the default manager: real answers.
        default_manager_name = "objects"
        base_manager_name = "everything"
        constraints = [
            models.UniqueConstraint(fields=["task", "user"], name="annotation_unique_user")
        ]
        indexes = [models.Index(fields=["user", "status"], name="annotation_user_status")]

    def __str__(self) -> str:
        return f"{self.user} on task {self.task_id}: {self.status}"


class Revision(models.Model):
    """One saved state of an annotation: who, when, what it became and what changed."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="revisions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=AnnotationStatus.choices)
    answer = models.JSONField(default=dict)
    comment = models.TextField(blank=True)
    # {"field": [before, after]} for every field, the comment and the status that changed.
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["annotation", "at", "id"]

    def __str__(self) -> str:
        return f"revision of {self.annotation_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class Adjudication(models.Model):
    """An adjudicator's decision on a task; the latest one gives the final label."""

    task = models.ForeignKey(
        "projects.Task", on_delete=models.CASCADE, related_name="adjudications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.JSONField(default=dict)
    final_label = models.JSONField(default=dict)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["task", "created_at", "id"]

    def __str__(self) -> str:
        return f"adjudication of task {self.task_id} by {self.user}"


class AdjudicationSkip(models.Model):
    """An adjudicator passed a task on to another adjudicator."""

    task = models.ForeignKey("projects.Task", on_delete=models.CASCADE, related_name="skips")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="skip_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} skipped task {self.task_id}"


class Flag(models.Model):
    """A note on one annotation for the adjudicator: an expert's review flag, or the
    annotator's own request to change their frozen answer (``user`` is then the
    annotation's author). An unresolved one puts the task in the adjudication queue even
    when its annotators agreed."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["annotation", "created_at"]

    def __str__(self) -> str:
        return f"flag on annotation {self.annotation_id} by {self.user}"


class TaskEvent(models.Model):
    """The log of what happened to a task's outcome: each evaluation that changed it,
    re-entry, adjudication, reopening, change requests. Never edited."""

    class Action(models.TextChoices):
        EVALUATED = "evaluated"  # all answers in: status and final label set
        REENTRY = "reentry"  # opened to one more annotator
        ADJUDICATED = "adjudicated"
        REOPENED = "reopened"  # a project admin reopened it
        CHANGE_REQUESTED = "change-requested"  # an annotator asked to change a frozen answer

    task = models.ForeignKey("projects.Task", on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=24, choices=Action.choices)
    # {"status", "reason", "decided_by", "final_label", "before": {...}, "text"...}
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["task", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action} of task {self.task_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class DiscussionPost(models.Model):
    task = models.ForeignKey("projects.Task", on_delete=models.CASCADE, related_name="posts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["task", "created_at", "id"]

    def __str__(self) -> str:
        return f"post by {self.user} on task {self.task_id}"


class TaskSet(models.Model):
    """An annotation set made for a beat-correction project: one annotator's corrected
    beats of one task (``working``), or the project's agreed beats of a record (``final``,
    one per record, written task window by task window)."""

    class Kind(models.TextChoices):
        WORKING = "working"
        FINAL = "final"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(
        "projects.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="beat_sets"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    annotation_set = models.OneToOneField(
        "records.AnnotationSet", on_delete=models.CASCADE, related_name="task_set"
    )
    # The set the working copy started from (gone when the next analysis replaced it).
    start_set = models.ForeignKey(
        "records.AnnotationSet",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["task", "user"],
                condition=models.Q(kind="working"),
                name="task_set_one_working_set",
            ),
            models.UniqueConstraint(
                fields=["project", "record"],
                condition=models.Q(kind="final"),
                name="task_set_one_final_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} set {self.annotation_set_id} of project {self.project_id}"


class BeatComparison(models.Model):
    """The beat-by-beat comparison of a task's corrected sets, once all were submitted."""

    task = models.OneToOneField(
        "projects.Task", on_delete=models.CASCADE, related_name="beat_comparison"
    )
    # {"annotators": [...], "beats": [n per annotator], "groups": n, "missing": n,
    #  "label": n, "pairs": [{"a", "b", "sensitivity", "ppv", "kappa", ...}]}
    stats = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"beat comparison of task {self.task_id}"


class BeatDisagreement(models.Model):
    """One beat the corrected sets of a task do not agree on, and its resolution."""

    class Kind(models.TextChoices):
        MISSING = "missing"  # in some sets, not in the others
        LABEL = "label"  # in every set, with different labels

    task = models.ForeignKey(
        "projects.Task", on_delete=models.CASCADE, related_name="beat_disagreements"
    )
    # Which beat group of the comparison (in time order) this is.
    group = models.PositiveIntegerField()
    time = models.FloatField()
    sample = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # In slot order: [{"annotator": name, "label": "V" | null, "time": s | null}, ...]
    versions = models.JSONField(default=list)
    # {"action": "take", "annotator": name} | {"action": "label", "label": "V"} |
    # {"action": "keep"} | {"action": "drop"}; null while unresolved.
    resolution = models.JSONField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["task", "time", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "group"], name="beat_disagreement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} beat at {self.time:.3f} s of task {self.task_id}"


class GoldAnswer(models.Model):
    """An expert's answer to a task, known in advance: what practice tests and hidden gold
    checks compare annotators with. Never shown to annotators but as practice feedback."""

    task = models.OneToOneField("projects.Task", on_delete=models.CASCADE, related_name="gold")
    # The answer as the schema's fields (validated like a submission), and the part of it an
    # answer must match (``schemas.label_of``: the agreement fields).
    answer = models.JSONField()
    label = models.JSONField()
    explanation = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"gold answer of task {self.task_id}"


class PracticeAttempt(models.Model):
    """One try at a project's practice test: a draw of gold tasks, answered one by one."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_attempts"
    )
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    correct = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField()
    passed = models.BooleanField(default=False)

    class Meta:
        ordering = ["project", "user", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user", "number"], name="practice_attempt_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"practice attempt {self.number} of {self.user} in project {self.project_id}"

    @property
    def score(self) -> float | None:
        return self.correct / self.size if self.finished_at and self.size else None


class PracticeItem(models.Model):
    """One gold task of an attempt, and the answer given to it (once, never revised)."""

    attempt = models.ForeignKey(PracticeAttempt, on_delete=models.CASCADE, related_name="items")
    task = models.ForeignKey("projects.Task", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    answer = models.JSONField(null=True, blank=True)
    correct = models.BooleanField(null=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "task"], name="practice_item_unique_task")
        ]

    def __str__(self) -> str:
        return f"practice item {self.position} of attempt {self.attempt_id}"


class BuildStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReleaseBuild(models.Model):
    """A release bundle built in the background, as a ``.zip`` for download.

    The zip lives in the waveform store (under ``releases/``), so that every web machine
    can serve it; ``storage_name`` is set only once the whole zip is there, with the
    status done in the same update, so a build listed as done is always complete.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="release_builds"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=BuildStatus.choices, default=BuildStatus.QUEUED
    )
    # What the job is doing, or why it failed: a sentence for the person who asked.
    message = models.CharField(max_length=255, blank=True)
    with_names = models.BooleanField(default=False)
    task_id = models.CharField(max_length=64, blank=True, help_text="tasks framework result id")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Touched every few seconds while the job runs: a build whose worker died stops being
    # touched, and is failed once it is WORKER_DEAD_AFTER old (it would block new builds).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    size = models.BigIntegerField(null=True, blank=True, help_text="bytes of the zip")
    sha256 = models.CharField(max_length=64, blank=True)
    storage_name = models.CharField(max_length=255, blank=True)
    file_name = models.CharField(max_length=255, blank=True, help_text="for the download")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One build at a time per project: a second request while one runs would only
            # make the same bundle twice.
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status__in=["queued", "running"]),
                name="release_one_active_build_per_project",
            )
        ]

    def __str__(self) -> str:
        return f"release build {self.pk} of project {self.project_id}: {self.status}"

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "project": self.project_id,
            "status": self.status,
            "message": self.message,
            "with_names": self.with_names,
            "requested_by": self.requested_by.get_username() if self.requested_by else None,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "size": self.size,
            "sha256": self.sha256 or None,
            "file_name": self.file_name or None,
        }
