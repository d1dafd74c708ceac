"""The synthetic-record generator: physiology, ground truth, WFDB output, memory."""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.recording import RecordingSource
from wavetag.signal.synth import (
    STANDARD_12,
    Episode,
    RecordSpec,
    SyntheticRecord,
    demo_records,
    holter_spec,
    synthesize,
    write_wfdb,
)
from wavetag.signal.synth.morphology import (
    KIND_A,
    KIND_N,
    KIND_V,
    TemplateBank,
    Wave,
    random_morphology,
)
from wavetag.signal.synth.wfdb_writer import pack_212


def ecg12(seconds: float = 10.0, seed: int = 1, **kw: object) -> RecordSpec:
    return RecordSpec("t12", seconds, 500.0, STANDARD_12, seed=seed, **kw)  # type: ignore[arg-type]


def holter2(seconds: float = 300.0, seed: int = 3, **kw: object) -> RecordSpec:
    base: dict[str, object] = dict(fmt="212", ecg_gain=200.0)
    base.update(kw)
    return RecordSpec("h2", seconds, 360.0, ("MLII", "V1"), seed=seed, **base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def demo() -> dict[str, SyntheticRecord]:
    return {s.name: synthesize(s) for s in demo_records(seed=7)}


def beats_of(rec: SyntheticRecord, symbol: str) -> np.ndarray:
    ann = rec.annotation_sets[0]
    return np.array([s for s, y in zip(ann.sample, ann.symbol, strict=True) if y == symbol])


class TestDeterminism:
    def test_same_seed_same_record(self) -> None:
        a, b = synthesize(ecg12(seed=5)), synthesize(ecg12(seed=5))
        assert np.array_equal(a.read(), b.read())
        assert a.annotation_sets[0].symbol == b.annotation_sets[0].symbol
        assert np.array_equal(a.annotation_sets[0].sample, b.annotation_sets[0].sample)

    def test_other_seed_other_record(self) -> None:
        assert not np.array_equal(
            synthesize(ecg12(seed=5)).read(), synthesize(ecg12(seed=6)).read()
        )

    def test_chunks_do_not_depend_on_what_was_rendered_before(self) -> None:
        rec = synthesize(holter2(120.0, episodes=(Episode("emg", 20.0, 30.0),)))
        sequential = [f for _, f in rec.iter_chunks()]
        fresh = synthesize(rec.spec)
        assert np.array_equal(fresh.render_chunk(3), sequential[3])
        assert np.array_equal(fresh.render_chunk(1), sequential[1])

    def test_blocks_cover_the_record_exactly(self) -> None:
        rec = synthesize(holter2(61.3))
        whole = rec.read()
        assert whole.shape == (rec.n_samples, 2)
        blocks = list(rec.iter_blocks(seconds=7.0))
        assert all(len(b) == 2 for b in blocks)
        assert all(len(b[0]) == 7 * 360 for b in blocks[:-1])
        for j in range(2):
            assert np.array_equal(np.concatenate([b[j] for b in blocks]), whole[:, j])

    def test_is_a_recording_source(self) -> None:
        src: RecordingSource = synthesize(ecg12())
        assert src.duration == pytest.approx(10.0)
        assert [c.name for c in src.channels] == list(STANDARD_12)
        assert src.channels[0].gain == 1000.0 and src.channels[0].units == "mV"


@pytest.fixture(scope="module")
def rec12() -> SyntheticRecord:
    return synthesize(ecg12(seconds=20.0, seed=11, pvc_per_hour=700.0))


class TestLeads:
    def test_einthoven_exact_and_goldberger_within_rounding(self, rec12: SyntheticRecord) -> None:
        d = rec12.read().astype(np.int64)
        i, ii, iii, avr, avl, avf = (d[:, k] for k in range(6))
        assert np.array_equal(ii, i + iii)
        assert np.abs(avr + avl + avf).max() <= 2
        assert np.abs(2 * avr + i + ii).max() <= 1

    def test_amplitudes_are_plausible(self, rec12: SyntheticRecord) -> None:
        x = rec12.physical()
        n_beats = beats_of(rec12, "N")
        r_ii = np.median(
            [
                x[s - 10 : s + 10, 1].max() - np.median(x[s - 150 : s - 100, 1])
                for s in n_beats[1:-1]
            ]
        )
        assert 0.5 < r_ii < 2.2
        # V1 is mostly negative (rS), V5 mostly positive (qR) in a normal heart.
        v1 = np.median([x[s - 20 : s + 20, 6].min() for s in n_beats[1:-1]])
        assert v1 < -0.3
        assert np.all(np.abs(x[:, :12]) < 5.0)

    def test_pvc_wider_than_sinus_beat(self) -> None:
        t = np.arange(-0.2, 0.2, 0.001)

        def qrs_ms(waves: tuple[Wave, ...]) -> float:
            dipole = sum(
                np.outer(w.vector, np.exp(-0.5 * ((t - w.center) / w.width) ** 2)) for w in waves
            )
            mag = np.linalg.norm(dipole, axis=0)
            above = np.flatnonzero(mag > 0.05 * mag.max())
            return float(above[-1] - above[0])

        for seed in range(8):
            m = random_morphology(np.random.default_rng(seed))
            n, v = qrs_ms(m.qrs), qrs_ms(m.pvc_qrs)
            assert 75 <= n <= 110
            assert 125 <= v <= 190
            assert v >= 1.4 * n

    def test_qt_shortens_with_rate(self) -> None:
        bank = TemplateBank(random_morphology(np.random.default_rng(0)), 500.0)
        slow = bank.waves(KIND_N, 1.2)[-3].center  # last T component before the P waves
        fast = bank.waves(KIND_N, 0.5)[-3].center
        assert fast < slow - 0.05


class TestBeatAnnotations:
    @pytest.mark.parametrize("which", ["ecg12_sinus", "ecg12_ectopy", "holter_30min"])
    def test_beats_sit_on_the_r_peak(self, demo: dict[str, SyntheticRecord], which: str) -> None:
        rec = demo[which]
        lead = rec.physical(0, min(rec.n_samples, round(300 * rec.fs)))[
            :, 1 if which.startswith("ecg12") else 0
        ]
        fs = rec.fs
        w = round(0.15 * fs)
        offsets = []
        for sym in ("N", "V"):
            for s in beats_of(rec, sym):
                if w <= s < len(lead) - w:
                    seg = lead[s - w : s + w]
                    offsets.append(abs(int(np.argmax(np.abs(seg - np.median(seg)))) - w) / fs)
        offsets_a = np.array(offsets)
        assert len(offsets_a) > 10
        assert np.mean(offsets_a <= 0.05) >= 0.97

    def test_annotation_stream_is_wfdb_shaped(self, demo: dict[str, SyntheticRecord]) -> None:
        ann = demo["holter_30min"].annotation_sets[0]
        assert np.all(np.diff(ann.sample) >= 0)
        assert set(ann.symbol) <= {"N", "V", "A", "+", "~", '"'}
        rhythms = [a for s, a in zip(ann.symbol, ann.aux_note, strict=True) if s == "+"]
        assert rhythms[0] == "(N"
        assert {"(B", "(VT", "(AFIB"} <= set(rhythms)
        assert all(r in {"(N", "(B", "(VT", "(AFIB"} for r in rhythms)
        assert any(a.startswith("PAUSE") for a in ann.aux_note)
        noisy = [st for s, st in zip(ann.symbol, ann.subtype, strict=True) if s == "~"]
        assert noisy == [3, 0, 3, 0]


class TestRhythm:
    def test_sinus_regular_af_irregular(self) -> None:
        sinus = synthesize(holter2(300.0, seed=4)).beats
        af = synthesize(holter2(300.0, seed=4, episodes=(Episode("afib", 0.0, 300.0),))).beats

        def cv(rr: np.ndarray) -> float:
            return float(np.std(rr) / np.mean(rr))

        assert cv(sinus.rr[1:]) < 0.08
        assert cv(af.rr[2:]) > 0.15
        # Irregularly irregular: successive AF intervals are uncorrelated.
        assert abs(np.corrcoef(af.rr[2:-1], af.rr[3:])[0, 1]) < 0.3

    def test_pvc_compensatory_pause_and_pac_reset(self) -> None:
        b = synthesize(holter2(900.0, seed=8, pvc_per_hour=200.0, pac_per_hour=200.0)).beats
        kinds, rr = b.kind, b.rr
        checked_v = 0
        pac_sums: list[float] = []
        for i in range(2, len(kinds) - 2):
            if kinds[i - 1] == KIND_N and kinds[i + 1] == KIND_N and kinds[i - 2] == KIND_N:
                if kinds[i] == KIND_V:
                    # Premature, and coupling + pause = two sinus cycles.
                    assert rr[i] < 0.75 * rr[i - 1]
                    assert rr[i] + rr[i + 1] == pytest.approx(2 * rr[i - 1], rel=0.12)
                    checked_v += 1
                elif kinds[i] == KIND_A:
                    # Premature, and the sinus node restarts from it: no full
                    # compensation.
                    assert rr[i] < 0.85 * rr[i - 1]
                    pac_sums.append((rr[i] + rr[i + 1]) / rr[i - 1])
        assert checked_v >= 10 and len(pac_sums) >= 10
        assert np.mean(pac_sums) < 1.9 and max(pac_sums) < 2.1

    def test_ectopic_beats_on_request(self) -> None:
        spec = ecg12(seed=3, episodes=(Episode("pvc", 3.0, 0.0), Episode("pac", 6.5, 0.0)))
        b = synthesize(spec).beats
        assert b.symbols.count("V") == 1 and b.symbols.count("A") == 1
        assert abs(b.time[b.kind == KIND_V][0] - 3.0) < 1.0
        assert abs(b.time[b.kind == KIND_A][0] - 6.5) < 1.0

    def test_episodes(self) -> None:
        spec = holter2(
            240.0,
            seed=2,
            episodes=(
                Episode("bigeminy", 20.0, 30.0),
                Episode("vt", 80.0, 4.0, rate=160.0),
                Episode("pause", 120.0, 2.5),
            ),
        )
        b = synthesize(spec).beats
        t, k = b.time, b.kind
        big = k[(t > 21) & (t < 49)]
        big = big[: len(big) // 2 * 2]
        assert len(big) > 10 and np.all(big[::2] != big[1::2])  # N V N V ...
        vt = (t >= 80) & (t < 84.5)
        assert np.all(k[vt] == KIND_V) and vt.sum() >= 3
        assert np.all(60 / b.rr[vt][1:] > 100)
        assert np.any((b.rr >= 2.4) & (t > 120) & (t < 125))
        assert [a for _, a in b.rhythm] == ["(N", "(B", "(N", "(VT", "(N"]


class TestHaemodynamics:
    def test_pressure_pulses_follow_beats(self, demo: dict[str, SyntheticRecord]) -> None:
        rec = demo["icu_vt_true"]
        names = [c.name for c in rec.channels]
        assert names == ["II", "V", "PLETH", "ABP", "RESP"]
        abp = rec.physical(0, 250 * 250)[:, 3]
        beats = beats_of(rec, "N")
        beats = beats[(beats > 500) & (beats < 249 * 250)]
        sys_ = np.array([abp[s : s + 150].max() for s in beats])
        dia = np.array([abp[s : s + 60].min() for s in beats])
        assert 90 < np.median(sys_) < 160 and 50 < np.median(dia) < 100
        # Systolic peak 0.2-0.45 s after the R peak (arrival + upstroke).
        lag = np.median([np.argmax(abp[s : s + 150]) for s in beats]) / 250
        assert 0.2 < lag < 0.45

    def test_vt_and_pvcs_weaken_the_pulse(self, demo: dict[str, SyntheticRecord]) -> None:
        rec = demo["icu_vt_true"]
        abp = rec.physical()[:, 3]
        before = abp[270 * 250 : 290 * 250]
        during = abp[296 * 250 : 302 * 250]
        assert np.ptp(during) < 0.5 * (np.percentile(before, 95) - np.percentile(before, 5))
        assert during.mean() < before.mean() - 15
        p = rec.haemo.abp.pp if rec.haemo else None
        assert p is not None
        kinds = rec.beats.kind
        assert np.median(p[kinds == KIND_V]) < 0.6 * np.median(p[kinds == KIND_N])


class TestDemoRecords:
    def test_catalogue(self, demo: dict[str, SyntheticRecord]) -> None:
        assert set(demo) == {
            "ecg12_sinus",
            "ecg12_afib",
            "ecg12_ectopy",
            "holter_30min",
            "icu_vt_true",
            "icu_vt_false",
        }
        assert demo["ecg12_afib"].beats.af_spans
        assert "V" in demo["ecg12_ectopy"].annotation_sets[0].symbol

    def test_alarm_records(self, demo: dict[str, SyntheticRecord]) -> None:
        true, false = demo["icu_vt_true"], demo["icu_vt_false"]
        assert true.comments == ["Ventricular_Tachycardia", "True alarm"]
        assert false.comments == ["Ventricular_Tachycardia", "False alarm"]
        for rec in (true, false):
            assert rec.fs == 250 and rec.duration in (300.0, 330.0)
            ann = rec.annotation_sets[0]
            assert "ALARM Ventricular_Tachycardia" in ann.aux_note
        # Challenge 2015 definition: >= 5 ventricular beats over 100 bpm in
        # the 16 s before the alarm. Only the true alarm has them.
        for rec, expect in ((true, True), (false, False)):
            b = rec.beats
            window = (b.time > 284) & (b.time <= 300) & (b.kind == KIND_V)
            assert bool(window.sum() >= 5) is expect
        assert "~" in false.annotation_sets[0].symbol

    def test_holter_specs(self) -> None:
        big = holter_spec(hours=24, leads=12, fs=500, seed=1)
        assert big.n_samples * len(big.ecg_leads) == 518_400_000
        assert big.fmt == "16" and big.ecg_leads == STANDARD_12
        big.validate()
        small = holter_spec(hours=24, leads=3, fs=360, seed=1)
        assert small.fmt == "212" and small.ecg_leads == ("II", "V1", "V5")
        assert {e.kind for e in small.episodes} >= {
            "vt",
            "pause",
            "afib",
            "bigeminy",
            "emg",
            "motion",
        }


class TestWfdbOutput:
    @pytest.mark.parametrize(
        "spec",
        [
            ecg12(seconds=10.0, seed=2),
            holter2(61.3, seed=4, pvc_per_hour=400.0, episodes=(Episode("emg", 10.0, 5.0),)),
            replace(holter2(20.0), ecg_leads=("II", "V1", "V5"), name="odd"),
            next(s for s in demo_records(1) if s.name == "icu_vt_false"),
        ],
        ids=["12-lead-16", "2-lead-212", "3-lead-212-odd", "icu"],
    )
    def test_round_trip(self, tmp_path: Path, spec: RecordSpec) -> None:
        if spec.name == "odd":
            spec = replace(spec, duration=(7201) / 360)  # odd number of samples in 212
        written = write_wfdb(tmp_path, None, spec)
        expected = synthesize(spec)
        digital = expected.read()
        rec = wfdb.rdrecord(str(tmp_path / spec.name), physical=False)
        assert rec.fs == spec.fs and rec.sig_len == spec.n_samples
        assert rec.sig_name == [c.name for c in expected.channels]
        assert rec.units == [c.units for c in expected.channels]
        assert rec.adc_gain == [c.gain for c in expected.channels]
        assert np.array_equal(rec.d_signal, digital)
        assert [c % 65536 for c in rec.checksum] == [
            int(v) for v in digital.sum(0, dtype=np.int64) % 65536
        ]
        assert list(written.checksums) == rec.checksum
        assert rec.init_value == [int(v) for v in digital[0]]
        assert rec.comments == list(spec.comments)
        physical = wfdb.rdrecord(str(tmp_path / spec.name)).p_signal
        assert np.allclose(physical, expected.physical(), atol=1e-9)

        ann = wfdb.rdann(str(tmp_path / spec.name), "atr")
        truth = expected.annotation_sets[0]
        assert np.array_equal(ann.sample, truth.sample)
        assert ann.symbol == truth.symbol
        assert [a or "" for a in ann.aux_note] == truth.aux_note
        assert np.array_equal(ann.subtype, truth.subtype)

    @pytest.mark.parametrize("n", [7200, 7201])
    def test_signal_bytes_match_wfdb_writer(self, tmp_path: Path, n: int) -> None:
        spec = replace(holter2(n / 360), ecg_leads=("II", "V1", "V5"), name="mine")
        write_wfdb(tmp_path, None, spec)
        d = synthesize(spec).read()
        wfdb.wrsamp(
            "ref",
            fs=360,
            units=["mV"] * 3,
            sig_name=["II", "V1", "V5"],
            d_signal=d.astype(np.int64),
            fmt=["212"] * 3,
            adc_gain=[200.0] * 3,
            baseline=[0] * 3,
            write_dir=str(tmp_path),
        )
        assert (tmp_path / "mine.dat").read_bytes() == (tmp_path / "ref.dat").read_bytes()

    def test_pack_212_negative_and_extreme_values(self) -> None:
        x = np.array([[-2047, 2047], [-1, 0], [1, -2048 + 1]], dtype=np.int16)
        raw = np.frombuffer(pack_212(x), dtype=np.uint8)
        assert len(raw) == 9
        assert raw[0] == (-2047) & 0xFF and raw[2] == 2047 & 0xFF

    def test_header_time_and_name_override(self, tmp_path: Path) -> None:
        spec = next(s for s in demo_records(0) if s.name == "holter_30min")
        spec = replace(spec, duration=5.0)
        written = write_wfdb(tmp_path, "renamed", spec)
        hdr = wfdb.rdheader(str(tmp_path / "renamed"))
        assert hdr.base_time == spec.base_time
        assert written.header.name == "renamed.hea" and written.signal_file.name == "renamed.dat"


def generate_and_measure(spec: RecordSpec) -> dict[str, float]:
    """Render a whole record chunk by chunk, as the WFDB writer does.

    Returns samples rendered, seconds taken, samples per second (a figure to
    print, not to assert) and the tracemalloc peak in bytes.
    """
    tracemalloc.start()
    t0 = time.perf_counter()
    rec = synthesize(spec)
    n = 0
    for _, frames in rec.iter_chunks():
        n += frames.size
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"samples": n, "seconds": elapsed, "per_second": n / elapsed, "peak": peak}


class TestStreaming:
    def test_memory_bounded_independent_of_duration(self) -> None:
        short = generate_and_measure(holter_spec(hours=1 / 6, leads=12, fs=500.0, seed=1))
        long = generate_and_measure(holter_spec(hours=1.0, leads=12, fs=500.0, seed=1))
        assert long["samples"] == 3600 * 500 * 12
        print(
            f"\n1-h 12-lead 500 Hz: {long['per_second'] / 1e6:.0f} M samples/s under tracemalloc, "
            f"peak {long['peak'] / 2**20:.1f} MiB (10 min: {short['peak'] / 2**20:.1f} MiB)"
        )
        # Six times the duration, nearly the same peak: only the beat list grows.
        assert long["peak"] < 1.3 * short["peak"] + 2**20
        assert long["peak"] < 16 * 2**20
