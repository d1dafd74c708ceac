"""Helpers that build users, tokens and imported records in code (no fixtures files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from wavetag.accounts.models import ApiToken
from wavetag.records.importer import ImportResult, import_paths


def make_user(
    username: str, *, staff: bool = False, password: str | None = "correct horse battery"
) -> Any:
    """A user; ``password=None`` gives one that cannot log in by password (and is made
    without the deliberately slow password hash: bearer tokens still work)."""
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


def make_project(name: str, dataset: str, template: str = "icu-alarm", **kwargs: Any) -> Any:
    from wavetag.projects.services import create_project

    return create_project(name, dataset, template=template, **kwargs)


def make_member(project: Any, username: str, role: str = "annotator", **kwargs: Any) -> Any:
    from wavetag.projects.services import add_member

    kwargs.setdefault("password", None)
    user = make_user(username, **kwargs)
    add_member(project, user, role)
    return user


def call(client: Any, method: str, url: str, headers: dict[str, str], body: Any = None) -> Any:
    """An API call with a JSON body; returns (status, decoded JSON or None)."""
    import json

    kwargs: dict[str, Any] = dict(headers)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    response = getattr(client, method.lower())(url, **kwargs)
    try:
        payload = json.loads(response.content) if response.content else None
    except ValueError:
        payload = None
    return response.status_code, payload


def icu_world(data_dir: Path, **project_kwargs: Any) -> Any:
    """Two ICU alarm records in an ``icu-alarm`` project (k=2, batches of 1), with a project
    admin ``lead``, an adjudicator ``judge``, annotators ``ann1`` and ``ann2``, an annotator
    ``outsider`` of another project (12-lead, other dataset) and a site admin ``root``;
    bearer headers for each in ``h``."""
    import_ok(data_dir / "challenge2015/v102s", data_dir / "challenge2015/v221l", dataset="icu")
    import_ok(data_dir / "ptbxl/00001_lr", dataset="ecg")
    return icu_team(**project_kwargs)


def icu_team(**project_kwargs: Any) -> Any:
    """:func:`icu_world` on its records imported already, by the fixtures ``icu_alarms``
    and ``ecg_record``."""
    from types import SimpleNamespace

    options: dict[str, Any] = {"event_at": 300, "batch_size": 1, **project_kwargs}
    project = make_project("alarms", "icu", "icu-alarm", **options)
    other = make_project("ecg12", "ecg", "resting-12lead")
    w = SimpleNamespace(project=project, other=other)
    w.lead = make_member(project, "lead", "admin")
    w.judge = make_member(project, "judge", "adjudicator")
    w.ann1 = make_member(project, "ann1")
    w.ann2 = make_member(project, "ann2")
    w.outsider = make_member(other, "outsider")
    w.root = make_user("root", staff=True, password=None)
    w.h = {
        name: bearer(getattr(w, name))
        for name in ("lead", "judge", "ann1", "ann2", "outsider", "root")
    }
    w.h["anonymous"] = {}
    return w


def rhythm_team(k: int = 2, batch_size: int = 1) -> Any:
    """A wearable-rhythm project on MIT-BIH 106 (the ``holter_106`` fixture: 180 tasks of
    10 s, k annotators each), a project admin ``lead``, an adjudicator ``judge``, annotators
    ``ann1..ann3``, a site admin ``root`` and ``outsider``, who belongs to no project;
    bearer headers in ``h``."""
    from types import SimpleNamespace

    project = make_project(
        "rhythm",
        "holter",
        "wearable-rhythm",
        segment_seconds=10,
        annotators_per_task=k,
        max_annotators=k,
        batch_size=batch_size,
    )
    w = SimpleNamespace(project=project)
    w.lead = make_member(project, "lead", "admin")
    w.judge = make_member(project, "judge", "adjudicator")
    for n in (1, 2, 3):
        setattr(w, f"ann{n}", make_member(project, f"ann{n}"))
    w.root = make_user("root", staff=True, password=None)
    w.outsider = make_user("outsider", password=None)
    names = ("lead", "judge", "ann1", "ann2", "ann3", "root", "outsider")
    w.h = {name: bearer(getattr(w, name)) for name in names}
    w.h["anonymous"] = {}
    return w


def command_env(home: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for a ``wavetag`` subprocess with its own WAVETAG_HOME, on SQLite unless
    ``database_url`` is given (never the test run's own database)."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "WAVETAG_STORE_DIR"}}
    env.pop("WAVETAG_PASSWORD", None)
    env["WAVETAG_HOME"] = str(home)
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def run_wavetag(
    home: Path, *args: str, database_url: str | None = None, timeout: float = 120, **extra: str
) -> Any:
    """Run ``wavetag ARGS`` as a user would; stdin is not a terminal."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "wavetag", *args],
        env=command_env(home, database_url, **extra),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
