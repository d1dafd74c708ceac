"""The record report (PDF): its content read back with pdftotext, its pages drawn with
pdftoppm, and who may have it (API and ``wavetag report``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from wavetag.analysis.jobs import execute_run
from wavetag.analysis.services import request_analysis
from wavetag.annotations.models import TaskSet
from wavetag.records import sets
from wavetag.records.models import Annotation, AnnotationSet, Record
from wavetag.reports.record import TREND_BINS, Beats, classify, hr_trend, record_report

from .factories import bearer, make_member, make_project, make_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
        reason="poppler-utils (pdftotext, pdftoppm) not installed",
    ),
]


@pytest.fixture
def world(mitdb_106: Any) -> SimpleNamespace:
    project = make_project("rhythm", "mitdb", "wearable-rhythm")  # blind
    w = SimpleNamespace(project=project)
    w.record = Record.objects.get(name="106")
    w.lead = make_member(project, "lead", "admin")
    w.ann = make_member(project, "ann")
    w.stranger = make_user("stranger", password=None)
    w.h = {n: bearer(getattr(w, n)) for n in ("lead", "ann", "stranger")}
    return w


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    )
    return out.stdout


def pages_of(pdf: bytes, tmp_path: Path) -> list[np.ndarray]:
    """Each page as an RGB array (50 dpi), read from pdftoppm's PPM files."""
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    nice = ["nice", "-n", "19"] if shutil.which("nice") else []
    subprocess.run([*nice, "pdftoppm", "-r", "50", str(path), str(tmp_path / "p")], check=True)
    return [_ppm(p) for p in sorted(tmp_path.glob("p-*.ppm"))]


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(info.stdout.split("Pages:")[1].split()[0])


def _ppm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    magic, width, height, top, rest = data.split(maxsplit=4)
    assert magic == b"P6" and top == b"255"
    return np.frombuffer(rest, np.uint8).reshape(int(height), int(width), 3)


def pink(page: np.ndarray) -> int:
    """Pixels of the red/pink grid: red well above green and blue."""
    r, g, b = (page[..., i].astype(int) for i in range(3))
    return int(((r > 180) & (r - g > 30) & (r - b > 30) & (abs(g - b) < 30)).sum())


class TestReport:
    def test_analysed_record(self, world: SimpleNamespace, tmp_path: Path) -> None:
        run = execute_run(request_analysis(world.record, world.lead).pk)
        assert run.status == "done"
        pdf = record_report(world.record, world.lead)
        assert pdf.startswith(b"%PDF-")
        text = text_of(pdf, tmp_path)
        assert "Record report: mitdb / 106" in text
        assert "AUTOMATIC set" in text and "not reviewed by a person" in text
        assert re.search(r"Recording length\s+0:30:0\d", text)
        assert "Analysed time" in text and "readable" in text
        # The beat counts are the run's (its A are the report's S).
        counts = (run.result or {})["counts"]
        for name, number in (("N", counts["N"]), ("V", counts["V"]), ("S", counts["A"])):
            assert re.search(rf"^\s*{name}\s+{number}\s*$", text, re.M), name
        assert re.search(rf"Total\s+{run.beats}\b", text)
        hr = (run.result or {})["hr"]
        assert re.search(rf"Mean\s+{hr['mean_hr']:.0f} bpm", text)
        assert re.search(rf"Minimum\s+{hr['min_hr']:.0f} bpm at \d:\d\d:\d\d", text)
        assert re.search(rf"Maximum\s+{hr['max_hr']:.0f} bpm at \d:\d\d:\d\d", text)
        for heading in ("Heart rate trend", "Rhythm", "Pauses", "Signal quality", "Intervals"):
            assert heading in text
        assert "QTc Bazett / Fridericia" in text
        assert "25 mm/s, 10 mm/mV" in text
        assert "First V beat" in text and "Fastest heart rate" in text
        pages = pages_of(pdf, tmp_path)
        n_pages = int(
            subprocess.run(["pdfinfo", str(tmp_path / "pages.pdf")], capture_output=True, text=True)
            .stdout.split("Pages:")[1]
            .split()[0]
        )
        assert len(pages) == n_pages >= 2
        # Strip pages are landscape and carry the grid; the summary's first page does not.
        strip_pages = [p for p in pages if p.shape[1] > p.shape[0]]
        assert strip_pages and pages[0].shape[0] > pages[0].shape[1]
        assert all(pink(p) > 0.1 * p.shape[0] * p.shape[1] for p in strip_pages)
        assert pink(pages[0]) < 0.01 * pages[0].shape[0] * pages[0].shape[1]

    def test_calibrated_grid(self, world: SimpleNamespace, tmp_path: Path) -> None:
        """At 254 dpi (10 pixels per mm) the 5-mm lines are 50 pixels apart."""
        run = execute_run(request_analysis(world.record, world.lead).pk)
        assert run.status == "done"
        path = tmp_path / "r.pdf"
        path.write_bytes(record_report(world.record, world.lead))
        last = str(page_count(path))
        subprocess.run(
            ["pdftoppm", "-r", "254", "-f", last, "-l", last, str(path), str(tmp_path / "g")],
            check=True,
        )
        page = _ppm(next(tmp_path.glob("g-*.ppm")))
        r, g = page[..., 0].astype(int), page[..., 1].astype(int)
        major = (r > 150) & (r - g > 80)  # the darker 5-mm lines
        # Columns crossed by a vertical line from top to bottom of the strips (the
        # horizontal lines add a few pixels to every column).
        per_column = major.sum(axis=0)
        cols = np.flatnonzero(per_column > 0.5 * per_column.max())
        starts = cols[np.insert(np.diff(cols) > 2, 0, True)]
        gaps = np.diff(starts)
        assert len(gaps) > 20
        assert np.median(gaps) == pytest.approx(50, abs=1)

    def test_no_analysis_says_so(self, world: SimpleNamespace, tmp_path: Path) -> None:
        text = text_of(record_report(world.record, world.lead), tmp_path)
        assert "none finished" in text
        assert "MLII (360 Hz, mV)" in text
        assert re.search(r"Recording length\s+0:30:0\d", text)
        # The reference set's counts, for those who may see it.
        atr = AnnotationSet.objects.get(record=world.record, name="atr")
        c = classify(
            list(Annotation.objects.filter(annotation_set=atr).values_list("symbol", flat=True))
        )
        assert re.search(rf"atr \(reference\)\s+{c['N']}\s+{c['S']}\s+{c['V']}", text)

    def test_blind_annotator_gets_no_reference_labels(
        self, world: SimpleNamespace, tmp_path: Path
    ) -> None:
        execute_run(request_analysis(world.record, world.lead).pk)
        text = text_of(record_report(world.record, world.ann), tmp_path)
        assert not re.search(r"\batr\b", text)
        # The project hides the automatic set too; the report says so, and shows no beats.
        assert "the automatic set is hidden" in text
        assert re.search(r"Annotation sets you may see\s+none", text)
        assert "Beats" not in text

    @pytest.mark.parametrize("analysed", [True, False])
    def test_final_human_set_is_shown(
        self, world: SimpleNamespace, tmp_path: Path, analysed: bool
    ) -> None:
        if analysed:
            execute_run(request_analysis(world.record, world.lead).pk)
        final = sets.create_working_set(
            AnnotationSet.objects.get(record=world.record, name="atr"), world.lead, "final-1"
        )
        TaskSet.objects.create(
            project=world.project, record=world.record, kind="final", annotation_set=final
        )
        text = text_of(record_report(world.record, world.lead), tmp_path)
        assert "final human set “final-1”" in text
        assert "AUTOMATIC set" not in text
        c = classify(
            list(Annotation.objects.filter(annotation_set=final).values_list("symbol", flat=True))
        )
        assert re.search(rf"^\s*V\s+{c['V']}\s*$", text, re.M)
        assert "ventricular bigeminy" in text  # the reference's rhythm episodes
        assert "Heart rate (human)" in text and "First V beat" in text
        assert ("Signal quality" in text) is analysed
        assert ("none finished" in text) is not analysed


class TestOtherRecords:
    @pytest.mark.parametrize(
        ("fixture", "name"), [("ecg_record", "00001_lr"), ("alarm_v102s", "v102s")]
    )
    def test_short_and_multichannel_records(
        self, request: pytest.FixtureRequest, tmp_path: Path, fixture: str, name: str
    ) -> None:
        """A 10-s 12-lead ECG (the strip is the whole record) and a 5-min ICU record
        with pressure and pleth channels beside the ECG."""
        request.getfixturevalue(fixture)
        record = Record.objects.get(name=name)
        run = execute_run(request_analysis(record, None).pk)
        assert run.status == "done", run.error
        pdf = record_report(record, None)
        text = text_of(pdf, tmp_path)
        assert f"/ {name}" in text and "AUTOMATIC set" in text
        assert re.search(rf"Total\s+{run.beats}\b", text)
        pages = pages_of(pdf, tmp_path)
        assert any(p.shape[1] > p.shape[0] and pink(p) > 0 for p in pages)


class TestPieces:
    def test_trend_and_extremes_of_a_day(self) -> None:
        """A 24-h beat train at 60/min with 10 min at 120/min from 5:00:00: about
        TREND_BINS bins, the maximum timed inside the fast stretch."""
        fs = 250.0
        slow = np.arange(0, 5 * 3600, 1.0)
        fast = np.arange(5 * 3600, 5 * 3600 + 600, 0.5)
        rest = np.arange(5 * 3600 + 600, 24 * 3600, 1.0)
        t = np.concatenate([slow, fast, rest])
        beats = Beats((t * fs).astype(np.int64), ["N"] * len(t), fs)
        trend = hr_trend(beats, 24 * 3600.0)
        assert trend is not None
        assert len(trend.times) <= TREND_BINS + 1
        assert np.nanmax(trend.bpm) == pytest.approx(120, abs=1)
        assert trend.high is not None and 5 * 3600 <= trend.high[0] <= 5 * 3600 + 600
        assert trend.high[1] == pytest.approx(120)
        assert trend.low is not None and trend.low[1] == pytest.approx(60)

    def test_classes(self) -> None:
        assert classify(list("NNLRAaVEr/fFQ+x")) == {
            "N": 4, "S": 2, "V": 3, "F": 1, "paced": 2, "other": 1,
        }  # fmt: skip


class TestApi:
    def url(self, world: SimpleNamespace) -> str:
        return f"/api/v1/records/{world.record.pk}/report.pdf"

    def test_pdf(self, client: Client, world: SimpleNamespace) -> None:
        response = client.get(self.url(world), **world.h["lead"])
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="106-report.pdf"'
        assert response.content.startswith(b"%PDF-")

    def test_stranger_gets_404(self, client: Client, world: SimpleNamespace) -> None:
        assert client.get(self.url(world), **world.h["stranger"]).status_code == 404
        assert client.get("/api/v1/records/999999/report.pdf", **world.h["lead"]).status_code == 404

    def test_anonymous_gets_401(self, client: Client, world: SimpleNamespace) -> None:
        assert client.get(self.url(world)).status_code == 401


class TestCommand:
    def test_writes_the_file(self, world: SimpleNamespace, tmp_path: Path) -> None:
        out = tmp_path / "106.pdf"
        call_command("report", "mitdb/106", "--out", str(out))
        assert out.read_bytes().startswith(b"%PDF-")
        assert not list(tmp_path.glob("*.partial"))
        assert "Record report: mitdb / 106" in text_of(out.read_bytes(), tmp_path)

    def test_unknown_record_is_named(self, world: SimpleNamespace, tmp_path: Path) -> None:
        with pytest.raises(CommandError, match="no record 'nope'"):
            call_command("report", "nope", "--out", str(tmp_path / "x.pdf"))
        assert not (tmp_path / "x.pdf").exists()


class TestRecordPage:
    def test_button_downloads_the_report(self, client: Client, world: SimpleNamespace) -> None:
        client.force_login(world.ann)
        page = client.get(f"/records/{world.record.pk}/")
        assert page.status_code == 200
        url = f"/api/v1/records/{world.record.pk}/report.pdf"
        assert f'href="{url}"' in page.content.decode()
        # The page's session is enough: a GET needs no token.
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
