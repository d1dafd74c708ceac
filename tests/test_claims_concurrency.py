"""Many people claiming batches at the same moment, against real servers, on SQLite and on
PostgreSQL: no task ever gets more than k annotators, nobody gets two batches at once,
and an invitation code registers one account only.

Two ``wavetag serve`` processes share one database (as two web servers of a deployment
would), and the claims are fired together from threads. SQLite runs in the test's own
WAVETAG_HOME; PostgreSQL (when DATABASE_URL is set) in a database created for the test
and dropped after it, never the test run's own.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from wavetag.processes import stop_process

from .factories import command_env, run_wavetag
from .test_cli import wait_for

USERS = 30
BATCH = 5
K = 2
SEGMENTS = 60  # mitdb 100 in 30-s segments: 120 slots for 150 asked


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Database:
    """Where the servers keep their data, and how the test reads it back."""

    def __init__(self, home: Path, url: str | None) -> None:
        self.home, self.url = home, url

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.url is None:
            with sqlite3.connect(self.home / "wavetag.sqlite3") as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url) as conn:
            return conn.execute(sql).fetchall()

    def run(self, *args: str, **extra: str) -> Any:
        return run_wavetag(self.home, *args, database_url=self.url, **extra)


def _postgres_database(name: str) -> Iterator[str]:
    import psycopg

    from wavetag.settings import database_from_url

    base = os.environ["DATABASE_URL"]
    params = database_from_url(base)
    admin = psycopg.connect(
        dbname=str(params["NAME"]),
        user=str(params["USER"]) or None,
        password=str(params["PASSWORD"]) or None,
        host=str(params["HOST"]) or None,
        port=str(params["PORT"]) or None,
        autocommit=True,
    )
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        yield urlparse(base)._replace(path="/" + name).geturl()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def imported_site(
    request: pytest.FixtureRequest, tmp_path: Path, path: Path, dataset: str, name: str
) -> Iterator[Database]:
    """A site with the record(s) at ``path`` imported as ``dataset``: on SQLite a copy of
    the module's ``imported_home`` fixture (imported once); on PostgreSQL (DATABASE_URL) a
    database ``name`` made for the test and dropped after it, imported each time."""
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        imported: Path = request.getfixturevalue("imported_home")
        yield Database(Path(shutil.copytree(imported, tmp_path / "home")), None)
        return
    for url in _postgres_database(f"{name}_{os.getpid()}"):
        db = Database(tmp_path / "home", url)
        result = db.run("import", str(path), "--dataset", dataset)
        assert result.returncode == 0, result.stderr
        yield db


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield Database(tmp_path, None)
        return
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("PostgreSQL leg: runs when DATABASE_URL points at PostgreSQL")
    yield from (
        Database(tmp_path, url) for url in _postgres_database(f"wavetag_claims_{os.getpid()}")
    )


SETUP = """
import json
from django.contrib.auth import get_user_model
from wavetag.accounts.models import ApiToken
from wavetag.projects.models import Project
from wavetag.projects.services import add_member
project = Project.objects.get(name="rhythm")
tokens = {}
for i in range(%(users)d):
    user = get_user_model().objects.create_user(username=f"a{i:02d}")
    add_member(project, user, "annotator")
    tokens[user.username] = ApiToken.create_for(user)[1]
print(json.dumps({"project": project.pk, "tokens": tokens}))
"""


# Re-entry: two annotators disagree on every task, so each is opened to one more.
DISAGREE = """
from django.contrib.auth import get_user_model
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.services import save_annotation
from wavetag.projects.models import Project
from wavetag.projects.services import add_member
project = Project.objects.get(name="rhythm")
project.batch_size = %(segments)d
project.save()
answers = [{"quality": "A", "rhythm": "sinus", "subcategory": "sinus-normal"}, {"quality": "C"}]
for name, answer in zip(("first", "second"), answers):
    user = get_user_model().objects.create_user(username=name)
    add_member(project, user, "annotator")
    for task in claim_batch(project, user):
        save_annotation(task, user, answer)
project.batch_size = %(batch)d
project.save()
"""


def _project(database: Database, data_dir: Path, *options: str) -> None:
    assert database.run("migrate", "-v0").returncode == 0
    result = database.run("import", str(data_dir / "mitdb/100"), "--dataset", "holter")
    assert result.returncode == 0, result.stderr
    result = database.run(
        "project",
        "create",
        "rhythm",
        "--dataset",
        "holter",
        "--template",
        "wearable-rhythm",
        "--annotators-per-task",
        str(K),
        "--batch-size",
        str(BATCH),
        *options,
    )
    assert result.returncode == 0 and f"{SEGMENTS} tasks" in result.stdout, result.stderr


@pytest.fixture
def servers(database: Database, data_dir: Path) -> Iterator[dict[str, Any]]:
    """Two servers on one database, a wearable project (k=2, batches of 5), 30 annotators."""
    _project(database, data_dir)
    yield from _serve(database)


@pytest.fixture
def reentry_servers(database: Database, data_dir: Path) -> Iterator[dict[str, Any]]:
    """The same under the reenter policy (at most 3 annotators), every task waiting for a
    third annotator."""
    _project(database, data_dir, "--conflict-policy", "reenter", "--max-annotators", "3")
    script = DISAGREE % {"segments": SEGMENTS, "batch": BATCH}
    result = database.run("shell", "-v", "0", "-c", script)
    assert result.returncode == 0, result.stderr
    yield from _serve(database)


# Teams: the annotators alternate between two teams.
TEAMS = """
from django.contrib.auth import get_user_model
from wavetag.projects.models import Project
from wavetag.projects.teams import add_to_team, create_team
project = Project.objects.get(name="rhythm")
teams = [create_team(project, "red"), create_team(project, "blue")]
users = get_user_model().objects.filter(username__startswith="a").order_by("username")
for i, user in enumerate(users):
    add_to_team(teams[i % 2], user)
"""


@pytest.fixture
def team_servers(database: Database, data_dir: Path) -> Iterator[dict[str, Any]]:
    """As ``servers``, the 30 annotators in two teams of 15."""
    _project(database, data_dir)
    yield from _serve(database, TEAMS)


def _serve(database: Database, then: str = "") -> Iterator[dict[str, Any]]:
    result = database.run("shell", "-v", "0", "-c", SETUP % {"users": USERS})
    assert result.returncode == 0, result.stderr
    if then:
        done = database.run("shell", "-v", "0", "-c", then)
        assert done.returncode == 0, done.stderr
    setup = json.loads(result.stdout.strip().splitlines()[-1])
    procs, bases = [], []
    try:
        for _ in range(2):
            port = free_port()
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "wavetag", "serve", "--port", str(port)]
                    + ["--threads", "16", "--no-migrate"],
                    env=command_env(database.home, database.url),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            wait_for(base + "/healthz", seconds=60)
        yield {"bases": bases, "database": database, **setup}
    finally:
        for proc in procs:
            stop_process(proc, timeout=20)


def claim(base: str, project: int, token: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{base}/api/v1/projects/{project}/batches",
        method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def all_at_once(calls: list[Any]) -> list[Any]:
    start = threading.Barrier(len(calls))

    def run(fn: Any) -> Any:
        start.wait()
        return fn()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


class TestConcurrentClaims:
    def test_no_task_gets_more_than_k_annotators(self, servers: dict[str, Any]) -> None:
        bases, project, tokens = servers["bases"], servers["project"], servers["tokens"]
        users = sorted(tokens)
        results = all_at_once(
            [
                (lambda b=bases[i % 2], t=tokens[u]: claim(b, project, t))
                for i, u in enumerate(users)
            ]
        )
        assert all(status == 200 for status, _ in results), results
        claimed = [body["tasks"] for _, body in results]
        assert all(len(tasks) == len(set(tasks)) <= BATCH for tasks in claimed)
        # Everyone asked for 5: the 120 slots are all taken, and none twice.
        assert sum(len(tasks) for tasks in claimed) == SEGMENTS * K
        per_task = Counter(t for tasks in claimed for t in tasks)
        assert max(per_task.values()) == K and len(per_task) == SEGMENTS
        db = servers["database"]
        counts = db.rows("select task_id, count(*) from projects_assignment group by task_id")
        assert len(counts) == SEGMENTS and {n for _, n in counts} == {K}
        slots = db.rows("select count(distinct task_id || ':' || slot) from projects_assignment")
        assert slots == [(SEGMENTS * K,)]

    def test_one_user_clicking_many_times_gets_one_batch(self, servers: dict[str, Any]) -> None:
        bases, project = servers["bases"], servers["project"]
        token = servers["tokens"]["a00"]
        results = all_at_once([(lambda b=bases[i % 2]: claim(b, project, token)) for i in range(8)])
        statuses = sorted(status for status, _ in results)
        assert statuses == [200] + [409] * 7, results
        assert all("finish your current batch" in body["detail"] for s, body in results if s == 409)
        db = servers["database"]
        assert db.rows(
            "select count(*) from projects_assignment a join auth_user u on u.id = a.user_id "
            "where u.username = 'a00'"
        ) == [(BATCH,)]


def submit(base: str, task: int, token: str) -> int:
    body = json.dumps({"quality": "A", "rhythm": "sinus", "subcategory": "sinus-normal"})
    request = urllib.request.Request(
        f"{base}/api/v1/tasks/{task}/annotation",
        data=body.encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


class TestClaimsAndSubmitsTogether:
    def test_no_deadlock_between_a_submit_and_a_claim(self, servers: dict[str, Any]) -> None:
        # A submit locked its task and then the project (joined for reading); a claim locks
        # the project and then adds assignments referencing their tasks. Side by side on
        # PostgreSQL they waited on each other: "deadlock detected", a 500.
        bases, project, tokens = servers["bases"], servers["project"], servers["tokens"]

        def work(i: int, user: str) -> list[int]:
            base, token, statuses = bases[i % 2], tokens[user], []
            while True:
                status, body = claim(base, project, token)
                statuses.append(status)
                if status != 200 or not body["tasks"]:
                    return statuses
                statuses += [submit(base, task, token) for task in body["tasks"]]

        results = all_at_once([(lambda i=i, u=u: work(i, u)) for i, u in enumerate(sorted(tokens))])
        statuses = Counter(s for r in results for s in r)
        assert set(statuses) == {200}, statuses
        db = servers["database"]
        # Every slot was claimed and answered, none twice.
        assert db.rows(
            "select count(*) from annotations_annotation where status = 'submitted'"
        ) == [(SEGMENTS * K,)]


class TestConcurrentReentry:
    def test_each_task_gets_exactly_one_more_annotator(
        self, reentry_servers: dict[str, Any]
    ) -> None:
        servers = reentry_servers
        db = servers["database"]
        assert db.rows("select count(*) from projects_task where extra_annotators = 1") == [
            (SEGMENTS,)
        ]
        bases, project, tokens = servers["bases"], servers["project"], servers["tokens"]
        results = all_at_once(
            [
                (lambda b=bases[i % 2], t=tokens[u]: claim(b, project, t))
                for i, u in enumerate(sorted(tokens))
            ]
        )
        assert all(status == 200 for status, _ in results), results
        claimed = [t for _, body in results for t in body["tasks"]]
        # 150 asked, 60 third slots: each task once, in slot 2.
        assert len(claimed) == len(set(claimed)) == SEGMENTS
        counts = db.rows("select task_id, count(*) from projects_assignment group by task_id")
        assert {n for _, n in counts} == {K + 1} and len(counts) == SEGMENTS
        assert db.rows("select distinct slot from projects_assignment where slot >= 2") == [(2,)]


class TestConcurrentTeamClaims:
    def test_a_task_never_gets_annotators_of_two_teams(self, team_servers: dict[str, Any]) -> None:
        servers = team_servers
        bases, project, tokens = servers["bases"], servers["project"], servers["tokens"]
        results = all_at_once(
            [
                (lambda b=bases[i % 2], t=tokens[u]: claim(b, project, t))
                for i, u in enumerate(sorted(tokens))
            ]
        )
        assert all(status == 200 for status, _ in results), results
        claimed = [t for _, body in results for t in body["tasks"]]
        db = servers["database"]
        counts = db.rows("select task_id, count(*) from projects_assignment group by task_id")
        assert sum(n for _, n in counts) == len(claimed) and max(n for _, n in counts) <= K
        # 150 asked for 120 slots, but how the tasks split between the teams depends on
        # the order of the claims: a team that fixed more tasks than its members fill
        # leaves slots that the other team may not take (seen: 115 of 120 on PostgreSQL).
        # What must hold: nobody got fewer than a batch while a task they could take
        # (untouched, or of their team with room, and not theirs already) was left at the
        # end; tasks only fill up, so it was there when they claimed too.
        short = db.rows(
            "select m.user_id from projects_membership m "
            "left join projects_assignment a on a.user_id = m.user_id "
            "where m.team_id is not null group by m.user_id, m.team_id, m.project_id "
            f"having count(a.id) < {BATCH} and exists ("
            "select 1 from projects_task t where t.project_id = m.project_id "
            "and (t.team_id is null or t.team_id = m.team_id) "
            f"and (select count(*) from projects_assignment x where x.task_id = t.id) < {K} "
            "and not exists (select 1 from projects_assignment y "
            "where y.task_id = t.id and y.user_id = m.user_id))"
        )
        assert short == [], short
        # Every assignee is in the team of the task, which the first claim fixed.
        assert db.rows(
            "select count(*) from projects_assignment a "
            "join projects_task t on t.id = a.task_id "
            "join projects_membership m on m.user_id = a.user_id and m.project_id = t.project_id "
            "where t.team_id is null or m.team_id is null or m.team_id <> t.team_id"
        ) == [(0,)]
        teams = db.rows("select count(distinct team_id) from projects_task")
        assert teams == [(2,)]


REGISTER = """
import time
from wavetag.accounts.registration import RegistrationError, register_with_invitation
time.sleep(max(0.0, %(at)f - time.time()))
try:
    register_with_invitation(%(code)r, %(name)r, "a long pass phrase 7")
    print("ok")
except RegistrationError as exc:
    print("refused", exc)
"""


class TestConcurrentRegistration:
    def test_an_invitation_code_registers_one_account(self, database: Database) -> None:
        assert database.run("migrate", "-v0").returncode == 0
        script = (
            "from wavetag.projects.models import Project; from wavetag.records.models import "
            "Dataset; from wavetag.accounts.registration import create_invitation; "
            "d = Dataset.objects.create(name='d'); "
            "p = Project.objects.create(name='p', dataset=d, template='icu-alarm', schema={}); "
            "print(create_invitation(p, 'annotator')[1])"
        )
        result = database.run("shell", "-v", "0", "-c", script)
        assert result.returncode == 0, result.stderr
        code = result.stdout.strip()
        at = time.time() + 6
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "wavetag", "shell", "-v", "0", "-c"]
                + [REGISTER % {"at": at, "code": code, "name": f"u{i}"}],
                env=command_env(database.home, database.url),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(6)
        ]
        outputs = [proc.communicate(timeout=120) for proc in procs]
        lines = [out.strip() for out, _ in outputs]
        assert sorted(line.split()[0] for line in lines) == ["ok"] + ["refused"] * 5, outputs
        assert all("already been used" in line for line in lines if line != "ok")
        assert database.rows("select count(*) from auth_user") == [(1,)]
