"""Automatic analysis as background jobs: runs, progress, failures, permissions, the worker."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client

from wavetag.analysis import jobs
from wavetag.analysis.jobs import execute_run
from wavetag.analysis.models import AnalysisRun, RunStatus
from wavetag.analysis.services import request_analysis
from wavetag.errors import InvalidInput, StateConflict
from wavetag.records import sets
from wavetag.records.models import Annotation, AnnotationSet, Record
from wavetag.signal import analysis, qrs
from wavetag.signal.analysis import AnalysisConfig

from .factories import bearer, call, make_member, make_project, make_user

pytestmark = pytest.mark.django_db

MITDB_100_BEATS = 2273


def fingerprint(aset: AnnotationSet) -> str:
    """Every row of a set, hashed: equal before and after means untouched."""
    rows = Annotation.objects.filter(annotation_set=aset).order_by("id")
    values = rows.values_list("id", "time", "sample", "symbol", "aux_note", "chan")
    return hashlib.sha256(repr(list(values)).encode()).hexdigest()


def fake_detector(read: Any, n_samples: int, fs: float, *args: Any, **kwargs: Any) -> np.ndarray:
    """A beat every 0.8 s: fast, for tests about the job rather than the detector."""
    read(0, min(n_samples, int(fs)))
    return np.arange(int(0.4 * fs), n_samples, int(0.8 * fs), dtype=np.int64)


@pytest.fixture
def world(mitdb_100: Any, ecg_record: Any) -> SimpleNamespace:
    project = make_project("rhythm", "mitdb", "wearable-rhythm")
    other = make_project("ecg12", "ecg", "resting-12lead")
    w = SimpleNamespace(project=project)
    w.record = Record.objects.get(name="100")
    w.lead = make_member(project, "lead", "admin")
    w.judge = make_member(project, "judge", "adjudicator")
    w.ann = make_member(project, "ann")
    w.outsider = make_member(other, "outsider", "admin")
    w.root = make_user("root", staff=True, password=None)
    w.h = {n: bearer(getattr(w, n)) for n in ("lead", "judge", "ann", "outsider", "root")}
    w.h["anonymous"] = {}
    w.atr = AnnotationSet.objects.get(record=w.record, name="atr")
    return w


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qrs, "detect_qrs_chunked", fake_detector)


class TestRun:
    def test_mitdb_100_gets_an_automatic_set_within_1_percent_of_the_reference(
        self, world: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        working = sets.create_working_set(world.atr, world.lead)
        before = {s.pk: fingerprint(s) for s in (world.atr, working)}
        monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0.0)
        seen: list[float] = []
        original = jobs._Progress.__call__

        def spy(self: Any, fraction: float, message: str, *, force: bool = False) -> None:
            seen.append(fraction)
            original(self, fraction, message, force=force)

        monkeypatch.setattr(jobs._Progress, "__call__", spy)

        run = request_analysis(world.record, world.lead)
        assert run.status == RunStatus.QUEUED and run.task_id
        # Small chunks: many borders, and a progress report after each.
        run = execute_run(run.pk, AnalysisConfig(chunk_s=120.0, qrs_chunk_s=120.0))

        assert run.status == RunStatus.DONE, run.error
        assert run.progress == 1.0 and run.error == ""
        assert len(seen) > 10 and seen == sorted(seen) and 0 < seen[0] < 0.2
        aset = run.annotation_set
        assert aset is not None and aset.origin == AnnotationSet.Origin.AUTOMATIC
        assert aset.name == run.set_name == "auto"
        assert run.beats is not None
        assert abs(run.beats - MITDB_100_BEATS) <= 0.01 * MITDB_100_BEATS
        rows = Annotation.objects.filter(annotation_set=aset)
        samples = np.array(rows.exclude(symbol="+").values_list("sample", flat=True))
        assert len(samples) == run.beats
        # One rhythm-change row per episode besides the beats: (N throughout.
        assert list(rows.filter(symbol="+").values_list("aux_note", flat=True)) == ["(N"]
        assert aset.count == run.beats + 1
        # Neither doubled nor reordered at chunk borders.
        assert np.all(np.diff(samples) > 0.12 * 360)
        assert {s.pk: fingerprint(s) for s in (world.atr, working)} == before
        assert run.started_at is not None and run.finished_at is not None
        assert run.channel == 0  # MLII

    def test_a_new_run_replaces_only_the_previous_automatic_set(
        self, world: SimpleNamespace, fast: None
    ) -> None:
        first = execute_run(request_analysis(world.record, world.lead).pk)
        assert first.status == RunStatus.DONE
        human = AnnotationSet.objects.create(
            record=world.record, name="auto-notes", origin=AnnotationSet.Origin.HUMAN
        )
        atr = fingerprint(world.atr)
        second = execute_run(request_analysis(world.record, world.root).pk)
        assert second.status == RunStatus.DONE
        automatic = AnnotationSet.objects.filter(
            record=world.record, origin=AnnotationSet.Origin.AUTOMATIC
        )
        assert [s.pk for s in automatic] == [second.annotation_set_id]
        assert not AnnotationSet.objects.filter(pk=first.annotation_set_id).exists()
        first.refresh_from_db()
        assert first.annotation_set is None and first.set_name == "auto"
        assert AnnotationSet.objects.filter(pk=human.pk).exists()
        assert fingerprint(world.atr) == atr

    def test_a_human_set_holding_the_name_keeps_it(
        self, world: SimpleNamespace, fast: None
    ) -> None:
        AnnotationSet.objects.create(
            record=world.record, name="auto", origin=AnnotationSet.Origin.HUMAN
        )
        run = execute_run(request_analysis(world.record, world.lead).pk)
        assert run.status == RunStatus.DONE and run.set_name == "auto-2"
        assert AnnotationSet.objects.get(record=world.record, name="auto").origin == "human"

    def test_second_request_while_queued_or_running_is_refused(
        self, world: SimpleNamespace
    ) -> None:
        run = request_analysis(world.record, world.lead)
        with pytest.raises(StateConflict, match="already being analysed.*queued"):
            request_analysis(world.record, world.root)
        AnalysisRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
        with pytest.raises(StateConflict, match="running"):
            request_analysis(world.record, world.root)
        assert AnalysisRun.objects.filter(record=world.record).count() == 1

    def test_the_database_refuses_a_second_active_run_too(self, world: SimpleNamespace) -> None:
        from django.db import IntegrityError, transaction

        request_analysis(world.record, world.lead)
        with pytest.raises(IntegrityError), transaction.atomic():
            AnalysisRun.objects.create(record=world.record, status=RunStatus.RUNNING)
        AnalysisRun.objects.create(record=world.record, status=RunStatus.FAILED)

    def test_a_run_whose_worker_died_is_failed_and_no_longer_blocks(
        self, world: SimpleNamespace
    ) -> None:
        from datetime import timedelta

        from django.utils import timezone

        run = request_analysis(world.record, world.lead)
        long_ago = timezone.now() - timedelta(hours=1)
        AnalysisRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, heartbeat_at=long_ago
        )
        again = request_analysis(world.record, world.lead)
        run.refresh_from_db()
        assert run.status == RunStatus.FAILED and "worker stopped" in run.error
        assert again.status == RunStatus.QUEUED

    def test_a_run_already_taken_is_not_run_twice(self, world: SimpleNamespace, fast: None) -> None:
        run = execute_run(request_analysis(world.record, world.lead).pk)
        finished = run.finished_at
        assert execute_run(run.pk).finished_at == finished
        assert AnnotationSet.objects.filter(record=world.record, origin="automatic").count() == 1


class TestFailure:
    def assert_failed_without_set(self, run: AnalysisRun, world: SimpleNamespace) -> None:
        assert run.status == RunStatus.FAILED
        assert "Traceback" not in run.error and 'File "' not in run.error
        assert run.annotation_set is None and run.finished_at is not None
        assert not AnnotationSet.objects.filter(
            record=world.record, origin=AnnotationSet.Origin.AUTOMATIC
        ).exists()
        assert Annotation.objects.filter(annotation_set__record=world.record).count() == (
            world.atr.count
        )

    def test_a_detector_raising_fails_the_run_with_a_clear_error(
        self,
        world: SimpleNamespace,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        def broken(*args: Any, **kwargs: Any) -> np.ndarray:
            raise RuntimeError("internal detector state exploded")

        monkeypatch.setattr(qrs, "detect_qrs_chunked", broken)
        run = execute_run(request_analysis(world.record, world.lead).pk)
        self.assert_failed_without_set(run, world)
        assert run.error == (
            "the qrs step failed unexpectedly (RuntimeError); the details are in the server log"
        )
        # The traceback is in the log, for whoever runs the server.
        assert any(r.exc_info and "exploded" in str(r.exc_info[1]) for r in caplog.records)
        # A failed run no longer blocks the next one.
        assert request_analysis(world.record, world.lead).status == RunStatus.QUEUED

    @pytest.mark.parametrize(
        ("name", "target"),
        [("beats", "label_windows"), ("rhythm", "rhythm_episodes"), ("intervals", "delineate")],
    )
    def test_a_later_stage_raising_leaves_no_partial_set(
        self,
        world: SimpleNamespace,
        fast: None,
        monkeypatch: pytest.MonkeyPatch,
        name: str,
        target: str,
    ) -> None:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise ValueError("no good")

        monkeypatch.setattr(analysis, target, broken)
        run = execute_run(request_analysis(world.record, world.lead).pk)
        self.assert_failed_without_set(run, world)
        assert run.message == f"failed in the {name} step" and run.result is None
        assert f"the {name} step failed unexpectedly (ValueError)" in run.error

    def test_missing_store_files_fail_the_run(
        self, world: SimpleNamespace, settings: Any, tmp_path: Path
    ) -> None:
        from wavetag.signal.store import RecordStore

        RecordStore.forget(world.record.store_key)
        settings.STORE_DIR = tmp_path / "moved"
        run = execute_run(request_analysis(world.record, world.lead).pk)
        self.assert_failed_without_set(run, world)
        assert "missing from the waveform store" in run.error

    def test_a_failure_while_saving_leaves_no_partial_set(
        self, world: SimpleNamespace, fast: None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        previous = execute_run(request_analysis(world.record, world.lead).pk)
        kept = fingerprint(previous.annotation_set)
        real_insert = sets.insert_annotations

        def insert_then_fail(set_id: int, data: Any, clusters: Any = None) -> None:
            real_insert(set_id, data, clusters)  # every row is written...
            raise OSError(28, "No space left on device")  # ...then the commit cannot happen

        monkeypatch.setattr(sets, "insert_annotations", insert_then_fail)
        run = execute_run(request_analysis(world.record, world.lead).pk)
        assert run.status == RunStatus.FAILED
        assert run.error == (
            "the annotation set could not be saved (No space left on device); "
            "nothing of it was kept"
        )
        assert run.message == "failed in the saving step"
        # The previous automatic set is still there, whole; nothing of the new one.
        automatic = AnnotationSet.objects.get(record=world.record, origin="automatic")
        assert automatic.pk == previous.annotation_set_id
        assert fingerprint(automatic) == kept
        assert Annotation.objects.filter(annotation_set__record=world.record).count() == (
            world.atr.count + automatic.count
        )


class TestWorker:
    @pytest.mark.django_db(transaction=True)
    def test_worker_command_runs_the_queued_run(self, world: SimpleNamespace, fast: None) -> None:
        run = request_analysis(world.record, world.lead)
        call_command("worker", "--batch", "--no-migrate", verbosity=0)
        run.refresh_from_db()
        assert run.status == RunStatus.DONE and run.progress == 1.0
        assert run.annotation_set is not None
        beats = Annotation.objects.filter(annotation_set=run.annotation_set).exclude(symbol="+")
        assert beats.count() == run.beats
        from django_tasks_db.models import DBTaskResult

        assert DBTaskResult.objects.get(id=run.task_id).status == "SUCCESSFUL"


class TestApi:
    def test_who_may_start_an_analysis(
        self, client: Client, world: SimpleNamespace, fast: None
    ) -> None:
        url = f"/api/v1/records/{world.record.pk}/analysis"
        assert call(client, "POST", url, world.h["anonymous"])[0] == 401
        assert call(client, "POST", url, world.h["outsider"])[0] == 404
        status, body = call(client, "POST", url, world.h["ann"])
        assert status == 403 and "admin role" in body["detail"]
        assert call(client, "POST", url, world.h["judge"])[0] == 403
        status, body = call(client, "POST", url, world.h["lead"])
        assert status == 202 and body["status"] == "queued" and body["progress"] == 0
        status, body = call(client, "POST", url, world.h["root"])
        assert status == 409 and "already being analysed" in body["detail"]
        assert AnalysisRun.objects.count() == 1

    def test_run_status_and_progress(
        self, client: Client, world: SimpleNamespace, fast: None
    ) -> None:
        run = request_analysis(world.record, world.lead)
        url = f"/api/v1/analysis/{run.pk}"
        status, body = call(client, "GET", url, world.h["lead"])
        assert status == 200 and body["status"] == "queued" and body["annotation_set"] is None
        execute_run(run.pk)
        status, body = call(client, "GET", url, world.h["root"])
        assert status == 200
        assert body["status"] == "done" and body["progress"] == 1.0
        assert body["annotation_set"] == "auto" and body["beats"] > 2000 and body["error"] == ""
        assert call(client, "GET", url, world.h["anonymous"])[0] == 401
        assert call(client, "GET", url, world.h["outsider"])[0] == 404
        assert call(client, "GET", url, world.h["ann"])[0] == 403

    def test_runs_of_a_record_latest_first(
        self, client: Client, world: SimpleNamespace, fast: None
    ) -> None:
        first = execute_run(request_analysis(world.record, world.lead).pk)
        second = request_analysis(world.record, world.lead)
        url = f"/api/v1/records/{world.record.pk}/analysis"
        status, body = call(client, "GET", url, world.h["lead"])
        assert status == 200 and body["count"] == 2
        assert [(r["id"], r["status"]) for r in body["items"]] == [
            (second.pk, "queued"),
            (first.pk, "done"),
        ]
        assert call(client, "GET", url, world.h["ann"])[0] == 403
        assert call(client, "GET", url, world.h["outsider"])[0] == 404

    def test_failed_run_shows_the_error(
        self, client: Client, world: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*args: Any, **kwargs: Any) -> np.ndarray:
            raise ValueError("bad")

        monkeypatch.setattr(qrs, "detect_qrs_chunked", broken)
        run = execute_run(request_analysis(world.record, world.lead).pk)
        status, body = call(client, "GET", f"/api/v1/analysis/{run.pk}", world.h["lead"])
        assert status == 200 and body["status"] == "failed"
        assert "qrs step failed" in body["error"] and body["annotation_set"] is None

    @pytest.mark.parametrize(
        "url,expected",
        [
            ("/api/v1/analysis/0", 404),
            ("/api/v1/analysis/99999999999999999999999", 404),
            ("/api/v1/analysis/9223372036854775807", 404),
            ("/api/v1/analysis/abc", 404),
        ],
    )
    def test_bad_run_ids_are_not_found(
        self, client: Client, world: SimpleNamespace, url: str, expected: int
    ) -> None:
        status, body = call(client, "GET", url, world.h["root"])
        assert status in (expected, 422), (status, body)

    @pytest.mark.parametrize("record_id", ["0", "9223372036854775808", "x"])
    def test_bad_record_ids_are_refused(
        self, client: Client, world: SimpleNamespace, record_id: str
    ) -> None:
        status, _ = call(client, "POST", f"/api/v1/records/{record_id}/analysis", world.h["root"])
        assert status in (404, 422)

    def test_session_post_needs_csrf(self, world: SimpleNamespace) -> None:
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(world.lead)
        response = browser.post(f"/api/v1/records/{world.record.pk}/analysis")
        assert response.status_code == 403
        assert not AnalysisRun.objects.exists()


class TestLatestFindingsApi:
    def test_latest_run_and_window_findings(
        self, client: Client, world: SimpleNamespace, fast: None
    ) -> None:
        url = f"/api/v1/records/{world.record.pk}/analysis/latest"
        status, body = call(client, "GET", url, world.h["ann"])
        assert status == 404 and "no finished automatic analysis" in body["detail"]
        run = execute_run(request_analysis(world.record, world.lead).pk)
        assert call(client, "GET", url, world.h["anonymous"])[0] == 401
        assert call(client, "GET", url, world.h["outsider"])[0] == 404
        for who in ("ann", "judge", "lead", "root"):
            status, body = call(client, "GET", url, world.h[who])
            assert status == 200, (who, body)
        assert body["run"]["id"] == run.pk and body["run"]["result"]["beats"] == run.beats
        assert body["findings"]["beats"] == run.beats
        status, body = call(client, "GET", f"{url}?start=10&end=20", world.h["ann"])
        assert status == 200 and body["findings"]["start"] == 10.0
        # A beat every 0.8 s.
        assert 11 <= body["findings"]["beats"] <= 13
        assert len(body["findings"]["quality"]["grades"]) == 1
        status, body = call(client, "GET", f"{url}?start=20&end=10", world.h["ann"])
        assert status == 400 and body["detail"].startswith("end:")
        status, body = call(client, "GET", f"{url}?start=abc", world.h["ann"])
        assert status in (400, 422) and "start" in str(body)
        status, body = call(client, "GET", f"/api/v1/analysis/{run.pk}", world.h["lead"])
        assert status == 200 and body["result"]["counts"]["N"] >= 0


class TestChannelChoice:
    def test_a_run_analyses_the_channel_asked_for(self, world: SimpleNamespace, fast: None) -> None:
        run = execute_run(request_analysis(world.record, world.lead, enqueue=False, channel=1).pk)
        assert run.status == RunStatus.DONE and run.channel == 1
        assert run.result["channel"] == "V5" and run.result["channel_index"] == 1
        assert set(run.result["quality"]["by_channel"]) == {"0", "1"}
        chans = Annotation.objects.filter(annotation_set=run.annotation_set, symbol="N")
        assert set(chans.values_list("chan", flat=True)) == {1}

    def test_by_default_the_first_ecg_lead(self, world: SimpleNamespace, fast: None) -> None:
        run = execute_run(request_analysis(world.record, world.lead, enqueue=False).pk)
        assert run.status == RunStatus.DONE and run.channel == 0
        assert run.result["channel"] == "MLII"

    def test_a_run_analyses_the_channel_named(self, world: SimpleNamespace, fast: None) -> None:
        run = request_analysis(world.record, world.lead, enqueue=False, channel="v5")
        assert run.channel == 1
        run = execute_run(run.pk)
        assert run.status == RunStatus.DONE and run.result["channel"] == "V5"

    @pytest.mark.parametrize("channel", ["Direct_1", "-1"])
    def test_an_unknown_name_is_refused_naming_the_field(
        self, world: SimpleNamespace, channel: str
    ) -> None:
        with pytest.raises(InvalidInput, match=r"^channel: ") as caught:
            request_analysis(world.record, world.lead, enqueue=False, channel=channel)
        if channel == "Direct_1":
            assert "no channel named 'Direct_1' (channels: 0 MLII, 1 V5)" in str(caught.value)
        assert not AnalysisRun.objects.filter(record=world.record).exists()

    def test_the_api_takes_a_name(self, client: Client, world: SimpleNamespace, fast: None) -> None:
        url = f"/api/v1/records/{world.record.pk}/analysis"
        status, body = call(client, "POST", f"{url}?channel=Nope", world.h["lead"])
        assert status == 400 and body["detail"].startswith("channel: ")
        status, body = call(client, "POST", f"{url}?channel=V5", world.h["lead"])
        assert status == 202 and body["channel"] == 1

    def test_a_channel_the_record_lacks_fails_the_run(
        self, world: SimpleNamespace, fast: None
    ) -> None:
        run = execute_run(request_analysis(world.record, world.lead, enqueue=False, channel=7).pk)
        assert run.status == RunStatus.FAILED
        assert "no channel 7" in run.error and "1 V5" in run.error
