"""wavetag export PROJECT --out DIR [--with-names] [--licence TEXT]: a project's release
bundle (``wavetag.annotations.release``); with ``--excerpts SECONDS [--where FIELD=VALUE,...]
[--lead NAME] [--exclude-paced]``, an excerpt database (``wavetag.annotations.excerpts``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.annotations.excerpts import parse_where, write_excerpts
from wavetag.annotations.release import (
    check_target,
    wavetag_version,
    write_release,
)
from wavetag.errors import WavetagError
from wavetag.projects.services import find_project


class Command(BaseCommand):
    help = (
        "Write a project's release bundle: its records as WFDB, the final labels, every "
        "answer under pseudonymous ids, a README and SHA256SUMS. With --excerpts SECONDS, "
        "an excerpt database instead: each final task whose label matches every --where "
        "condition is cut into consecutive excerpts of SECONDS from the start of its window "
        "(a shorter remainder dropped), each a WFDB record <record>_<start>, with the task's "
        "final label in labels.csv and labels.json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="project name or id")
        parser.add_argument("--out", required=True, metavar="DIR", help="a new folder")
        parser.add_argument(
            "--with-names",
            action="store_true",
            help="also write the annotators' user names (pseudonymous ids otherwise)",
        )
        parser.add_argument(
            "--licence",
            metavar="TEXT",
            help="the README's licence (default: the dataset's, as `wavetag dataset set` sets it)",
        )

        parser.add_argument(
            "--excerpts",
            type=float,
            metavar="SECONDS",
            help="write an excerpt database of excerpts this long instead of the bundle",
        )
        parser.add_argument(
            "--where",
            default="",
            metavar="FIELD=VALUE[,...]",
            help="with --excerpts: only final labels giving each FIELD one of its VALUEs "
            "(A|B: either); an unknown field or value is refused",
        )
        parser.add_argument(
            "--lead",
            metavar="NAME",
            help="with --excerpts: only the channel NAME (a record without it is refused)",
        )
        parser.add_argument(
            "--exclude-paced",
            action="store_true",
            help="with --excerpts: leave out excerpts holding paced beats (/ or f) in a "
            "reference, automatic or final beat set",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        out = Path(opts["out"])
        if opts["excerpts"] is None:
            given = [
                name
                for name, key in (
                    ("--where", "where"),
                    ("--lead", "lead"),
                    ("--exclude-paced", "exclude_paced"),
                )
                if opts[key]
            ]
            if given:
                raise CommandError(f"{given[0]}: applies to --excerpts SECONDS only")
        elif opts["with_names"]:
            raise CommandError("--with-names: an excerpt database holds no answers or names")
        call_command("migrate", interactive=False, verbosity=0)
        try:
            project = find_project(opts["project"])
            check_target(out)
            if opts["excerpts"] is not None:
                self._excerpts(project, out, opts)
                return
            release = write_release(
                project,
                out,
                with_names=opts["with_names"],
                licence=opts["licence"],
                version=wavetag_version(),
            )
        except WavetagError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(
                f"--out: cannot write {exc.filename or out}: {exc.strerror}"
            ) from None
        self.stdout.write(
            f"wrote {release.out}: {len(release.records)} records, {release.tasks} tasks "
            f"({release.final} final), {release.answers} answers by {release.annotators} "
            "annotators"
        )
        for note in release.notes:
            self.stdout.write(f"note: {note}")

    def _excerpts(self, project: Any, out: Path, opts: dict[str, Any]) -> None:
        excerpts = write_excerpts(
            project,
            out,
            seconds=opts["excerpts"],
            where=parse_where(project.schema, opts["where"]),
            lead=opts["lead"],
            exclude_paced=opts["exclude_paced"],
            licence=opts["licence"],
            version=wavetag_version(),
        )
        paced = f", {excerpts.paced} left out for paced beats" if opts["exclude_paced"] else ""
        self.stdout.write(
            f"wrote {excerpts.out}: {len(excerpts.rows)} excerpts of {excerpts.seconds:g} s "
            f"from {excerpts.tasks} tasks{paced}"
        )
        for note in excerpts.notes:
            self.stdout.write(f"note: {note}")
