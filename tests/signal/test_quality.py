"""Signal quality grades: clean vs noisy MIT-BIH records, synthetic noise, flat and
clipped signals."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import wfdb
import wfdb.processing

from wavetag.signal.quality import SegmentQuality, segment_quality
from wavetag.signal.synth import Episode, RecordSpec, synthesize
from wavetag.signal.synth.noise import _band_noise

FS = 360.0


def mitdb(data_dir: Path, record: str) -> tuple[np.ndarray, np.ndarray, object]:
    path = str(data_dir / "mitdb" / record)
    ann = wfdb.rdann(path, "atr")
    beats = ann.sample[np.isin(ann.symbol, list("NLRBAaJSVrFejnE/fQ"))]
    return wfdb.rdrecord(path).p_signal, beats, ann


def grades(q: list[SegmentQuality]) -> str:
    return "".join(s.grade for s in q)


def reference_noisy(ann: object, channel: int, n: int) -> np.ndarray:
    """Per sample: the reference marks this channel noisy ('~' subtype bit)."""
    state = np.zeros(n, dtype=np.int64)
    marks = [
        (s, t) for s, y, t in zip(ann.sample, ann.symbol, ann.subtype, strict=True) if y == "~"
    ]  # type: ignore[attr-defined]
    for i, (s, t) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else n
        state[s:end] = 0xF if t < 0 else t  # -1: unreadable
    return (state & (1 << channel)) > 0


class TestMitdb:
    @pytest.mark.parametrize("channel", [0, 1])
    def test_clean_record_100(self, data_dir: Path, channel: int) -> None:
        x, beats, _ = mitdb(data_dir, "100")
        q = segment_quality(x[:, channel], FS, beats)
        assert len(q) == 181  # 1805.6 s in 10-s segments
        assert q[-1].end == len(x)
        share_a = grades(q).count("A") / len(q)
        assert share_a >= 0.95
        assert "C" not in grades(q)

    @pytest.mark.parametrize("channel", [0, 1])
    def test_noisy_record_105(self, data_dir: Path, channel: int) -> None:
        x, beats, ann = mitdb(data_dir, "105")
        q = segment_quality(x[:, channel], FS, beats)
        noisy_ref = reference_noisy(ann, channel, len(x))
        noisy = np.array([noisy_ref[s.start : s.end].mean() > 0.3 for s in q])
        bad = np.array([s.grade != "A" for s in q])
        in_noise, in_clean = bad[noisy].mean(), bad[~noisy].mean()
        print(
            f"\n105 ch{channel}: not A in {in_noise:.2f} of the {noisy.sum()} segments the"
            f" reference marks noisy, in {in_clean:.2f} of the others"
        )
        assert noisy.sum() >= 20
        assert in_noise >= 0.5
        assert in_noise >= 2.5 * in_clean

    def test_105_worse_than_100(self, data_dir: Path) -> None:
        x100, b100, _ = mitdb(data_dir, "100")
        x105, b105, _ = mitdb(data_dir, "105")
        for ch in (0, 1):
            a100 = grades(segment_quality(x100[:, ch], FS, b100)).count("A")
            a105 = grades(segment_quality(x105[:, ch], FS, b105)).count("A")
            assert a105 < a100

    def test_resting_12_lead_at_100_hz(self, data_dir: Path) -> None:
        # PTB-XL 00001: a clean 10-s recording; large T waves are not artefacts.
        rec = wfdb.rdrecord(str(data_dir / "ptbxl" / "00001_lr"))
        beats = wfdb.processing.gqrs_detect(rec.p_signal[:, 0], fs=rec.fs)
        g = "".join(segment_quality(rec.p_signal[:, i], rec.fs, beats)[0].grade for i in range(12))
        assert g.count("A") >= 10, g

    def test_without_beats(self, data_dir: Path) -> None:
        x, _, _ = mitdb(data_dir, "100")
        q = segment_quality(x[:, 0], FS)
        assert all(s.sqi is None for s in q)
        assert grades(q).count("A") / len(q) >= 0.95


class TestSyntheticNoise:
    def test_noise_episodes_of_the_generator(self) -> None:
        spec = RecordSpec(
            "q",
            300.0,
            FS,
            ("MLII", "V1"),
            seed=5,
            episodes=(
                Episode("emg", 50.0, 30.0, level=1.0),
                Episode("emg", 150.0, 30.0, level=2.5),
                Episode("motion", 220.0, 30.0),
            ),
            fmt="212",
            ecg_gain=200.0,
        )
        rec = synthesize(spec)
        ann = rec.annotation_sets[0]
        beats = ann.sample[np.isin(ann.symbol, ["N", "V", "A"])]
        for ch in (0, 1):
            q = segment_quality(rec.physical()[:, ch], FS, beats)
            g = grades(q)
            # Segments 5-7, 15-17 and 22-24 hold the episodes.
            noisy = [5, 6, 7, 15, 16, 17, 22, 23]
            assert all(g[i] != "A" for i in noisy), g
            clean = [i for i in range(len(q)) if i not in (*noisy, 24)]
            assert sum(g[i] == "A" for i in clean) >= len(clean) - 1, g

    def test_grades_worsen_with_added_noise(self, data_dir: Path) -> None:
        x, beats, _ = mitdb(data_dir, "100")
        clean = x[: 60 * 360, 0]
        b = beats[beats < len(clean)]
        noise = _band_noise(np.random.default_rng(1), len(clean), FS, 20.0, 150.0)
        order = {"A": 0, "B": 1, "C": 2}
        worst = []
        for level in (0.0, 0.08, 0.5):
            q = segment_quality(clean + level * noise, FS, b)
            worst.append(max(order[s.grade] for s in q))
            best = min(order[s.grade] for s in q)
            assert best == worst[-1], "the noise is stationary: every segment alike"
        assert worst == [0, 1, 2]


class TestFlatAndClipped:
    def test_flat_line(self) -> None:
        q = segment_quality(np.zeros(int(30 * FS)), FS)
        assert grades(q) == "CCC"
        assert all("flat" in s.reasons for s in q)

    def test_leads_off_in_one_segment(self, data_dir: Path) -> None:
        x, beats, _ = mitdb(data_dir, "100")
        sig = x[: 30 * 360, 0].copy()
        sig[3600:7200] = sig[3600]  # the second segment holds one value
        q = segment_quality(sig, FS, beats[beats < len(sig)])
        assert grades(q) == "ACA"

    def test_saturation(self, data_dir: Path) -> None:
        x, beats, _ = mitdb(data_dir, "100")
        orig = x[: 60 * 360, 0]
        sig = orig.copy()
        b = beats[beats < len(sig)]
        top = np.percentile(sig[: 30 * 360], 98)
        # The last three segments are shifted down to stay below the limit.
        sig[30 * 360 :] -= sig[30 * 360 :].max() - top + 0.05
        mild = np.minimum(sig, top)  # QRS tips cut in the first three segments
        q = segment_quality(mild, FS, b)
        assert all(s.grade == "B" and "clipping" in s.reasons for s in q[:3]), q[:3]
        assert grades(q)[3:] == "AAA"
        # An electrode jump drives the amplifier into saturation for 30 s.
        jumped = orig.copy()
        limit = float(orig.max()) + 0.01
        jumped[: 30 * 360] += 3.0
        q = segment_quality(np.minimum(jumped, limit), FS, b)
        # (The segment right after recovery may carry the step's after-effects.)
        assert grades(q)[:3] == "CCC" and grades(q)[4:] == "AA"
        assert all("clipping" in s.reasons for s in q[:3])

    def test_nan_samples_are_flat(self) -> None:
        x = np.full(int(10 * FS), np.nan)
        assert grades(segment_quality(x, FS)) == "C"

    def test_short_and_empty(self) -> None:
        assert segment_quality(np.zeros(0), FS) == []
        q = segment_quality(np.zeros(100), FS)
        assert len(q) == 1 and q[0].end == 100

    def test_serialisable(self) -> None:
        d = segment_quality(np.zeros(int(10 * FS)), FS)[0].to_dict()
        assert d["grade"] == "C" and isinstance(d["reasons"], list)
        assert Counter(d)  # a plain dict


class TestUnreadable:
    """C means the rhythm cannot be read: the MIT-BIH ``~`` marks whose subtype sets the
    high nibble (-1: every signal unreadable) are the reference."""

    def test_reference_unreadable_stretches_are_c(self, data_dir: Path) -> None:
        x, beats, ann = mitdb(data_dir, "105")
        marks = [
            s
            for s, y, t in zip(ann.sample, ann.symbol, ann.subtype, strict=True)  # type: ignore[attr-defined]
            if y == "~" and (t & 0xFF) >> 4
        ]
        assert [round(s / FS) for s in marks] == [1204, 1312, 1329, 1653]
        q = segment_quality(x[:, 1], FS, beats)
        marked = [q[s // 3600] for s in marks]
        # A swing of several mV hides the QRS complexes for about a second.
        assert [m.grade for m in marked].count("C") >= 3, [(m.grade, m.reasons) for m in marked]
        assert all("unreadable" in m.reasons for m in marked if m.grade == "C")
        assert grades(q).count("C") <= 0.05 * len(q)  # 105 is noisy, not unreadable

    def test_a_clean_stretch_is_a(self, data_dir: Path) -> None:
        x, beats, _ = mitdb(data_dir, "100")
        q = segment_quality(x[: 60 * 360, 0], FS, beats[beats < 60 * 360])
        assert grades(q) == "AAAAAA"
        assert all(s.swamped_s == 0.0 for s in q)

    def test_a_second_of_leads_off_is_c(self, data_dir: Path) -> None:
        x, beats, _ = mitdb(data_dir, "100")
        sig = x[: 30 * 360, 0].copy()
        sig[4000:4400] = sig[4000]  # 1.1 s of one value: a pause that is no pause
        q = segment_quality(sig, FS, beats[beats < len(sig)])
        assert grades(q) == "ACA"
        assert q[1].reasons == ["flat"]

    def test_a_second_at_the_rails_is_c(self, data_dir: Path) -> None:
        x, beats, _ = mitdb(data_dir, "100")
        sig = x[: 30 * 360, 0].copy()
        rail = 5.0  # an 11-bit, 200 adu/mV recorder tops out at about +5 mV
        sig[4000:4400] = rail  # flat-topped at the rail for 1.1 s
        q = segment_quality(sig, FS, beats[beats < len(sig)])
        assert grades(q)[1] == "C" and "clipping" in q[1].reasons
        assert grades(q)[0] == grades(q)[2] == "A"
