"""Helpers that build users, tokens and imported records in code (no fixtures files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from wavetag.accounts.models import ApiToken
from wavetag.records.importer import ImportResult, import_paths


def make_user(
    username: str, *, staff: bool = False, password: str = "correct horse battery"
) -> Any:
    user_model = get_user_model()
    user = user_model.objects.create_user(username=username, password=password, is_staff=staff)
    return user


def bearer(user: Any) -> dict[str, str]:
    _, raw = ApiToken.create_for(user, "tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def import_ok(*paths: Path | str, dataset: str | None = None, **kwargs: Any) -> list[ImportResult]:
    results = import_paths([str(p) for p in paths], dataset, **kwargs)
    failed = [r.message for r in results if not r.ok]
    assert not failed, failed
    return results
