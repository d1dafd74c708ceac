"""A worker killed (SIGKILL) in the middle of an analysis, for real: separate ``wavetag
worker`` processes on MIT-BIH 100, on SQLite and on PostgreSQL (a database made for the
test when DATABASE_URL points at PostgreSQL, as in the suite's PostgreSQL leg).

``WAVETAG_WORKER_DEAD_AFTER`` is shortened to a few seconds so that the tests wait for
the limit itself, not for a minute.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wavetag.processes import stop_process

from .factories import command_env, run_wavetag
from .test_claims_concurrency import Database, imported_site

DEAD_AFTER = 4.0  # seconds, for every process of these tests
RECORD = "mitdb/100"
MITDB_100_BEATS = 2273
RECORDS = "mitdb"  # 100, 105, 106, 107: four 30-min records


@pytest.fixture(scope="module")
def imported_home(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    home = tmp_path_factory.mktemp("recovery") / "home"
    result = run_wavetag(home, "import", str(data_dir / RECORDS), "--dataset", "mitdb")
    assert result.returncode == 0, result.stderr
    return home


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path: Path, data_dir: Path) -> Iterator[Database]:
    yield from imported_site(request, tmp_path, data_dir / RECORDS, "mitdb", "wavetag_recovery")


@pytest.fixture
def workers(site: Database) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            stop_process(proc, timeout=15)


def env(site: Database) -> dict[str, str]:
    return command_env(site.home, site.url, WAVETAG_WORKER_DEAD_AFTER=str(DEAD_AFTER))


def start_worker(site: Database, started: list[subprocess.Popen[bytes]]) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-m", "wavetag", "worker", "--no-migrate", "--interval", "0.1"],
        env=env(site),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started.append(proc)
    return proc.pid


def analyze(site: Database, *names: str) -> Any:
    return run_wavetag(
        site.home,
        "analyze",
        *(names or (RECORD,)),
        database_url=site.url,
        WAVETAG_WORKER_DEAD_AFTER=str(DEAD_AFTER),
    )


def run_row(site: Database, run_id: int) -> dict[str, Any]:
    [row] = site.rows(
        "SELECT status, worker, error, beats, task_id, progress FROM analysis_analysisrun "
        f"WHERE id = {int(run_id)}"
    )
    return dict(
        zip(("status", "worker", "error", "beats", "task_id", "progress"), row, strict=True)
    )


def wait_for(predicate: Any, timeout: float, every: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return None


def queued_run_id(result: Any) -> int:
    assert result.returncode == 0, result.stderr
    # "mitdb/100: queued as run N (wavetag worker runs it)"
    return int(result.stdout.split("queued as run ")[1].split()[0])


def kill_mid_analysis(site: Database, run_id: int) -> tuple[str, float]:
    """SIGKILL the worker as soon as it is running ``run_id``; its name and when."""
    row = wait_for(
        lambda: (r := run_row(site, run_id))["status"] == "running" and r["worker"] and r,
        timeout=60,
    )
    assert row, f"run {run_id} never started: {run_row(site, run_id)}"
    pid = int(row["worker"].rpartition(":")[2])
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    after = run_row(site, run_id)
    if after["status"] != "running":
        pytest.fail(f"the analysis ended before the kill ({after}): it was meant to be killed")
    return row["worker"], killed_at


class TestKilledWorker:
    def test_reanalysis_is_accepted_within_the_limit_and_a_new_worker_completes_it(
        self, site: Database, workers: list[subprocess.Popen[bytes]]
    ) -> None:
        first = queued_run_id(analyze(site))
        start_worker(site, workers)
        dead, killed_at = kill_mid_analysis(site, first)
        workers[0].wait(timeout=10)

        # Ask again and again, as an impatient user would. A request checks somewhere
        # between its start and its answer (its process starts first), so each is timed
        # by both: (asked, answered) in seconds after the kill.
        accepted, refusals = None, []
        while accepted is None and time.monotonic() - killed_at < 3 * DEAD_AFTER:
            asked = time.monotonic() - killed_at
            result = analyze(site)
            answered = time.monotonic() - killed_at
            if result.returncode == 0:
                accepted = result
            else:
                assert f"already being analysed (run {first}, running)" in result.stderr
                refusals.append((asked, answered))
            time.sleep(0.1)
        assert accepted is not None, "re-analysis was never accepted"
        print(
            "re-analysis refused when asked at "
            f"{', '.join(f'{a:.1f}' for a, _ in refusals)} s after the kill, accepted when "
            f"asked at {asked:.1f} s, answered at {answered:.1f} s (limit {DEAD_AFTER} s)"
        )
        # The first request, right after the kill, is refused: the run still looks alive.
        assert refusals and refusals[0][0] < 1.0, refusals
        # Accepted not before the heartbeat is DEAD_AFTER old (it was touched every
        # DEAD_AFTER / 12 s before the kill) ...
        assert answered >= DEAD_AFTER * 11 / 12, answered
        # ... and no request asked after the limit (plus a heartbeat) refused.
        assert all(a <= DEAD_AFTER + 0.5 for a, _ in refusals), refusals
        old = run_row(site, first)
        assert old["status"] == "failed"
        assert old["error"].startswith(f"the worker stopped: {dead} gave no sign of life")
        # The queue's own row too (SQLite keeps a UUID as 32 hex digits).
        task = old["task_id"].replace("-", "") if site.url is None else old["task_id"]
        [(job_status,)] = site.rows(
            f"SELECT status FROM django_tasks_database_dbtaskresult WHERE id = '{task}'"
        )
        assert job_status == "FAILED"

        second = queued_run_id(accepted)
        start_worker(site, workers)
        done = wait_for(lambda: run_row(site, second)["status"] in {"done", "failed"}, 120, 0.2)
        assert done
        new = run_row(site, second)
        assert new["status"] == "done", new["error"]
        assert new["worker"] != dead
        assert abs(new["beats"] - MITDB_100_BEATS) <= 0.01 * MITDB_100_BEATS
        # The dead worker's row stays, growing old (what /metrics shows); the live one's too.
        names = [w for (w,) in site.rows("SELECT id FROM analysis_worker ORDER BY id")]
        assert dead in names and new["worker"] in names

    def test_a_live_worker_fails_the_run_of_a_dead_one_without_being_asked(
        self, site: Database, workers: list[subprocess.Popen[bytes]]
    ) -> None:
        # Two workers on one queue; the one that takes the job is killed.
        start_worker(site, workers)
        start_worker(site, workers)
        wait_for(lambda: site.rows("SELECT count(*) FROM analysis_worker") == [(2,)], 30, 0.1)
        first = queued_run_id(analyze(site))
        dead, killed_at = kill_mid_analysis(site, first)

        failed = wait_for(lambda: run_row(site, first)["status"] == "failed", 3 * DEAD_AFTER)
        waited = time.monotonic() - killed_at
        assert failed, "the dead worker's run was never failed"
        print(f"dead run failed by the survivor {waited:.1f} s after the kill")
        # The survivor looks every DEAD_AFTER / 12 s.
        assert DEAD_AFTER - 0.5 <= waited <= DEAD_AFTER + 2.0, waited
        assert run_row(site, first)["error"].startswith(f"the worker stopped: {dead} ")

        # The survivor runs the next request, exactly once.
        second = queued_run_id(analyze(site))
        assert wait_for(lambda: run_row(site, second)["status"] == "done", 120, 0.2)
        survivor = run_row(site, second)["worker"]
        assert survivor != dead
        assert site.rows("SELECT count(*) FROM records_annotationset WHERE origin = 'automatic'")[
            0
        ] == (1,)


class TestSeveralWorkers:
    def test_each_queued_analysis_runs_exactly_once(
        self, site: Database, workers: list[subprocess.Popen[bytes]]
    ) -> None:
        import json

        start_worker(site, workers)
        start_worker(site, workers)
        assert wait_for(
            lambda: site.rows("SELECT count(*) FROM analysis_worker") == [(2,)], 30, 0.1
        )
        queued = analyze(site, "--dataset", "mitdb")
        assert queued.returncode == 0, queued.stderr
        assert queued.stdout.count("queued as run") == 4

        def finished() -> bool:
            rows = site.rows("SELECT status FROM analysis_analysisrun")
            return all(status in {"done", "failed"} for (status,) in rows)

        assert wait_for(finished, 180, 0.2)
        runs = site.rows("SELECT id, status, worker, task_id, error FROM analysis_analysisrun")
        assert [r[1] for r in runs] == ["done"] * 4, runs
        for _, _, worker, task_id, _ in runs:
            task = task_id.replace("-", "") if site.url is None else task_id
            [(status, ids)] = site.rows(
                "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
                f"WHERE id = '{task}'"
            )
            ids = json.loads(ids) if isinstance(ids, str) else ids
            assert (status, ids) == ("SUCCESSFUL", [worker])  # claimed once, by its runner
        print("runs per worker:", sorted(Counter(r[2] for r in runs).values()))
        assert site.rows(
            "SELECT count(*) FROM records_annotationset WHERE origin = 'automatic'"
        ) == [(4,)]


class TestRestartedWorker:
    @pytest.mark.django_db(transaction=True)
    def test_a_worker_starting_fails_the_runs_held_under_its_name(self, mitdb_100: Any) -> None:
        from django.core.management import call_command
        from django.utils import timezone

        from wavetag.analysis.models import AnalysisRun, RunStatus, Worker
        from wavetag.analysis.workers import worker_id
        from wavetag.records.models import Record

        # A container's worker is often pid 1 on a fixed host name: this process's name
        # stands for the previous life of the worker about to start.
        record = Record.objects.get(name="100")
        now = timezone.now()
        held = AnalysisRun.objects.create(
            record=record, status=RunStatus.RUNNING, worker=worker_id(), heartbeat_at=now
        )
        call_command("worker", "--batch", "--no-migrate", verbosity=0)
        held.refresh_from_db()
        assert held.status == RunStatus.FAILED
        assert held.error == (
            f"the worker stopped: {worker_id()} was restarted during the analysis; "
            "ask for the analysis again"
        )
        # It stopped cleanly: no row left claiming it is alive.
        assert not Worker.objects.filter(id=worker_id()).exists()


class TestStoppedOutright:
    @pytest.mark.django_db
    def test_a_worker_made_to_exit_mid_analysis_fails_its_run_at_once(
        self, mitdb_100: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from wavetag.analysis import jobs
        from wavetag.analysis.models import AnalysisRun, RunStatus
        from wavetag.analysis.services import request_analysis
        from wavetag.records.models import Record

        def exit_now(*args: Any, **kwargs: Any) -> Any:
            raise SystemExit(1)  # what db_worker does on a second SIGTERM

        monkeypatch.setattr(jobs, "analyze", exit_now)
        run = request_analysis(Record.objects.get(name="100"), None)
        with pytest.raises(SystemExit):
            jobs.execute_run(run.pk, worker="ward3:77")
        run = AnalysisRun.objects.get(pk=run.pk)
        assert run.status == RunStatus.FAILED
        assert run.error.startswith("the worker stopped: ward3:77 was stopped during")


class TestSilentAnalysis:
    """An analysis step silent (no progress) for longer than the limit: the heartbeat
    thread keeps its run alive; without it the run is failed and its result dropped."""

    @pytest.fixture
    def slow(self, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
        import numpy as np

        from wavetag.analysis import jobs
        from wavetag.signal import qrs

        settings.WORKER_DEAD_AFTER = 1.0  # a heartbeat every 0.2 s
        real = jobs.analyze

        def silent_then_analyze(*args: Any, **kwargs: Any) -> Any:
            time.sleep(3.0)  # three limits without a word
            return real(*args, **kwargs)

        def fake_detector(read: Any, n: int, fs: float, *a: Any, **k: Any) -> Any:
            return np.arange(int(0.4 * fs), n, int(0.8 * fs), dtype=np.int64)

        monkeypatch.setattr(jobs, "analyze", silent_then_analyze)
        monkeypatch.setattr(qrs, "detect_qrs_chunked", fake_detector)
        return jobs

    def run_while_reaping(self, jobs: Any) -> tuple[Any, int]:
        """Execute a run while another thread fails dead runs every 0.1 s."""
        import threading

        from django.db import connections

        from wavetag.analysis.services import request_analysis
        from wavetag.analysis.workers import fail_dead_runs
        from wavetag.records.models import Record

        run = request_analysis(Record.objects.get(name="100"), None, enqueue=False)
        stop, reaped = threading.Event(), []

        def reap() -> None:
            try:
                while not stop.wait(0.1):
                    reaped.append(fail_dead_runs())
            finally:
                connections.close_all()

        reaper = threading.Thread(target=reap)
        reaper.start()
        try:
            run = jobs.execute_run(run.pk, worker="ward3:42")
        finally:
            stop.set()
            reaper.join()
        return run, sum(reaped)

    @pytest.mark.django_db(transaction=True)
    def test_the_heartbeat_keeps_a_silent_run_alive(self, mitdb_100: Any, slow: Any) -> None:
        run, reaped = self.run_while_reaping(slow)
        assert reaped == 0
        assert run.status == "done", run.error

    @pytest.mark.django_db(transaction=True)
    def test_without_it_the_run_is_failed_and_its_result_dropped(
        self, mitdb_100: Any, slow: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import contextlib

        from wavetag.records.models import AnnotationSet

        monkeypatch.setattr(slow, "Heartbeat", lambda *a: contextlib.nullcontext())
        run, reaped = self.run_while_reaping(slow)
        assert reaped == 1
        assert run.status == "failed" and "ward3:42 gave no sign of life" in run.error
        assert not AnnotationSet.objects.filter(origin="automatic").exists()
