"""The ``wavetag`` command, run as a user runs it: in its own process, on its own WAVETAG_HOME.

These always use SQLite in a temporary folder, whatever DATABASE_URL says, so that
they never write into a shared database.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest


def run_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "WAVETAG_STORE_DIR"}}
    env["WAVETAG_HOME"] = str(home)
    env["DJANGO_SUPERUSER_PASSWORD"] = "a long demo password"
    return env


def wavetag(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wavetag", *args],
        env=run_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def db_rows(home: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "wavetag.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_big_record(folder: Path, name: str, n_sig: int, fs: int, seconds: int) -> Path:
    """A format-16 record written directly, big enough that its import takes a while."""
    rng = np.random.default_rng(0)
    n = fs * seconds
    data = rng.integers(-2000, 2000, size=(n, n_sig), dtype=np.int16)
    data.tofile(folder / f"{name}.dat")
    sums = [int(data[:, i].astype(np.int64).sum()) % 65536 for i in range(n_sig)]
    sums = [s - 65536 if s > 32767 else s for s in sums]
    lines = [f"{name} {n_sig} {fs} {n}"]
    for i in range(n_sig):
        lines.append(f"{name}.dat 16 200/mV 16 0 {data[0, i]} {sums[i]} 0 ch{i}")
    (folder / f"{name}.hea").write_text("\n".join(lines) + "\n")
    return folder / f"{name}.hea"


class TestImportCommand:
    def test_exit_status_and_one_line_per_record(self, tmp_path: Path, data_dir: Path) -> None:
        ok = wavetag(tmp_path, "import", str(data_dir / "mitdb"), "--dataset", "mit")
        assert ok.returncode == 0, ok.stderr
        lines = [line for line in ok.stdout.splitlines() if line.startswith("ok ")]
        assert len(lines) == 4 and all("mit/" in line for line in lines)
        assert "Traceback" not in ok.stderr

        bad = wavetag(tmp_path, "import", str(data_dir / "broken"), str(data_dir / "ptbxl"))
        assert bad.returncode == 1
        assert "Traceback" not in bad.stderr + bad.stdout
        failed = [line for line in bad.stderr.splitlines() if line.startswith("FAILED")]
        assert len(failed) >= 11
        names = db_rows(tmp_path, "select name from records_record order by name")
        assert names == [("00001_lr",), ("100",), ("105",), ("106",), ("107",)]

    def test_records_file_is_honoured(self, tmp_path: Path, data_dir: Path) -> None:
        folder = tmp_path / "db"
        folder.mkdir()
        for ext in ("hea", "dat", "atr"):
            for rec in ("100", "105"):
                (folder / f"{rec}.{ext}").symlink_to(data_dir / "mitdb" / f"{rec}.{ext}")
        (folder / "RECORDS").write_text("105\n")
        result = wavetag(tmp_path / "home", "import", str(folder))
        assert result.returncode == 0, result.stderr
        assert db_rows(tmp_path / "home", "select name from records_record") == [("105",)]

    def test_killed_import_leaves_nothing_visible(self, tmp_path: Path) -> None:
        folder = tmp_path / "big"
        folder.mkdir()
        write_big_record(folder, "holter", n_sig=12, fs=500, seconds=3600)
        home = tmp_path / "home"
        wavetag(home, "migrate", "-v0")
        proc = subprocess.Popen(
            [sys.executable, "-m", "wavetag", "import", str(folder), "--no-progress"],
            env=run_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        store = home / "store"
        # Kill as soon as samples are being written.
        while time.monotonic() < deadline and proc.poll() is None:
            if any(p.is_file() for p in store.rglob("*")):
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the import finished before it could be interrupted"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert db_rows(home, "select count(*) from records_record") == [(0,)]
        assert db_rows(home, "select count(*) from records_channel") == [(0,)]
        # Nor an empty dataset in the lists: a dataset is made with its first record.
        assert db_rows(home, "select count(*) from records_dataset") == [(0,)]
        # The next import of the same record works and sweeps the leftovers.
        again = wavetag(home, "import", str(folder), "--no-progress", timeout=300)
        assert again.returncode == 0, again.stderr
        assert db_rows(home, "select name from records_record") == [("holter",)]
        gc = wavetag(home, "store-gc")
        assert gc.returncode == 0

    def test_an_import_where_every_record_fails_makes_no_dataset(
        self, tmp_path: Path, data_dir: Path
    ) -> None:
        folder = tmp_path / "bad"
        folder.mkdir()
        for ext in ("hea", "dat"):
            (folder / f"truncated_dat.{ext}").symlink_to(
                data_dir / "broken" / f"truncated_dat.{ext}"
            )
        home = tmp_path / "home"
        result = wavetag(home, "import", str(folder), "--no-progress")
        assert result.returncode == 1
        assert "truncated_dat" in result.stderr
        assert db_rows(home, "select count(*) from records_dataset") == [(0,)]

    def test_unknown_path_is_a_clear_error(self, tmp_path: Path) -> None:
        result = wavetag(tmp_path, "import", str(tmp_path / "missing.hea"))
        assert result.returncode == 1
        assert "missing.hea" in result.stderr and "Traceback" not in result.stderr


class TestServeAndToken:
    def test_served_api_with_token(self, tmp_path: Path, data_dir: Path) -> None:
        assert wavetag(tmp_path, "import", str(data_dir / "ptbxl")).returncode == 0
        created = wavetag(
            tmp_path, "createsuperuser", "--noinput", "--username", "boss", "--email", "b@x.org"
        )
        assert created.returncode == 0, created.stderr
        token = wavetag(tmp_path, "token", "create", "boss").stdout.strip()
        assert token.startswith("wt_")
        assert wavetag(tmp_path, "token", "create", "nobody").returncode != 0
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "wavetag", "serve", "--port", str(port)],
            env=run_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(base + "/healthz")
            request = urllib.request.Request(
                base + "/api/v1/records", headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                body = json.load(response)
            assert body["count"] == 1 and body["items"][0]["name"] == "00001_lr"
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(base + "/api/v1/records", timeout=10)
            assert err.value.code == 401
            # Static files are served by the production server too (no DEBUG).
            with urllib.request.urlopen(base + "/static/web/base.css", timeout=10) as response:
                assert response.status == 200
        finally:
            server.terminate()
            server.wait(timeout=10)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class TestDemo:
    def test_demo_generates_data_and_serves_with_the_printed_login(self, tmp_path: Path) -> None:
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "wavetag", "demo", "--port", str(port)],
            env=run_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            printed = []
            assert server.stdout is not None
            for line in server.stdout:
                printed.append(line)
                if "is serving on" in line:
                    break
            text = "".join(printed)
            password = re.search(r"Password\s+(\S+)", text)
            assert password, text
            assert f"http://127.0.0.1:{port}/" in text
            wait_for(base + "/healthz")
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            page = opener.open(base + "/login/", timeout=10).read().decode()
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert csrf
            form = urllib.parse.urlencode(
                {
                    "username": "demo",
                    "password": password.group(1),
                    "csrfmiddlewaretoken": csrf.group(1),
                }
            ).encode()
            request = urllib.request.Request(base + "/login/", data=form, headers={"Referer": base})
            home = opener.open(request, timeout=10).read().decode()
            assert ">demo<" in home
        finally:
            server.terminate()
            server.wait(timeout=10)
        names = db_rows(tmp_path, "select name from records_record order by name")
        assert len(names) == 10  # six demo records, the tutorial's four
        # A second run reuses the data and only resets the password.
        again = wavetag(tmp_path, "demo", "--no-serve")
        assert again.returncode == 0 and "Generating" not in again.stdout

    def test_demo_projects_and_team(self, tmp_path: Path) -> None:
        first = wavetag(tmp_path, "demo", "--no-serve", "--seed", "3")
        assert first.returncode == 0, first.stderr
        password = re.search(r"Password\s+(\S+)", first.stdout)
        assert password, first.stdout
        for name in ("demo-annotator1", "demo-annotator2", "demo-adjudicator"):
            assert name in first.stdout
        assert "icu-alarm: 2 tasks" in first.stdout
        assert "resting-12lead: 3 tasks" in first.stdout
        assert "wearable-rhythm: 60 tasks" in first.stdout
        assert "beat-correction: 3 tasks" in first.stdout
        datasets = db_rows(
            tmp_path,
            "select d.name, r.name from records_record r join records_dataset d "
            "on d.id = r.dataset_id order by d.name, r.name",
        )
        assert datasets == [
            ("demo-12lead", "ecg12_afib"),
            ("demo-12lead", "ecg12_ectopy"),
            ("demo-12lead", "ecg12_sinus"),
            ("demo-holter", "holter_30min"),
            ("demo-icu-alarms", "icu_vt_false"),
            ("demo-icu-alarms", "icu_vt_true"),
            ("tutorial", "tutorial_12lead"),
            ("tutorial", "tutorial_beats"),
            ("tutorial", "tutorial_holter"),
            ("tutorial", "tutorial_icu"),
        ]
        members_sql = (
            "select p.name, u.username, m.role from projects_membership m "
            "join projects_project p on p.id = m.project_id "
            "join auth_user u on u.id = m.user_id order by p.name, u.username"
        )
        members = db_rows(tmp_path, members_sql)
        for project in ("icu-alarm", "resting-12lead", "wearable-rhythm", "beat-correction"):
            assert [(u, r) for p, u, r in members if p == project] == [
                ("demo", "admin"),
                ("demo-adjudicator", "adjudicator"),
                ("demo-annotator1", "annotator"),
                ("demo-annotator2", "annotator"),
            ]
        alarms = db_rows(
            tmp_path,
            "select t.event_time, t.alarm_type from projects_task t join projects_project p "
            "on p.id = t.project_id where p.name = 'icu-alarm'",
        )
        assert len(alarms) == 2
        assert all(t >= 299 and kind == "Ventricular_Tachycardia" for t, kind in alarms)
        # Every record's automatic analysis is queued once, for the server's worker.
        runs_sql = "select record_id, status from analysis_analysisrun order by record_id"
        runs = db_rows(tmp_path, runs_sql)
        assert len(runs) == 6 and {status for _, status in runs} == {"queued"}
        assert "6 records queued" in first.stdout
        # The printed password logs every demo account in (checked by Django itself).
        script = (
            "from django.contrib.auth import authenticate as a\n"
            "names = ['demo', 'demo-annotator1', 'demo-annotator2', 'demo-adjudicator']\n"
            f"print(all(a(username=n, password={password.group(1)!r}) for n in names))\n"
        )
        checked = wavetag(tmp_path, "shell", "-v", "0", "-c", script)
        assert checked.stdout.strip() == "True", checked.stderr
        # Again: nothing new is made, nothing is doubled, a demoted member is restored.
        db_rows(
            tmp_path,
            "update projects_membership set role = 'annotator' where user_id = "
            "(select id from auth_user where username = 'demo-adjudicator')",
        )
        again = wavetag(tmp_path, "demo", "--no-serve")
        assert again.returncode == 0, again.stderr
        assert "Generating" not in again.stdout and "created" not in again.stdout
        assert db_rows(tmp_path, "select count(*) from projects_project") == [(4,)]
        assert db_rows(tmp_path, "select count(*) from projects_task") == [(68,)]
        assert db_rows(tmp_path, members_sql) == members
        assert db_rows(tmp_path, runs_sql) == runs and "queued" not in again.stdout


@pytest.fixture
def mirror(tmp_path: Path, data_dir: Path):
    """A PhysioNet-like mirror of two MIT-BIH records, served on loopback."""
    import functools
    import http.server
    import threading

    root = tmp_path / "mirror"
    (root / "content/mitdb").mkdir(parents=True)
    (root / "content/mitdb/index.html").write_text("<p>Version: 1.0.0</p>")
    # The version's page names its licence as PhysioNet's pages do.
    (root / "content/mitdb/1.0.0").mkdir()
    (root / "content/mitdb/1.0.0/index.html").write_text(
        '<h5>License (for files):</h5>\n<p><a href="/content/mitdb/view-license/1.0.0/">'
        "Open Data Commons Attribution\n License v1.0</a></p>"
    )
    files = root / "files/mitdb/1.0.0"
    files.mkdir(parents=True)
    (files / "RECORDS").write_text("100\n105\n")
    (files / "ANNOTATORS").write_text("atr\treference beat and rhythm annotations\n")
    for rec in ("100", "105"):
        for ext in ("hea", "dat", "atr"):
            (files / f"{rec}.{ext}").symlink_to(data_dir / "mitdb" / f"{rec}.{ext}")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class TestPhysionetImport:
    def test_database_by_name_from_a_mirror(self, tmp_path: Path, mirror) -> None:
        _, url = mirror
        env = run_env(tmp_path / "home")
        env["WAVETAG_PHYSIONET_URL"] = url
        result = subprocess.run(
            [sys.executable, "-m", "wavetag", "import", "--physionet", "mitdb"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        rows = db_rows(tmp_path / "home", "select name from records_record order by name")
        assert rows == [("100",), ("105",)]
        sets = db_rows(tmp_path / "home", "select name, origin from records_annotationset")
        assert sets == [("atr", "reference"), ("atr", "reference")]
        about = db_rows(tmp_path / "home", "select name, provenance, licence from records_dataset")
        assert about == [
            (
                "mitdb",
                "PhysioNet mitdb 1.0.0, https://physionet.org/content/mitdb/1.0.0/",
                "Open Data Commons Attribution License v1.0",
            )
        ]

    def test_licence_not_found_is_a_warning(self, tmp_path: Path, mirror) -> None:
        root, url = mirror
        (root / "content/mitdb/1.0.0/index.html").unlink()
        env = run_env(tmp_path / "home")
        env["WAVETAG_PHYSIONET_URL"] = url
        result = subprocess.run(
            [sys.executable, "-m", "wavetag", "import", "--physionet", "mitdb", "--records", "100"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "no licence found for mitdb" in result.stderr
        assert db_rows(tmp_path / "home", "select licence from records_dataset") == [("",)]

    def test_unsafe_names_from_the_server_are_refused(self, tmp_path: Path, mirror) -> None:
        root, url = mirror
        (root / "files/mitdb/1.0.0/RECORDS").write_text("../../etc/passwd\n")
        env = run_env(tmp_path / "home")
        env["WAVETAG_PHYSIONET_URL"] = url
        result = subprocess.run(
            [sys.executable, "-m", "wavetag", "import", "--physionet", "mitdb/1.0.0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "unsafe record name" in result.stderr and "Traceback" not in result.stderr

    def test_unreachable_server_is_a_clear_error(self, tmp_path: Path) -> None:
        env = run_env(tmp_path / "home")
        env["WAVETAG_PHYSIONET_URL"] = f"http://127.0.0.1:{free_port()}"
        result = subprocess.run(
            [sys.executable, "-m", "wavetag", "import", "--physionet", "mitdb"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "download failed" in result.stderr and "Traceback" not in result.stderr


class TestStartUp:
    def test_the_web_process_does_not_load_the_filters(self, tmp_path: Path) -> None:
        # scipy.signal takes over a second to import; every command and every server start
        # loads the URLconf (and with it the whole API), which must not pull it in.
        code = (
            "import os, sys, django\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'wavetag.settings')\n"
            "django.setup()\n"
            "import wavetag.urls, wavetag.api\n"
            "print(sorted(m for m in sys.modules if m.startswith('scipy')))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=run_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[]"
