"""wavetag user create USERNAME [--email E] [--staff] | grant-datasets USER | revoke-datasets
USER: for hospital IT.

``grant-datasets`` makes a user a dataset manager (the ``records.manage_datasets``
permission, which the admin site grants too): they may make datasets and upload records
and annotation files over HTTP. Site admins may anyway.

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
        for action, text in (("grant-datasets", "grant"), ("revoke-datasets", "take back")):
            p = sub.add_parser(
                action, help=f"{text} making datasets and uploading records (dataset manager)"
            )
            p.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if opts["action"] in {"grant-datasets", "revoke-datasets"}:
            self._dataset_manager(opts["username"], grant=opts["action"] == "grant-datasets")
            return
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

    def _dataset_manager(self, username: str, *, grant: bool) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Permission

        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        permission = Permission.objects.get(
            content_type__app_label="records", codename="manage_datasets"
        )
        if grant:
            user.user_permissions.add(permission)
            self.stdout.write(f"{username} may now make datasets and upload records")
        else:
            user.user_permissions.remove(permission)
            self.stdout.write(f"{username} may no longer make datasets or upload records")
