"""12-lead statements in the findings box and the API, and as machine suggestions that a
project may turn on for its diagnosis form.

The record is cinc2021/E07510 (Dx 59118001 RBBB, 426177001 sinus bradycardia; QRS about
150 ms over its twelve leads), in a ``resting-12lead`` project with two annotators.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from wavetag.analysis.findings import findings, page_findings
from wavetag.analysis.jobs import execute_run
from wavetag.analysis.models import RunStatus
from wavetag.analysis.services import request_analysis
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.models import Annotation
from wavetag.annotations.services import save_annotation
from wavetag.annotations.suggestions import machine_suggestion
from wavetag.projects.models import Project
from wavetag.projects.services import update_settings
from wavetag.records.models import Record

from .factories import bearer, call, import_ok, make_member, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(data_dir: Path, settings: Any, tmp_path: Path) -> SimpleNamespace:
    """E07510 analysed; both annotators hold its task; clients and bearer headers."""
    settings.STORE_DIR = tmp_path / "store"
    import_ok(data_dir / "cinc2021" / "E07510", dataset="cinc")
    w = SimpleNamespace()
    w.project = make_project("twelve", "cinc", "resting-12lead")
    w.lead = make_member(w.project, "lead", "admin")
    w.ann1 = make_member(w.project, "ann1")
    w.ann2 = make_member(w.project, "ann2")
    w.record = Record.objects.get(name="E07510")
    w.run = execute_run(request_analysis(w.record, w.lead, enqueue=False).pk)
    assert w.run.status == RunStatus.DONE, w.run.error
    (w.task,) = claim_batch(w.project, w.ann1)
    assert claim_batch(w.project, w.ann2) == [w.task]
    w.client = Client()
    w.client.force_login(w.ann1)
    w.url = f"/tasks/{w.task.pk}/"
    return w


def codes(statements: list[dict[str, Any]]) -> set[str]:
    return {s["code"] for s in statements}


def turn_on(w: SimpleNamespace) -> None:
    w.project = update_settings(w.project, {"machine_suggestions": True})


class TestFindingsBox:
    def test_stored_on_the_run(self, w: SimpleNamespace) -> None:
        stored = w.run.result["statements"]
        rbbb = next(s for s in stored if s["code"] == "rbbb")
        assert rbbb["values"]["qrs_ms"] >= 120 and "V1" in rbbb["evidence"]
        assert w.run.result["intervals"]["qrs_ms"] >= 120
        # Whole record and a window both carry the record's statements, as stored.
        assert findings(w.run)["statements"] == stored
        assert findings(w.run, 2.0, 5.0)["statements"] == stored

    def test_more_than_the_rhythm(self, w: SimpleNamespace) -> None:
        auto = page_findings(w.record, None)
        assert auto is not None
        texts = [text for text, _ in auto["statements"]]
        assert "Right bundle branch block" in texts and "Sinus bradycardia" in texts

    def test_shown_on_the_task_page(self, w: SimpleNamespace) -> None:
        page = w.client.get(w.url).content.decode()
        box = re.search(r'data-testid="finding-statements">(.*?)</dd>', page, re.S)
        assert box is not None
        assert "Right bundle branch block" in box.group(1) and "QRS 1" in box.group(1)

    def test_api_latest_analysis(self, w: SimpleNamespace, client: Client) -> None:
        url = f"/api/v1/records/{w.record.pk}/analysis/latest"
        status, body = call(client, "get", url, bearer(w.ann1))
        assert status == 200
        assert "rbbb" in codes(body["findings"]["statements"])
        assert "rbbb" in codes(body["run"]["result"]["statements"])


class TestMachineSuggestions:
    def test_off_by_default(self, w: SimpleNamespace, client: Client) -> None:
        assert Project.objects.get(pk=w.project.pk).machine_suggestions is False
        assert machine_suggestion(w.task) is None
        page = w.client.get(w.url).content.decode()
        assert 'data-testid="machine-suggestion-box"' not in page
        assert not re.search(r'data-testid="choice-diagnoses-rbbb" checked', page)
        status, body = call(client, "get", f"/api/v1/tasks/{w.task.pk}", bearer(w.ann1))
        assert status == 200 and body["machine_suggestion"] is None

    def test_prefilled_and_marked(self, w: SimpleNamespace) -> None:
        turn_on(w)
        page = w.client.get(w.url).content.decode()
        assert re.search(r'data-testid="machine-suggestion-box" data-prefilled="1"', page)
        assert re.search(r'data-testid="choice-diagnoses-rbbb" checked', page)
        assert re.search(r'data-testid="choice-diagnoses-sinus-bradycardia" checked', page)
        assert re.search(r'data-testid="grade-diagnoses-rbbb-Confirmed" checked', page)
        assert 'data-testid="machine-diagnoses-rbbb"' in page
        # Not suggested: neither ticked nor marked.
        assert not re.search(r'data-testid="choice-diagnoses-lbbb" checked', page)
        assert 'data-testid="machine-diagnoses-lbbb"' not in page
        # A statement the form has no choice for is shown, not filled in.
        assert 'data-testid="suggested-right-axis-deviation"' in page
        # Nothing is saved for the annotator until they save it.
        assert not Annotation.objects.filter(task=w.task).exists()

    def test_the_annotators_own_answer_wins_once_saved(self, w: SimpleNamespace) -> None:
        turn_on(w)
        response = w.client.post(w.url, {"diagnoses": ["pvc"], "status": "later"})
        assert response.status_code == 302
        page = w.client.get(w.url).content.decode()
        assert re.search(r'data-testid="choice-diagnoses-pvc" checked', page)
        assert not re.search(r'data-testid="choice-diagnoses-rbbb" checked', page)
        assert 'data-testid="machine-diagnoses-rbbb"' in page  # still marked as suggested
        assert re.search(r'data-prefilled="0"', page)

    def test_never_another_annotators_answer(self, w: SimpleNamespace) -> None:
        turn_on(w)
        save_annotation(
            w.task,
            w.ann2,
            {"diagnoses": ["lbbb"], "text": "SECRET-ANN2-TEXT", "status": "submitted"},
        )
        suggestion = machine_suggestion(w.task)
        assert suggestion is not None and "lbbb" not in str(suggestion["answer"])
        page = w.client.get(w.url).content.decode()
        assert "SECRET-ANN2-TEXT" not in page
        assert not re.search(r'data-testid="choice-diagnoses-lbbb" checked', page)
        assert re.search(r'data-testid="choice-diagnoses-rbbb" checked', page)

    def test_submitting_the_suggestion_as_it_stands(self, w: SimpleNamespace) -> None:
        turn_on(w)
        suggestion = machine_suggestion(w.task)
        assert suggestion is not None
        answer = save_annotation(w.task, w.ann1, {**suggestion["answer"], "status": "submitted"})
        values = {d["value"]: d["grade"] for d in answer.answer["diagnoses"]}
        assert values["rbbb"] == "Confirmed" and values["sinus-bradycardia"] == "Confirmed"

    def test_api_setting_and_task(self, w: SimpleNamespace, client: Client) -> None:
        url = f"/api/v1/projects/{w.project.pk}"
        status, _ = call(client, "patch", url, bearer(w.ann1), {"machine_suggestions": True})
        assert status in (403, 404)
        status, body = call(client, "patch", url, bearer(w.lead), {"machine_suggestions": True})
        assert status == 200 and body["machine_suggestions"] is True
        status, body = call(client, "get", f"/api/v1/tasks/{w.task.pk}", bearer(w.ann1))
        assert status == 200
        suggestion = body["machine_suggestion"]
        assert suggestion["run"] == w.run.pk
        assert {"value": "rbbb", "grade": "Confirmed"} in suggestion["answer"]["diagnoses"]
        axis = next(s for s in suggestion["statements"] if s["code"] == "right-axis-deviation")
        assert axis["choice"] is None

    def test_cli_setting(self, w: SimpleNamespace, capsys: pytest.CaptureFixture[str]) -> None:
        call_command("project", "settings", "twelve", "--machine-suggestions", "yes")
        assert "machine suggestions on" in capsys.readouterr().out
        assert Project.objects.get(pk=w.project.pk).machine_suggestions is True
        call_command("project", "settings", "twelve", "--machine-suggestions", "no")
        assert Project.objects.get(pk=w.project.pk).machine_suggestions is False

    def test_only_for_whole_record_tasks(self, w: SimpleNamespace) -> None:
        turn_on(w)
        wear = make_project("wear", "cinc", "wearable-rhythm", segment_seconds=10)
        wear = update_settings(wear, {"machine_suggestions": True})
        (task, *_) = claim_batch(wear, make_member(wear, "ann3"))
        assert machine_suggestion(task) is None
        assert machine_suggestion(w.task) is not None

    def test_console_setting(self, w: SimpleNamespace) -> None:
        admin = Client()
        admin.force_login(w.lead)
        console = f"/projects/{w.project.pk}/console/"
        assert 'data-testid="machine-suggestions">' in admin.get(console).content.decode()
        response = admin.post(
            f"{console}settings/", {"conflict_policy": "adjudicate", "machine_suggestions": "1"}
        )
        assert response.status_code == 302
        assert Project.objects.get(pk=w.project.pk).machine_suggestions is True
        assert re.search(r'data-testid="machine-suggestion-box" data-prefilled="1"', self.page(w))
        admin.post(f"{console}settings/", {"conflict_policy": "adjudicate"})
        assert Project.objects.get(pk=w.project.pk).machine_suggestions is False

    def page(self, w: SimpleNamespace) -> str:
        return w.client.get(w.url).content.decode()
