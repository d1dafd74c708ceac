"""wavetag user create USERNAME [--email E] [--staff]: for hospital IT.

The password comes from WAVETAG_PASSWORD, or is asked for when run in a terminal; a run
without either (a script, a cron job) is refused rather than creating an account nobody
can log in to.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.accounts.registration import create_user
from wavetag.errors import WavetagError


class Command(BaseCommand):
    help = "Create user accounts (password from WAVETAG_PASSWORD or asked for)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create an account")
        create.add_argument("username")
        create.add_argument("--email", default="")
        create.add_argument("--staff", action="store_true", help="a site admin")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        password = os.environ.get("WAVETAG_PASSWORD")
        if not password:
            if not sys.stdin.isatty():
                raise CommandError("no password: set WAVETAG_PASSWORD or run in a terminal")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the two passwords differ")
        try:
            user = create_user(opts["username"], password, opts["email"], staff=opts["staff"])
        except WavetagError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"created user {user.get_username()}")
