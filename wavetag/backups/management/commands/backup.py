"""wavetag backup DIR [--keep N]: a consistent copy of the site while it serves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.backups.manifest import BackupError
from wavetag.backups.services import Report, backup


class Command(BaseCommand):
    help = (
        "Back up the database, the waveform store and the secret key into DIR (a new "
        "folder), with a manifest of checksums; the site keeps serving. Store files are "
        "hard-linked from the latest earlier backup in DIR's parent folder when unchanged."
    )
    # A backup reads the site as it is; the checks would open the database for nothing.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", metavar="DIR", help="the backup's folder (must not exist)")
        parser.add_argument(
            "--keep",
            type=int,
            metavar="N",
            help="then remove the older backups in DIR's parent folder beyond the N newest",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        keep = opts["keep"]
        if keep is not None and keep < 1:
            raise CommandError(f"--keep must be 1 or more, not {keep}")
        report = run(lambda: backup(opts["folder"], keep=keep), opts["folder"])
        write_report(self, report, "backed up into")


def run(action: Callable[[], Report], folder: str) -> Report:
    """``action``'s report; its refusals and the file system's errors as one line naming
    the file (no traceback reaches the administrator)."""
    try:
        return action()
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"{exc.filename or folder}: {exc.strerror or exc}") from None


def write_report(command: BaseCommand, report: Report, verb: str) -> None:
    for line in report.lines:
        command.stdout.write(f"  {line}")
    for warning in report.warnings:
        command.stderr.write(f"warning: {warning}")
    command.stdout.write(
        f"{verb} {report.folder}: {report.files} file(s), {report.bytes / 1e6:.1f} MB "
        f"in {report.seconds:.2f} s"
    )
