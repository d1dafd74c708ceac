"""The analysis job's findings: beat classes and clusters, rhythm rows, quality, intervals,
piecewise reading, and the findings of a window of the record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wfdb

from wavetag.analysis.findings import FindingsError, counts, findings, rhythm_summary
from wavetag.analysis.jobs import execute_run, store_source
from wavetag.analysis.models import AnalysisRun, RunStatus
from wavetag.analysis.services import request_analysis
from wavetag.records.models import Annotation, AnnotationSet, Record
from wavetag.signal.agreement import match_beats
from wavetag.signal.analysis import AnalysisConfig, analyze

from .factories import import_ok, make_member, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(settings: Any, tmp_path: Path) -> None:
    settings.STORE_DIR = tmp_path / "store"


def analysed(data_dir: Path, path: str, dataset: str) -> AnalysisRun:
    import_ok(data_dir / path, dataset=dataset)
    make_project(f"p-{dataset}", dataset, "wearable-rhythm")
    admin = make_member(project_of(dataset), f"lead-{dataset}", "admin")
    record = Record.objects.get(name=Path(path).name)
    run = execute_run(request_analysis(record, admin, enqueue=False).pk)
    assert run.status == RunStatus.DONE, run.error
    return run


def project_of(dataset: str) -> Any:
    from wavetag.projects.models import Project

    return Project.objects.get(dataset__name=dataset)


class TestMitdb106:
    @pytest.fixture
    def run(self, data_dir: Path, mitdb_106: Any) -> AnalysisRun:
        return analysed(data_dir, "mitdb/106", "mitdb")  # found imported: not imported again

    def test_pvcs_are_labelled_v_and_bigeminy_is_a_rhythm_row(
        self, run: AnalysisRun, data_dir: Path
    ) -> None:
        rows = Annotation.objects.filter(annotation_set=run.annotation_set).order_by("sample")
        beats = rows.exclude(symbol="+")
        ours = list(beats.values_list("sample", "symbol", "cluster"))
        ref = wfdb.rdann(str(data_dir / "mitdb/106"), "atr")
        keep = np.isin(ref.symbol, ["N", "V", "A", "/", "L", "R", "F", "Q"])
        ref_samples = ref.sample[keep]
        ref_symbols = [s for s, k in zip(ref.symbol, keep, strict=True) if k]
        assert ref_symbols.count("V") == 520
        m = match_beats(
            ref_samples,
            [s for s, _, _ in ours],
            360.0,
            ref_labels=ref_symbols,
            test_labels=[c for _, c, _ in ours],
        )
        se, pp = m.class_stats("V")
        assert se is not None and se >= 0.95, se
        assert pp is not None and pp >= 0.90, pp
        # Every beat carries its morphology cluster; rhythm rows carry none.
        assert all(c is not None for _, _, c in ours)
        assert len({c for _, _, c in ours}) == run.result["clusters"] >= 2
        assert set(rows.filter(symbol="+").values_list("cluster", flat=True)) == {None}
        aux = list(rows.filter(symbol="+").values_list("aux_note", flat=True))
        assert "(B" in aux
        counts = run.result["counts"]
        assert counts["V"] == sum(1 for _, c, _ in ours if c == "V")
        assert sum(counts.values()) == run.beats == len(ours)
        assert any(r["label"] == "(B" for r in run.result["rhythm_summary"])

    def test_quality_hr_and_intervals_are_stored(self, run: AnalysisRun) -> None:
        r = run.result
        grades = r["quality"]["grades"]
        assert len(grades) == 181  # 30:06 in 10-s segments
        assert set(grades) <= {"A", "B", "C"} and grades.count("A") > 90
        assert 60 < r["hr"]["mean_hr"] < 90
        assert r["hr"]["sdnn_ms"] > 0
        iv = r["intervals"]
        assert 60 <= iv["qrs_ms"] <= 140 and 300 <= iv["qt_ms"] <= 500
        assert iv["qtc_bazett_ms"] is not None and iv["qtc_fridericia_ms"] is not None

    def test_findings_of_the_record_and_of_a_window(self, run: AnalysisRun) -> None:
        whole = findings(run)
        assert whole["beats"] == run.beats and whole["counts"] == run.result["counts"]
        # The stored summary of the record is what its rows give.
        from_rows = findings(run, 0.0, run.result["n_samples"] / 360.0)
        for key in ("beats", "counts", "hr", "rhythm", "rhythm_summary", "quality"):
            assert from_rows[key] == whole[key], key
        assert whole["quality"]["grades"] == run.result["quality"]["grades"]
        part = findings(run, 60.0, 120.0)
        assert part["start"] == 60.0 and part["end"] == 120.0
        assert 50 < part["beats"] < 150 and len(part["quality"]["grades"]) == 6
        assert all(e["start"] >= 60 * 360 and e["end"] <= 120 * 360 for e in part["rhythm"])
        with pytest.raises(FindingsError, match="end: must be after start"):
            findings(run, 120.0, 60.0)
        with pytest.raises(FindingsError, match="start: must be"):
            findings(run, -1.0, 60.0)


class TestPiecewise:
    def test_small_chunks_give_the_labels_of_one_chunk(self, data_dir: Path, store: None) -> None:
        from django.conf import settings

        from wavetag.signal.store import RecordStore

        import_ok(data_dir / "mitdb/106", dataset="mitdb")
        record = Record.objects.get(name="106")
        st = RecordStore.open(Path(settings.STORE_DIR), record.store_key)

        def labelled(chunk_s: float) -> tuple[list[str], list[int], str]:
            conf = AnalysisConfig(chunk_s=chunk_s, qrs_chunk_s=chunk_s)
            r = analyze(store_source(st), conf=conf)
            grades = "".join(q.grade for q in r.quality[r.channel.index])
            return r.beats.symbols, r.beats.clusters.tolist(), grades

        whole = labelled(4000.0)
        pieces = labelled(45.0)
        assert pieces[0] == whole[0]
        assert pieces[1] == whole[1]
        assert pieces[2] == whole[2]


class TestV102s:
    def test_quality_and_findings_of_an_icu_record(self, data_dir: Path, store: None) -> None:
        run = analysed(data_dir, "challenge2015/v102s", "icu")
        r = run.result
        assert r["beats"] > 100 and len(r["quality"]["grades"]) == 30
        f = findings(run, 0.0, 60.0)
        assert f["hr"] is not None and 30 < f["hr"]["mean_hr"] < 200
        assert len(f["quality"]["grades"]) == 6 and f["quality"]["worst"] in "ABC"
        assert f["rhythm_summary"]


class TestWindowFindings:
    """Findings from hand-made rows: what the service counts, not what the detector found."""

    @pytest.fixture
    def run(self, mitdb_100: Any) -> AnalysisRun:
        record = Record.objects.get(name="100")
        aset = AnnotationSet.objects.create(
            record=record, name="auto", origin=AnnotationSet.Origin.AUTOMATIC, fs=100.0
        )
        # 100 Hz: a beat a second for 60 s; 20-40 s bigeminy (every other beat V).
        rows = [
            (s, "V" if 20 <= s // 100 < 40 and (s // 100) % 2 else "N")
            for s in range(50, 6000, 100)
        ]
        rows += [(0, "+", "(N"), (2000, "+", "(B"), (4000, "+", "(N")]  # type: ignore[list-item]
        for row in rows:
            Annotation.objects.create(
                annotation_set=aset,
                sample=row[0],
                time=row[0] / 100,
                symbol=row[1],
                aux_note=row[2] if len(row) > 2 else "",  # type: ignore[misc]
            )
        result = {
            "fs": 100.0,
            "n_samples": 6000,
            "channel": "MLII",
            "intervals": {"qrs_ms": 90.0},
            "rhythm": [],
            "quality": {"segment_samples": 1000, "grades": "AABCAA"},
        }
        return AnalysisRun.objects.create(
            record=record, status=RunStatus.DONE, annotation_set=aset, result=result
        )

    def test_a_window_counts_its_beats_rhythm_and_grades(self, run: AnalysisRun) -> None:
        f = findings(run, 15.0, 35.0)
        assert f["beats"] == 20
        assert f["counts"] == {"N": 13, "V": 7, "A": 0, "paced": 0, "unknown": 0}
        assert f["hr"]["mean_hr"] == pytest.approx(60.0, abs=0.5)
        assert [(e["label"], e["start"], e["end"]) for e in f["rhythm"]] == [
            ("(N", 1500, 2000),
            ("(B", 2000, 3500),
        ]
        assert [r["label"] for r in f["rhythm_summary"]] == ["(B", "(N"]
        assert f["quality"] == {"grades": "ABC", "counts": {"A": 1, "B": 1, "C": 1}, "worst": "C"}
        assert f["intervals"] == {"qrs_ms": 90.0}

    def test_page_boxes_for_a_window_and_for_the_whole_record(self, run: AnalysisRun) -> None:
        from wavetag.analysis.findings import page_findings

        record = run.record
        part = page_findings(record, (15.0, 35.0))
        whole = page_findings(record, None)
        assert part is not None and whole is not None
        assert part["scope"] == "this window" and whole["scope"] == "the whole record"
        rows = dict((t, text) for t, _, text in part["findings"])
        assert rows["finding-counts"] == "20 beats: 7 PVC, 0 PAC, 0 paced, 0 unclassified"
        assert rows["finding-quality"] == "worst C (10-s segments: A 1, B 1, C 1)"
        assert rows["finding-rhythm"] == "ventricular bigeminy (15 s), sinus rhythm (5 s)"
        params = dict((t, text) for t, _, text in whole["parameters"])
        assert params["param-qrs"] == "90 ms" and params["param-pr"] == "—"
        assert params["param-hr"].startswith("60 bpm")
        run.status = RunStatus.FAILED
        run.save()
        assert page_findings(record, None) is None


class TestNames:
    def test_rhythms_and_beat_codes_keep_their_names(self) -> None:
        # What the findings have always called each label the analysis gives.
        names = {
            "(N": "sinus rhythm",
            "(SBR": "sinus bradycardia",
            "(SVTA": "supraventricular tachyarrhythmia",
            "(AFIB": "atrial fibrillation",
            "(B": "ventricular bigeminy",
            "(T": "ventricular trigeminy",
            "(VT": "ventricular tachycardia",
            "(IVR": "idioventricular rhythm",
            "(P": "paced rhythm",
            "PAUSE": "pause",
        }
        episodes = [{"label": label, "start": 0, "end": 360} for label in names]
        assert {r["label"]: r["name"] for r in rhythm_summary(episodes, 360.0)} == names
        assert counts(list("NNVA/QQ")) == {"N": 2, "V": 1, "A": 1, "paced": 1, "unknown": 2}
