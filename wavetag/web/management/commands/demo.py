"""wavetag demo: a working installation with demo data, projects and a team, in one command."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.projects.models import Project, Role, Task
from wavetag.projects.services import add_member, create_project
from wavetag.records.importer import import_paths
from wavetag.records.models import Dataset
from wavetag.records.tutorial import ensure_tutorial

from .serve import serve

DEMO_USER = "demo"
# The demo team: one password for all, so that one person can play every part, each in
# its own browser (or private window).
TEAM = (
    ("demo-annotator1", Role.ANNOTATOR),
    ("demo-annotator2", Role.ANNOTATOR),
    ("demo-adjudicator", Role.ADJUDICATOR),
)


@dataclass(frozen=True)
class DemoProject:
    dataset: str
    prefix: str  # which demo records (by name) the dataset holds
    description: str
    project: str  # also the built-in template's name
    options: dict[str, Any]
    about: str


DEMO = (
    DemoProject(
        "demo-icu-alarms",
        "icu_",
        "Synthetic ICU records (ECG II and V, pleth, arterial pressure, respiration) ending "
        "in a ventricular tachycardia alarm, one true and one false. Not patient data.",
        "icu-alarm",
        # The alarm is an ALARM note in the reference annotations; its verdict stays hidden.
        {"event_set": "atr", "event_match": "ALARM"},
        "Is the ventricular tachycardia alarm true or false?",
    ),
    DemoProject(
        "demo-12lead",
        "ecg12_",
        "Synthetic 10-s resting 12-lead ECGs: sinus rhythm, atrial fibrillation, ectopic "
        "beats. Not patient data.",
        "resting-12lead",
        {},
        "Diagnoses of three resting 12-lead ECGs.",
    ),
    DemoProject(
        "demo-holter",
        "holter_",
        "A synthetic 30-min 2-lead Holter excerpt with ectopy, bigeminy, a VT run, a pause, "
        "atrial fibrillation and noise, with reference beat annotations. Not patient data.",
        "wearable-rhythm",
        {"segment_seconds": 30},
        "Rhythm and signal quality of a Holter recording, 30 s at a time.",
    ),
)

# Projects on a dataset above that bring no data of their own. Correcting beats starts
# from the automatic set, which the queued analysis makes (a task page says so meanwhile).
ON_DEMO_DATA = (
    DemoProject(
        "demo-12lead",
        "ecg12_",
        "",
        "beat-correction",
        {},
        "Correct the automatic beats of three 10-s resting 12-lead ECGs; an adjudicator "
        "resolves the beats the two annotators disagree on.",
    ),
)


class Command(BaseCommand):
    help = (
        "Create the database if needed, generate and import demo datasets (synthetic, made "
        "here, no download), create demo projects with a demo team (site admin, two "
        "annotators, an adjudicator), print the URL and the logins, and serve."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--seed", type=int, default=0, help="varies the synthetic patients")
        parser.add_argument("--no-serve", action="store_true", help="prepare, print, and exit")

    def handle(self, *args: Any, **opts: Any) -> None:
        """1. migrate; 2. the demo datasets and the tutorial's (generated once); 3. the
        accounts, with a fresh password; 4. the projects and memberships (made once,
        memberships restored); 5. the automatic analysis of each record, queued once;
        6. print how to log in, and serve."""
        call_command("migrate", interactive=False, verbosity=0)
        self._ensure_datasets(opts["seed"])
        ensure_tutorial()
        password = os.environ.get("WAVETAG_DEMO_PASSWORD") or secrets.token_urlsafe(9)
        admin = self._ensure_user(DEMO_USER, password, staff=True)
        team = [(self._ensure_user(name, password), role) for name, role in TEAM]
        projects = [self._ensure_project(spec, admin, team) for spec in DEMO + ON_DEMO_DATA]
        queued = self._ensure_analysis(admin)
        host = opts["host"]
        shown = f"[{host}]" if ":" in host else host
        if host in {"0.0.0.0", "::"}:
            shown = "localhost"
        say = self.stdout.write
        say("")
        say(f"  Open      http://{shown}:{opts['port']}/")
        say(f"  User      {DEMO_USER}  (site admin, admin of every demo project)")
        say(f"  Password  {password}  (the same for every demo account)")
        for i, (user, role) in enumerate(team):
            say(f"  {'Team' if i == 0 else '':8}  {user.get_username():17} {role}")
        for project in projects:
            n = Task.objects.filter(project=project).count()
            say(f"  Project   {project.name}: {n} task{'s' if n != 1 else ''}")
        if queued:
            say(f"  Analysis  {queued} records queued: the server's worker finds their beats,")
            say("            rhythm and quality, shown beside each task (a minute or so)")
        say(f"  Tutorial  http://{shown}:{opts['port']}/tutorial/ (a walkthrough per template)")
        say("  Try it    each account in its own browser or private window: both annotators")
        say("            answer, the adjudicator decides where they disagree, demo watches")
        say("            progress in the project's console.")
        say(f"  Data in   {settings.HOME}")
        say("")
        if not opts["no_serve"]:
            serve(host, opts["port"], opts["threads"], say)

    def _ensure_analysis(self, admin: Any) -> int:
        """Queue the automatic analysis of every demo record that has never had one, so
        that the task pages show parameters and findings; the worker of ``serve`` runs
        them. Returns how many were queued."""
        from wavetag.analysis.models import AnalysisRun
        from wavetag.analysis.services import request_analysis
        from wavetag.records.models import Record

        names = [spec.dataset for spec in DEMO]
        waiting = Record.objects.filter(dataset__name__in=names).exclude(
            pk__in=AnalysisRun.objects.values("record_id")
        )
        queued = 0
        for record in waiting:
            request_analysis(record, admin)
            queued += 1
        return queued

    def _ensure_datasets(self, seed: int) -> None:
        wanted = [
            spec
            for spec in DEMO
            if not Dataset.objects.filter(name=spec.dataset, records__isnull=False).exists()
        ]
        if not wanted:
            return
        from wavetag.signal.synth import demo_records, write_wfdb

        root = Path(settings.HOME) / "demo-source"
        self.stdout.write(f"Generating demo records in {root} ...")
        records = demo_records(seed)
        for spec in wanted:
            folder = root / spec.dataset
            for record in records:
                if record.name.startswith(spec.prefix):
                    write_wfdb(folder, None, record)
            results = import_paths([str(folder)], spec.dataset)
            for result in results:
                self.stdout.write(f"  {result.status:8} {spec.dataset}/{result.name}")
            failed = [r.message for r in results if not r.ok]
            if failed:
                raise CommandError("demo import failed: " + "; ".join(failed))
            Dataset.objects.filter(name=spec.dataset).update(description=spec.description)

    def _ensure_user(self, username: str, password: str, *, staff: bool = False) -> Any:
        # A fresh password each run, unless one is given: the demo may be reachable by others.
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = staff
        user.is_active = True
        user.set_password(password)
        user.save()
        return user

    def _ensure_project(self, spec: DemoProject, admin: Any, team: list[tuple[Any, str]]) -> Any:
        project = Project.objects.filter(name=spec.project).first()
        if project is None:
            project = create_project(
                spec.project,
                spec.dataset,
                template=spec.project,
                description=spec.about,
                created_by=admin,
                **spec.options,
            )
            self.stdout.write(f"  created  project {project.name}")
        add_member(project, admin, Role.ADMIN)
        for user, role in team:
            add_member(project, user, role)
        return project
