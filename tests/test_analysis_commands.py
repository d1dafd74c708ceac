"""``wavetag analyze``, ``wavetag worker`` and the worker of ``wavetag serve``, as a user runs
them: separate processes, on their own SQLite database, or on a PostgreSQL database made
for the test when DATABASE_URL points at PostgreSQL (the suite's PostgreSQL leg)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .factories import command_env, run_wavetag
from .test_claims_concurrency import Database, free_port, imported_site

RECORD = "challenge2015/v102s"  # 5 minutes of ECG: a quick run


@pytest.fixture(scope="module")
def imported_home(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A WAVETAG_HOME on SQLite with the record imported as dataset icu, copied per test."""
    home = tmp_path_factory.mktemp("imported") / "home"
    result = run_wavetag(home, "import", str(data_dir / RECORD), "--dataset", "icu")
    assert result.returncode == 0, result.stderr
    return home


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path: Path, data_dir: Path) -> Iterator[Database]:
    yield from imported_site(request, tmp_path, data_dir / RECORD, "icu", "wavetag_analysis")


def runs(site: Database) -> list[tuple[int, str, int | None, str]]:
    return [
        (int(i), str(status), beats, str(error))
        for i, status, beats, error in site.rows(
            "SELECT id, status, beats, error FROM analysis_analysisrun ORDER BY id"
        )
    ]


def worker_pids(parent: int) -> list[int]:
    """Processes started as ``wavetag worker ... --parent-pid PARENT``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in args and b"--parent-pid" in args and str(parent).encode() in args:
            found.append(int(proc.name))
    return found


class TestAnalyzeAndWorker:
    def test_analyze_queues_the_worker_runs_and_wait_runs_here(self, site: Database) -> None:
        queued = site.run("analyze", "--dataset", "icu")
        assert queued.returncode == 0, queued.stderr
        [(run_id, status, _, _)] = runs(site)
        assert status == "queued"
        assert (
            queued.stdout.strip() == f"icu/v102s: queued as run {run_id} (wavetag worker runs it)"
        )
        again = site.run("analyze", "icu/v102s")
        assert again.returncode == 1
        assert f"record v102s is already being analysed (run {run_id}, queued)" in again.stderr
        assert "Traceback" not in again.stderr

        worker = site.run("worker", "--batch")
        assert worker.returncode == 0, worker.stderr
        [(_, status, beats, error)] = runs(site)
        assert status == "done" and error == ""
        assert beats is not None and 250 < beats < 600

        waited = site.run("analyze", "v102s", "--wait")
        assert waited.returncode == 0, waited.stderr
        line, counts, rhythm = waited.stdout.strip().splitlines()
        assert line.startswith(f"icu/v102s: {beats} beats in ") and "(set auto, channel 0)" in line
        assert counts.startswith("  beats: N ") and ", V " in counts and "clusters" in counts
        assert rhythm.startswith("  rhythm: (") and "quality of 10-s segments: " in rhythm
        assert [r[1] for r in runs(site)] == ["done", "done"]
        # The second run replaced the first one's set: one automatic set.
        assert site.rows(
            "SELECT count(*) FROM records_annotationset WHERE origin = 'automatic'"
        ) == [(1,)]

        second = site.run("analyze", "v102s", "--wait", "--channel", "1")
        assert second.returncode == 0, second.stderr
        assert "(set auto, channel 1)" in second.stdout.splitlines()[0]

        missing = site.run("analyze", "nope")
        assert missing.returncode == 1 and "no record 'nope'" in missing.stderr


class TestServeWorker:
    def test_serve_starts_a_worker_restarts_it_and_it_ends_with_the_server(
        self, site: Database
    ) -> None:
        assert site.run("analyze", "v102s").returncode == 0
        server = subprocess.Popen(
            [sys.executable, "-m", "wavetag", "serve", "--port", str(free_port())],
            env=command_env(site.home, site.url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 90
            while runs(site)[0][1] != "done" and time.monotonic() < deadline:
                time.sleep(0.5)
            assert runs(site)[0][1] == "done"
            workers = worker_pids(server.pid)
            assert len(workers) == 1
            # A worker that dies is started again.
            os.kill(workers[0], signal.SIGKILL)
            deadline = time.monotonic() + 30
            while worker_pids(server.pid) in ([], workers) and time.monotonic() < deadline:
                time.sleep(0.2)
            restarted = worker_pids(server.pid)
            assert len(restarted) == 1 and restarted != workers
        finally:
            server.terminate()  # SIGTERM: the server ends without cleaning up...
            server.wait(timeout=10)
        deadline = time.monotonic() + 15
        while worker_pids(server.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not worker_pids(server.pid)  # ...and its worker notices and ends too

    def test_no_worker_leaves_the_queue_alone(self, site: Database) -> None:
        assert site.run("analyze", "v102s").returncode == 0
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "wavetag", "serve", "--port", str(port), "--no-worker"],
            env=command_env(site.home, site.url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            from .test_cli import wait_for

            wait_for(f"http://127.0.0.1:{port}/healthz")
            time.sleep(2)
            assert not worker_pids(server.pid)
            assert runs(site)[0][1] == "queued"
        finally:
            server.terminate()
            server.wait(timeout=10)
