"""``wavetag backup`` while a server takes answers, ``wavetag restore`` into a fresh home:
the restored site answers the API exactly as the original did, on SQLite and PostgreSQL.

A real server runs on the original home; an annotator submits answers one by one through
the API while the backup is made. The backup is then a snapshot: its answers are the first
m submitted, none half. A second backup made when all is answered is restored and every
API output compared with the original's. Damaged backups and homes in use are refused,
naming the file, and leave the home as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from wavetag.processes import stop_process

from .factories import command_env, run_wavetag
from .test_claims_concurrency import _postgres_database, free_port
from .test_cli import wait_for

SEGMENTS = 60  # mitdb 100 in 30-s tasks
HELD_BACK = 10  # answers kept until the first backup is done: it cannot hold them all

SETUP = """
import json
from django.contrib.auth import get_user_model
from wavetag.accounts.models import ApiToken
from wavetag.projects.models import Project
from wavetag.projects.services import add_member
project = Project.objects.get(name="rhythm")
tokens = {}
for name, role in (("lead", "admin"), ("ann", "annotator")):
    user = get_user_model().objects.create_user(username=name)
    add_member(project, user, role)
    tokens[name] = ApiToken.create_for(user)[1]
print(json.dumps({"project": project.pk, "tokens": tokens}))
"""


class Home:
    """A WAVETAG_HOME (and, on PostgreSQL, its own database)."""

    def __init__(self, path: Path, url: str | None) -> None:
        self.path, self.url = path, url

    def run(self, *args: str) -> Any:
        return run_wavetag(self.path, *args, database_url=self.url)

    def ok(self, *args: str) -> Any:
        result = self.run(*args)
        assert result.returncode == 0, result.stderr
        return result

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.url is None:
            with sqlite3.connect(self.path / "wavetag.sqlite3") as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url) as conn:
            return conn.execute(sql).fetchall()

    def snapshot(self) -> dict[str, str]:
        """Every file of the home with its checksum, and the database's tables and rows."""
        state = {}
        if self.path.exists():
            for path in sorted(self.path.rglob("*")):
                # SQLite's -shm is an index of the -wal that any reader rebuilds: no data.
                if path.is_file() and not path.name.endswith("-shm"):
                    state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        if self.url:
            import psycopg

            with psycopg.connect(self.url) as conn:
                tables = conn.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' ORDER BY 1"
                ).fetchall()
                for (table,) in tables:
                    rows = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
                    state[f"table {table}"] = str(rows[0] if rows else 0)
        return state


@pytest.fixture(params=["sqlite", "postgresql"])
def homes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Home]]:
    """Three homes: the original and two to restore into (fresh databases each)."""
    if request.param == "sqlite":
        yield [Home(tmp_path / f"home{i}", None) for i in range(3)]
        return
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("PostgreSQL leg: runs when DATABASE_URL points at PostgreSQL")
    pid = os.getpid()
    with _databases([f"wt_backup_{pid}_{i}" for i in range(3)]) as urls:
        yield [Home(tmp_path / f"home{i}", url) for i, url in enumerate(urls)]


@contextmanager
def _databases(names: list[str]) -> Iterator[list[str]]:
    makers = [_postgres_database(name) for name in names]
    try:
        yield [next(m) for m in makers]
    finally:
        for m in makers:
            m.close()  # runs each generator's finally: the database is dropped


@contextmanager
def serving(home: Home) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wavetag", "serve", "--port", str(port), "--no-worker"]
        + ["--no-migrate", "--threads", "4"],
        env=command_env(home.path, home.url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz", seconds=60)
        yield base
    finally:
        stop_process(proc, timeout=20)


def api(base: str, path: str, token: str, body: Any = None, method: str = "GET") -> Any:
    """(status, body): JSON decoded, anything else as bytes."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw = response.status, response.read()
            kind = response.headers.get_content_type()
    except urllib.error.HTTPError as err:
        status, raw, kind = err.code, err.read(), err.headers.get_content_type()
    return status, (json.loads(raw) if kind == "application/json" else raw)


def get(base: str, path: str, token: str) -> Any:
    status, body = api(base, path, token)
    assert status == 200, (path, status, body)
    return body


def answer(i: int) -> dict[str, str]:
    return {"quality": "AB"[i % 2], "rhythm": "sinus", "subcategory": "sinus-normal"}


def site_outputs(base: str, lead: str, project: int, tasks: list[int]) -> dict[str, Any]:
    """What the API shows of the whole site: records, windows, projects, tasks, answers,
    exports."""
    out: dict[str, Any] = {}
    out["records"] = get(base, "/api/v1/records", lead)
    out["datasets"] = get(base, "/api/v1/datasets", lead)
    for item in out["records"]["items"]:
        rid = item["id"]
        out[f"record {rid}"] = get(base, f"/api/v1/records/{rid}", lead)
        out[f"window {rid}"] = get(base, f"/api/v1/records/{rid}/window?start=100&end=110", lead)
        out[f"overview {rid}"] = get(base, f"/api/v1/records/{rid}/window?start=0&end=1806", lead)
        binary = f"/api/v1/records/{rid}/window?start=600&end=660&format=binary"
        out[f"binary {rid}"] = get(base, binary, lead).hex()
        for aset in out[f"record {rid}"]["annotation_sets"]:
            path = f"/api/v1/records/{rid}/annotations?set={aset['name']}"
            out[f"annotations {rid} {aset['name']}"] = get(base, path, lead)
    out["projects"] = get(base, "/api/v1/projects", lead)
    out["project"] = get(base, f"/api/v1/projects/{project}", lead)
    out["progress"] = get(base, f"/api/v1/projects/{project}/progress", lead)
    out["tasks"] = get(base, f"/api/v1/projects/{project}/tasks", lead)
    for task in tasks:
        out[f"answers {task}"] = get(base, f"/api/v1/tasks/{task}/annotations", lead)
    out["export"] = get(base, f"/api/v1/projects/{project}/export", lead)
    out["export csv"] = get(base, f"/api/v1/projects/{project}/export?format=csv", lead)
    return out


def prepare(home: Home, data_dir: Path) -> dict[str, Any]:
    home.ok("migrate", "-v0")
    home.ok("import", str(data_dir / "mitdb/100"), "--dataset", "holter")
    result = home.ok(
        "project", "create", "rhythm", "--dataset", "holter", "--template", "wearable-rhythm",
        "--annotators-per-task", "1", "--max-annotators", "1", "--batch-size", str(SEGMENTS),
    )  # fmt: skip
    assert f"{SEGMENTS} tasks" in result.stdout
    setup = json.loads(home.ok("shell", "-v", "0", "-c", SETUP).stdout.strip().splitlines()[-1])
    return dict(setup)


class TestBackupWhileServing:
    def test_restored_sites_answer_as_the_original(
        self, homes: list[Home], data_dir: Path, tmp_path: Path
    ) -> None:
        original, during, after = homes
        setup = prepare(original, data_dir)
        project, lead, ann = setup["project"], setup["tokens"]["lead"], setup["tokens"]["ann"]
        backups = tmp_path / "backups"
        with serving(original) as base:
            status, batch = api(base, f"/api/v1/projects/{project}/batches", ann, method="POST")
            assert status == 200, batch
            tasks = batch["tasks"]
            assert len(tasks) == SEGMENTS

            submitted: list[int] = []
            failures: list[Any] = []
            started, backed_up = threading.Event(), threading.Event()

            def annotate() -> None:
                for i, task in enumerate(tasks):
                    if i == len(tasks) - HELD_BACK:
                        backed_up.wait(timeout=120)
                    status, body = api(
                        base, f"/api/v1/tasks/{task}/annotation", ann, answer(i), "PUT"
                    )
                    if status != 200:
                        failures.append((task, status, body))
                    submitted.append(task)
                    if len(submitted) == 5:
                        started.set()
                    time.sleep(0.02)

            annotator = threading.Thread(target=annotate)
            annotator.start()
            assert started.wait(timeout=60)
            t0 = time.monotonic()
            first = original.run("backup", str(backups / "first"))
            seconds = time.monotonic() - t0
            backed_up.set()
            annotator.join(timeout=120)
            assert first.returncode == 0, first.stderr
            assert not failures, failures  # the server kept answering during the backup
            assert "secret key" in first.stdout
            print(f"backup while serving: {seconds:.2f} s; {first.stdout.strip()}")

            second = original.ok("backup", str(backups / "second"))
            assert " linked from first" in second.stdout, second.stdout
            want = site_outputs(base, lead, project, tasks)

        # Incremental: the second backup's store files are the first's (same inodes).
        store_files = sorted((backups / "first" / "store").rglob("*.*"))
        assert store_files
        for path in store_files:
            twin = backups / "second" / path.relative_to(backups / "first")
            assert twin.stat().st_ino == path.stat().st_ino and path.stat().st_nlink >= 2

        # The quiet backup gives back exactly the original site.
        restored = after.ok("restore", str(backups / "second"))
        assert "restored from" in restored.stdout
        assert (after.path / "secret_key").read_bytes() == (
            original.path / "secret_key"
        ).read_bytes()
        with serving(after) as base:
            got = site_outputs(base, lead, project, tasks)
        assert got.keys() == want.keys()
        for key in want:
            assert got[key] == want[key], key

        # Now a home in use: refused, naming it, and left as it was; --force replaces it.
        refused(after, backups / "first", str(after.path), "has tables", "--force")
        after.ok("restore", str(backups / "first"), "--force")
        answers_after = after.rows("SELECT count(*) FROM annotations_annotation")[0][0]

        # The backup made while answers came in is a snapshot: the first m answers, whole.
        during.ok("restore", str(backups / "first"))
        with serving(during) as base:
            seen = site_outputs(base, lead, project, tasks)
        answered = [t for t in tasks if seen[f"answers {t}"]["count"]]
        m = len(answered)
        assert answered == tasks[:m] and 5 <= m <= SEGMENTS - HELD_BACK, (m, answered)
        assert answers_after == m
        for task in tasks:
            if task in answered:
                assert seen[f"answers {task}"] == want[f"answers {task}"]
            else:
                assert seen[f"answers {task}"]["count"] == 0
        for key in ("records", "datasets", "projects"):
            assert seen[key] == want[key], key
        for key in want:
            if key.startswith(("record ", "window ", "overview ", "binary ")):
                assert seen[key] == want[key], key
        final = {i["id"]: i for i in want["export"]["items"]}
        for item in seen["export"]["items"]:
            if item["id"] in answered:
                assert item == final[item["id"]]
            else:
                assert not item["annotations"] and item["status"] == "open", item


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A SQLite home with a record and a project, and its backup in ``backups/b1``, made
    once for the module."""
    folder = tmp_path_factory.mktemp("prepared")
    home = Home(folder / "home", None)
    prepare(home, data_dir)
    home.ok("backup", str(folder / "backups" / "b1"))
    return folder


@pytest.fixture
def site(prepared: Path, tmp_path: Path) -> dict[str, Any]:
    """A copy of the prepared home and of its backup, and an empty home."""
    home = Home(Path(shutil.copytree(prepared / "home", tmp_path / "home")), None)
    backups = Path(shutil.copytree(prepared / "backups", tmp_path / "backups"))
    return {"home": home, "backup": backups / "b1", "empty": Home(tmp_path / "empty", None)}


def refused(home: Home, backup: Path, *words: str) -> str:
    before = home.snapshot()
    result = home.run("restore", str(backup))
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert home.snapshot() == before
    return str(result.stderr)


class TestRefusals:
    def test_a_home_in_use_is_refused_unless_forced(self, site: dict[str, Any]) -> None:
        home = site["home"]
        refused(home, site["backup"], str(home.path), "has tables", "--force")
        home.ok("project", "create", "more", "--dataset", "holter", "--template", "wearable-rhythm")
        home.ok("restore", str(site["backup"]), "--force")
        listing = home.ok("project", "list").stdout
        assert "rhythm" in listing and "more" not in listing

    def test_a_changed_file_is_named(self, site: dict[str, Any]) -> None:
        chunk = sorted((site["backup"] / "store").rglob("c0.l0.*"))[0]
        data = bytearray(chunk.read_bytes())
        data[100] ^= 1
        chunk.unlink()  # it may be a hard link shared with the store: write a new file
        chunk.write_bytes(bytes(data))
        refused(site["empty"], site["backup"], str(chunk), "checksum")
        assert not site["empty"].path.exists()

    def test_a_missing_file_is_named(self, site: dict[str, Any]) -> None:
        meta = sorted((site["backup"] / "store").rglob("meta.json"))[0]
        meta.unlink()
        refused(site["empty"], site["backup"], str(meta), "missing")

    def test_a_missing_database_is_named(self, site: dict[str, Any]) -> None:
        (site["backup"] / "database.sqlite3").write_bytes(b"")
        refused(site["empty"], site["backup"], "database.sqlite3", "bytes")

    def test_a_backup_without_manifest_is_refused(self, site: dict[str, Any]) -> None:
        (site["backup"] / "manifest.json").unlink()
        refused(site["empty"], site["backup"], str(site["backup"] / "manifest.json"), "missing")

    def test_an_unfinished_backup_is_refused(self, site: dict[str, Any], tmp_path: Path) -> None:
        partial = tmp_path / "backups" / "b2.partial"
        partial.mkdir()
        refused(site["empty"], partial, "manifest.json", "unfinished")

    def test_backing_up_into_an_existing_folder_is_refused(self, site: dict[str, Any]) -> None:
        result = site["home"].run("backup", str(site["backup"]))
        assert result.returncode == 1 and str(site["backup"]) in result.stderr
        assert "already exists" in result.stderr and "Traceback" not in result.stderr


class TestRetention:
    def test_keep_removes_the_oldest_backups_only(self, site: dict[str, Any]) -> None:
        home, parent = site["home"], site["backup"].parent
        (parent / "notes").mkdir()  # not a backup: never removed
        (parent / "died.partial").mkdir()  # a backup that died: removed
        (parent / "died.partial" / ".lock").touch()
        for name in ("b2", "b3"):
            home.ok("backup", str(parent / name), "--keep", "2")
        assert sorted(p.name for p in parent.iterdir()) == ["b2", "b3", "notes"]
        home.ok("restore", str(parent / "b3"), "--force")


READ_STORE = """
from wavetag.records.models import Record
from wavetag.records.storage import store_root
from wavetag.signal.store import RecordStore
record = Record.objects.get()
print(len(RecordStore.open(store_root(), record.store_key).channels))
"""


class TestObjectStore:
    def test_the_backup_holds_the_database_and_says_the_bucket_is_not_in_it(
        self, s3_endpoint: str, s3_bucket: str, tmp_path: Path, data_dir: Path
    ) -> None:
        url = f"s3://{s3_bucket}/wavetag"
        env = {"WAVETAG_STORE_URL": url, "WAVETAG_S3_ENDPOINT_URL": s3_endpoint}
        home, backup = tmp_path / "home", tmp_path / "backups" / "b1"
        result = run_wavetag(home, "import", str(data_dir / "mitdb/100"), **env)
        assert result.returncode == 0, result.stderr
        result = run_wavetag(home, "backup", str(backup), **env)
        assert result.returncode == 0, result.stderr
        assert f"{url}: it is NOT in this backup" in result.stderr
        manifest = json.loads((backup / "manifest.json").read_text())
        assert manifest["store"] == {"kind": "object-store", "url": url, "included": False}
        assert not any(name.startswith("store/") for name in manifest["files"])

        restored = tmp_path / "restored"
        result = run_wavetag(restored, "restore", str(backup), **env)
        assert result.returncode == 0, result.stderr
        assert f"object store {url}" in result.stderr
        result = run_wavetag(restored, "shell", "-v", "0", "-c", READ_STORE, **env)
        assert result.returncode == 0 and result.stdout.strip() == "2", result.stderr
