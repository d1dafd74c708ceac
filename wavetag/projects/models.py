"""Projects, their members, the tasks cut from the project's dataset, and who claimed what.

A project annotates one dataset with one label schema (``wavetag.projects.schemas``).
Tasks are made once from the records (a whole record, an event window, or a fixed-length
segment); annotators claim them in batches (``Assignment``); their answers live in the
``annotations`` app.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wavetag.records.models import Dataset, Record

MAX_ANNOTATORS = 5


class Role(models.TextChoices):
    ANNOTATOR = "annotator"
    ADJUDICATOR = "adjudicator"
    ADMIN = "admin"


# Each role may do everything the roles before it may do.
ROLE_RANK = {Role.ANNOTATOR: 1, Role.ADJUDICATOR: 2, Role.ADMIN: 3}


class ConflictPolicy(models.TextChoices):
    # A task whose answers disagree goes to an adjudicator.
    ADJUDICATE = "adjudicate"
    # ... is opened to one more annotator, until a strict majority agrees or the project's
    # max_annotators answered (then an adjudicator decides).
    REENTER = "reenter"


class Project(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="projects")
    template = models.CharField(max_length=64, help_text="built-in template name, or custom")
    # A copy of the validated schema: later changes to a built-in template do not alter
    # the meaning of answers already given in this project.
    schema = models.JSONField()
    annotators_per_task = models.PositiveSmallIntegerField(default=2)
    conflict_policy = models.CharField(
        max_length=16, choices=ConflictPolicy.choices, default=ConflictPolicy.ADJUDICATE
    )
    # Re-entry stops here: with this many answers and still no majority, an expert decides.
    max_annotators = models.PositiveSmallIntegerField(default=2)
    # Show the final label to a task's annotators once it is final (for learning); off,
    # an annotator of a blind project never learns what became of their task.
    reveal_outcome = models.BooleanField(default=False)
    # A practice test against gold answers, required of annotators before they claim:
    # practice_size tasks per attempt (0: no test), passed at practice_pass percent correct.
    practice_size = models.PositiveSmallIntegerField(default=0)
    practice_pass = models.PositiveSmallIntegerField(default=80)
    # Percent of each claimed batch drawn from gold tasks that look like any other task.
    gold_rate = models.PositiveSmallIntegerField(default=0)
    # The leaderboard shows ranks without names.
    leaderboard_anonymous = models.BooleanField(default=False)
    # Pre-fill a 12-lead diagnosis form with the automatic analysis's statements, marked
    # as machine suggestions (off: annotators start from an empty form, unanchored).
    machine_suggestions = models.BooleanField(default=False)
    # Listed in the catalogue of open projects: any signed-in user may join as annotator
    # (the practice test, when set, still comes before their first claim).
    open = models.BooleanField(default=False)
    batch_size = models.PositiveIntegerField(default=10)
    blind = models.BooleanField(default=True)
    window_before = models.FloatField(default=10.0, help_text="seconds shown before an event")
    window_after = models.FloatField(default=0.0, help_text="seconds shown after an event")
    event_set = models.CharField(max_length=64, blank=True, help_text="annotation set of events")
    event_match = models.CharField(
        max_length=64, blank=True, help_text="only events whose symbol or note starts with this"
    )
    event_at = models.FloatField(null=True, blank=True, help_text="one event at this time (s)")
    segment_seconds = models.FloatField(null=True, blank=True)
    # Imported annotation sets annotators of a blind project may see (default none): a
    # reference set can hold the answer (an ALARM note, a (VT rhythm mark).
    visible_sets = models.JSONField(default=list, blank=True)
    # Which records of the dataset the tasks are cut from ({}: all of them); see
    # ``services.check_selection``. A random sample keeps its seed and the names it drew,
    # so that the same tasks can be made again and the choice explained later.
    record_selection = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annotators_per_task__gte=1, annotators_per_task__lte=MAX_ANNOTATORS),
                name="project_annotators_per_task_range",
            ),
            models.CheckConstraint(condition=Q(batch_size__gte=1), name="project_batch_size_min"),
            models.CheckConstraint(
                condition=Q(practice_pass__gte=1, practice_pass__lte=100, gold_rate__lte=50),
                name="project_practice_and_gold_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    max_annotators__gte=models.F("annotators_per_task"),
                    max_annotators__lte=MAX_ANNOTATORS,
                ),
                name="project_max_annotators_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def task_mode(self) -> str:
        return str(self.schema.get("tasks", "record"))


class Team(models.Model):
    """A group of a project's members: once a project has teams, each task's annotators
    all come from one team, and its conflicts go to that team's adjudicators (see
    ``Task.team`` and ``wavetag.projects.teams``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return f"team {self.name} of {self.project}"


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    # Set by a project admin (e.g. after poor gold accuracy): no new batches until cleared.
    paused_at = models.DateTimeField(null=True, blank=True)
    # At most one team per project: the team is on the membership. Always a team of the
    # membership's own project (``teams.add_to_team`` checks it).
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project", "user"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.project}"


class TaskStatus(models.TextChoices):
    OPEN = "open"  # waiting for answers
    # All answers in, and an expert must decide (``Task.reason`` says why): the answers
    # disagree, one of them is unsure or rejects the case, or re-entry found no majority.
    CONFLICT = "conflict"
    AGREED = "agreed"  # all answers in and agree (or a strict majority): final label set
    ADJUDICATED = "adjudicated"  # an adjudicator decided: final label set

    @classmethod
    def final(cls) -> tuple[str, str]:
        return (cls.AGREED, cls.ADJUDICATED)


class Reason(models.TextChoices):
    """Why a task is in the adjudication queue."""

    CONFLICT = "conflict"  # the answers disagree
    UNSURE = "unsure"  # an answer is unsure of something
    REJECT = "reject"  # an answer says the case cannot be judged
    NO_MAJORITY = "no-majority"  # re-entry reached max_annotators without a majority


class DecidedBy(models.TextChoices):
    """How a final label was reached."""

    AGREED = "agreed"  # every answer agreed
    MAJORITY = "majority"  # a strict majority agreed (re-entry)
    ADJUDICATED = "adjudicated"


class Task(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    # A record with tasks cannot be deleted: its labels would go with it.
    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="tasks")
    # Identifies the task within the project so that making tasks again adds only new ones.
    key = models.CharField(max_length=100)
    event_time = models.FloatField(null=True, blank=True, help_text="seconds; null = no event")
    window_start = models.FloatField()
    window_end = models.FloatField()
    # Only a known alarm name (e.g. Ventricular_Tachycardia), never the true/false verdict.
    alarm_type = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    # Set while in conflict: why an expert must decide.
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    final_label = models.JSONField(null=True, blank=True)
    decided_by = models.CharField(max_length=16, choices=DecidedBy.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Annotators added by re-entry, beyond the project's annotators_per_task.
    extra_annotators = models.PositiveSmallIntegerField(default=0)
    # Set when a submitted answer is unsure: the task is then discussed project-wide.
    discussion_open = models.BooleanField(default=False)
    # In a project with teams: the team of the task's first claimer. Only that team's
    # members claim it afterwards, and only its adjudicators decide it (set under the
    # claim's project lock, see ``annotations.batches``; cleared when every claim of the
    # task is released).
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.RESTRICT, related_name="tasks"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="task_unique_key"),
        ]
        indexes = [models.Index(fields=["project", "status"], name="task_project_status")]

    def __str__(self) -> str:
        return f"task {self.pk} of {self.project}: {self.record.name} {self.key}"

    @property
    def is_final(self) -> bool:
        return self.status in TaskStatus.final()

    @property
    def annotators_needed(self) -> int:
        return self.project.annotators_per_task + self.extra_annotators

    @property
    def view_window(self) -> tuple[float, float] | None:
        """Where a page opens on the record: the task's window, or None for a task on the
        whole record (the viewer then opens at its start)."""
        if self.project.task_mode == "record":
            return None
        return (self.window_start, self.window_end)

    def describe(self) -> dict[str, Any]:
        """What anyone allowed to open the task may see (never answers, never comments)."""
        return {
            "id": self.pk,
            "project": self.project_id,
            "record": {"id": self.record_id, "name": self.record.name},
            "event_time": self.event_time,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "alarm_type": self.alarm_type,
        }


class Assignment(models.Model):
    """A task claimed by an annotator, as part of one of their batches."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    # The slot (0 .. k-1) this annotator fills on the task. Unique per task, so that two
    # claims racing for the last free slot collide in the database even if the locking
    # around the claim were ever bypassed. None for a hidden gold check, which fills none.
    slot = models.PositiveSmallIntegerField(null=True, blank=True)
    # A hidden gold check: the task has a gold answer and came in the batch to measure the
    # annotator; their answer is compared with the gold one and takes no part in consensus.
    gold = models.BooleanField(default=False)
    batch = models.PositiveIntegerField(help_text="the user's batch number in the project")
    position = models.PositiveIntegerField(help_text="order within the batch")
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["task", "user"], name="assignment_unique_user"),
            models.UniqueConstraint(fields=["task", "slot"], name="assignment_unique_slot"),
            models.CheckConstraint(
                condition=Q(slot__lt=MAX_ANNOTATORS), name="assignment_slot_range"
            ),
            models.CheckConstraint(
                condition=Q(gold=False, slot__isnull=False) | Q(gold=True, slot__isnull=True),
                name="assignment_slot_unless_gold",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on task {self.task_id} (batch {self.batch})"
