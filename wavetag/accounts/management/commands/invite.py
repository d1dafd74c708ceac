"""wavetag invite PROJECT --role R [--email E] [--days N]: print a one-time invitation code,
and e-mail the registration link (at WAVETAG_BASE_URL) to E."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.accounts.registration import create_invitation, deliver_invitation
from wavetag.errors import WavetagError
from wavetag.projects.models import Role
from wavetag.projects.services import find_project


class Command(BaseCommand):
    help = "Create an invitation to a project with a role; prints the code (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="project name or id")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--email", default="", help="only this address may use it; the link is e-mailed to it"
        )
        parser.add_argument("--days", type=float, default=14, help="valid for N days (14)")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        try:
            project = find_project(opts["project"])
            invitation, code = create_invitation(
                project, opts["role"], email=opts["email"], days=opts["days"]
            )
        except WavetagError as exc:
            raise CommandError(str(exc)) from None
        # A mail printed by the console backend goes to stderr too.
        connection = get_connection(stream=self.stderr)
        delivery = deliver_invitation(invitation, code, settings.BASE_URL, connection=connection)
        # Only the code goes to stdout, so that scripts can take it.
        self.stdout.write(code)
        self.stderr.write(
            f"{opts['role']} of {project.name}, valid until "
            f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"
            + (f", for {invitation.email}" if invitation.email else "")
        )
        self.stderr.write(f"registration link: {delivery.link}")
        if delivery.emailed:
            self.stderr.write(f"e-mailed to {invitation.email}")
        if delivery.error:
            self.stderr.write(delivery.error)
