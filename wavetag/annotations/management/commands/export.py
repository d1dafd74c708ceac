"""wavetag export PROJECT --out DIR [--with-names] [--licence TEXT]: a project's release
bundle (``wavetag.annotations.release``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.annotations.release import DEFAULT_LICENCE, check_target, write_release
from wavetag.errors import WavetagError
from wavetag.projects.services import find_project


def _version() -> str:
    try:
        return version("wavetag")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return ""


class Command(BaseCommand):
    help = (
        "Write a project's release bundle: its records as WFDB, the final labels, every "
        "answer under pseudonymous ids, a README and SHA256SUMS."
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
            "--licence", default=DEFAULT_LICENCE, metavar="TEXT", help="the README's licence"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        out = Path(opts["out"])
        call_command("migrate", interactive=False, verbosity=0)
        try:
            project = find_project(opts["project"])
            check_target(out)
            release = write_release(
                project,
                out,
                with_names=opts["with_names"],
                licence=opts["licence"],
                version=_version(),
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
