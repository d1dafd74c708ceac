"""wavetag token create USERNAME [--name N] | token list USERNAME | token revoke PREFIX"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.accounts.services import (
    TokenNotFound,
    create_token,
    revoke_token,
    user_tokens,
)
from wavetag.errors import WavetagError


class Command(BaseCommand):
    help = "Create, list or revoke API tokens (sent as Authorization: Bearer <token>)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="print a new token for USERNAME")
        create.add_argument("username")
        create.add_argument("--name", default="", help="what the token is for")
        listing = sub.add_parser("list", help="list USERNAME's tokens (prefixes only)")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke the token starting with PREFIX")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "revoke":
            try:
                revoke_token(opts["prefix"])
            except TokenNotFound as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"revoked {opts['prefix']}")
            return
        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: opts["username"]})
        except user_model.DoesNotExist:
            raise CommandError(f"no user named {opts['username']!r}") from None
        if action == "create":
            try:
                _, raw = create_token(user, opts["name"])
            except WavetagError as exc:
                raise CommandError(f"--{exc}") from None
            self.stdout.write(raw)
        else:
            for token in user_tokens(user):
                used = token.last_used_at.isoformat() if token.last_used_at else "never used"
                self.stdout.write(f"{token.prefix}…  {token.name or '-'}  {used}")
