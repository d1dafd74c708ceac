"""QRS detector: scored against MIT-BIH reference beats, plus synthetic edge cases and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import wfdb
from scipy import signal as sps
from wfdb.processing import compare_annotations

from tests.conftest import DATA_DIR
from wavetag.signal.qrs import QRSConfig, detect_qrs, detect_qrs_chunked

RECORDS = ("100", "105", "106", "107")
BEAT_SYMBOLS = frozenset("N L R B A a J S V r F e j n E / f Q ?".split())
WINDOW_S = 0.150


@dataclass(frozen=True)
class Score:
    tp: int
    fn: int
    fp: int

    @property
    def se(self) -> float:
        return 100.0 * self.tp / max(self.tp + self.fn, 1)

    @property
    def ppv(self) -> float:
        return 100.0 * self.tp / max(self.tp + self.fp, 1)

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fn + other.fn, self.fp + other.fp)


@cache
def mitdb(record: str) -> tuple[npt.NDArray[np.float64], float, npt.NDArray[np.int64]]:
    """Channel 0 (mV), fs, and the reference beat samples of an MIT-BIH record."""
    path = str(DATA_DIR / "mitdb" / record)
    rec = wfdb.rdrecord(path, channels=[0])
    ann = wfdb.rdann(path, "atr")
    beats = np.array(
        [s for s, sym in zip(ann.sample, ann.symbol, strict=True) if sym in BEAT_SYMBOLS],
        dtype=np.int64,
    )
    assert rec.p_signal is not None
    return rec.p_signal[:, 0].astype(np.float64), float(rec.fs), beats


def score(
    reference: npt.NDArray[np.int64], detected: npt.NDArray[np.int64], fs: float, n: int
) -> Score:
    """wfdb's bxb-style matching, 150-ms window, first and last second ignored."""
    lo, hi = int(fs), n - int(fs)
    ref = reference[(reference >= lo) & (reference < hi)]
    test = detected[(detected >= lo) & (detected < hi)]
    c = compare_annotations(ref, test, int(WINDOW_S * fs))
    return Score(int(c.tp), int(c.fn), int(c.fp))


def score_record(record: str) -> Score:
    x, fs, ref = mitdb(record)
    return score(ref, detect_qrs(x, fs), fs, len(x))


def synthetic_ecg(
    fs: float, seconds: float, rate_bpm: float = 72.0, seed: int = 0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Gaussian QRS-like spikes with T waves and baseline wander; returns (signal, R samples)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    period = 60.0 / rate_bpm
    beats_t = np.arange(0.5, seconds - 0.5, period)
    x = 0.3 * np.sin(2 * np.pi * 0.2 * t) + rng.normal(0, 0.01, n)
    for b in beats_t:
        x += 1.0 * np.exp(-((t - b) ** 2) / (2 * 0.012**2))
        # The T wave comes sooner at fast rates (QT shortens with RR).
        x += 0.25 * np.exp(-((t - b - 0.27 * np.sqrt(period)) ** 2) / (2 * 0.04**2))
    return x, np.round(beats_t * fs).astype(np.int64)


@pytest.fixture(scope="module", autouse=True)
def _records_present() -> None:
    if not (DATA_DIR / "mitdb" / "100.hea").is_file():
        pytest.fail(f"test records not found in {DATA_DIR} (set WAVETAG_TEST_DATA)")


class TestMITBIH:
    def test_summed_sensitivity_and_positive_predictivity(self) -> None:
        total = Score(0, 0, 0)
        for record in RECORDS:
            total = total + score_record(record)
        assert total.se >= 99.8, f"Se {total.se:.2f}% ({total.fn} missed)"
        assert total.ppv >= 99.8, f"+P {total.ppv:.2f}% ({total.fp} false)"

    @pytest.mark.parametrize(
        ("record", "se", "ppv"),
        [("100", 99.9, 99.9), ("105", 99.0, 98.8), ("106", 99.8, 99.8), ("107", 99.6, 99.9)],
    )
    def test_per_record_sanity(self, record: str, se: float, ppv: float) -> None:
        s = score_record(record)
        assert s.se >= se and s.ppv >= ppv, f"{record}: Se {s.se:.2f}%, +P {s.ppv:.2f}%"

    def test_beats_sorted_unique_int64_inside_signal(self) -> None:
        x, fs, _ = mitdb("106")
        beats = detect_qrs(x, fs)
        assert beats.dtype == np.int64
        assert np.all(np.diff(beats) > 0)
        assert beats[0] >= 0 and beats[-1] < len(x)

    def test_fiducial_close_to_reference_r_peak(self) -> None:
        x, fs, ref = mitdb("100")
        beats = detect_qrs(x, fs)
        c = compare_annotations(ref, beats, int(WINDOW_S * fs))
        error_ms = np.abs(ref[c.matched_ref_inds] - beats[c.matched_test_inds]) / fs * 1000
        assert np.percentile(error_ms, 95) <= 10.0

    def test_paced_record_spikes_are_not_extra_beats(self) -> None:
        x, fs, ref = mitdb("107")
        beats = detect_qrs(x, fs)
        # One beat per paced complex: no pair of detections closer than 250 ms.
        assert np.min(np.diff(beats)) / fs >= 0.25
        assert abs(len(beats) - len(ref)) <= 10


class TestOtherRecords:
    def test_fetal_scalp_ecg_at_1000_hz(self) -> None:
        # Not MIT-BIH: a fetal heart at about 130/min, whose complexes stand
        # only a few times above the noise floor.
        import pyedflib

        reader = pyedflib.EdfReader(str(DATA_DIR / "edf" / "r01.edf"))
        try:
            x = reader.readSignal(0)
            fs = float(reader.getSampleFrequency(0))
        finally:
            reader.close()
        ref = wfdb.rdann(str(DATA_DIR / "edf" / "r01.edf"), "qrs").sample.astype(np.int64)
        s = score(ref, detect_qrs(x, fs), fs, len(x))
        assert s.se >= 98.5 and s.ppv >= 99.5, f"Se {s.se:.2f}%, +P {s.ppv:.2f}%"

    @pytest.mark.parametrize("rate_bpm", [30.0, 72.0, 180.0, 200.0])
    def test_synthetic_rates(self, rate_bpm: float) -> None:
        fs = 250.0
        x, truth = synthetic_ecg(fs, 120.0, rate_bpm=rate_bpm, seed=1)
        s = score(truth, detect_qrs(x, fs), fs, len(x))
        assert s.se >= 99.0 and s.ppv >= 99.0, f"{rate_bpm}/min: Se {s.se:.2f}%, +P {s.ppv:.2f}%"

    def test_ptb_twelve_leads_agree(self) -> None:
        rec = wfdb.rdrecord(str(DATA_DIR / "ptbdb" / "s0010_re"))
        assert rec.p_signal is not None
        counts = {len(detect_qrs(rec.p_signal[:, k], float(rec.fs))) for k in range(12)}
        assert len(counts) == 1, counts


class TestSamplingRatesAndPolarity:
    @pytest.mark.parametrize("fs_new", [125.0, 250.0, 500.0, 1000.0])
    def test_record_100_resampled(self, fs_new: float) -> None:
        x, fs, ref = mitdb("100")
        y = sps.resample_poly(x, int(fs_new), int(fs))
        ref_new = np.round(ref * fs_new / fs).astype(np.int64)
        s = score(ref_new, detect_qrs(y, fs_new), fs_new, len(y))
        assert s.se >= 99.8 and s.ppv >= 99.8, f"{fs_new} Hz: Se {s.se:.2f}%, +P {s.ppv:.2f}%"

    @pytest.mark.parametrize("record", ["100", "106"])
    def test_inverted_polarity(self, record: str) -> None:
        x, fs, ref = mitdb(record)
        upright = score(ref, detect_qrs(x, fs), fs, len(x))
        inverted = score(ref, detect_qrs(-x, fs), fs, len(x))
        assert inverted.se >= upright.se - 0.2 and inverted.ppv >= upright.ppv - 0.2

    def test_low_amplitude(self) -> None:
        x, fs, ref = mitdb("100")
        s = score(ref, detect_qrs(0.02 * x, fs), fs, len(x))
        assert s.se >= 99.8 and s.ppv >= 99.8

    def test_amplitude_drop_mid_record_is_followed(self) -> None:
        x, fs, ref = mitdb("100")
        y = x.copy()
        y[len(y) // 2 :] *= 0.2
        s = score(ref, detect_qrs(y, fs), fs, len(y))
        assert s.se >= 99.5 and s.ppv >= 99.5


class TestNoBeats:
    @pytest.mark.parametrize("fs", [250.0, 360.0, 1000.0])
    def test_flat_line(self, fs: float) -> None:
        assert len(detect_qrs(np.zeros(int(60 * fs)), fs)) == 0
        assert len(detect_qrs(np.full(int(60 * fs), 1.5), fs)) == 0

    @pytest.mark.parametrize("fs", [250.0, 360.0, 1000.0])
    def test_white_noise(self, fs: float) -> None:
        noise = np.random.default_rng(7).normal(0.0, 0.1, int(300 * fs))
        # A heart at 60/min would give 300 beats; noise gives a handful at most.
        assert len(detect_qrs(noise, fs)) <= 30

    def test_empty_and_short_signals(self) -> None:
        assert len(detect_qrs(np.zeros(0), 360.0)) == 0
        assert len(detect_qrs(np.zeros(5), 360.0)) == 0

    def test_bad_arguments(self) -> None:
        with pytest.raises(ValueError, match="fs"):
            detect_qrs(np.zeros(100), 0.0)
        with pytest.raises(ValueError, match="1-D"):
            detect_qrs(np.zeros((100, 2)), 360.0)


class TestGaps:
    def test_no_beat_inside_a_gap_and_beats_resume(self) -> None:
        x, fs, ref = mitdb("100")
        y = x.copy()
        gap = slice(int(600 * fs), int(660 * fs))
        y[gap] = np.nan
        beats = detect_qrs(y, fs)
        assert not np.any((beats >= gap.start) & (beats < gap.stop))
        keep = (ref < gap.start - fs) | (ref >= gap.stop + fs)
        s = score(ref[keep], beats, fs, len(y))
        assert s.se >= 99.8

    def test_all_nan(self) -> None:
        assert len(detect_qrs(np.full(3600, np.nan), 360.0)) == 0

    def test_scattered_missing_samples(self) -> None:
        x, fs, ref = mitdb("100")
        y = x.copy()
        y[np.random.default_rng(3).choice(len(y), 200, replace=False)] = np.nan
        s = score(ref, detect_qrs(y, fs), fs, len(y))
        assert s.se >= 99.5 and s.ppv >= 99.5


class TestChunked:
    @pytest.mark.parametrize("chunk_s", [37.0, 300.0])
    def test_chunked_equals_whole(self, chunk_s: float) -> None:
        x, fs, _ = mitdb("105")
        reads: list[tuple[int, int]] = []

        def read(start: int, stop: int) -> npt.NDArray[np.float64]:
            reads.append((start, stop))
            return x[start:stop]

        whole = detect_qrs(x, fs)
        chunked = detect_qrs_chunked(read, len(x), fs, chunk_s=chunk_s)
        np.testing.assert_array_equal(chunked, whole)
        assert max(stop - start for start, stop in reads) <= (chunk_s + 40) * fs + 1

    @pytest.mark.parametrize("chunk_s", [37.0, 300.0])
    def test_decimated_detection_chunked_equals_whole(self, chunk_s: float) -> None:
        x, fs, _ = mitdb("105")
        y, rate = sps.resample_poly(x, 10, 9), fs * 10 / 9  # 400 Hz: every other sample
        whole = detect_qrs(y, rate)
        chunked = detect_qrs_chunked(lambda a, b: y[a:b], len(y), rate, chunk_s=chunk_s)
        np.testing.assert_array_equal(chunked, whole)
        # The beats of the full-rate search, within a sample or two.
        full = detect_qrs(y, rate, QRSConfig(detection_hz=0.0))
        near = np.abs(full[:, None] - whole[None, :]).min(axis=1) <= 2
        assert near.mean() >= 0.999 and abs(len(full) - len(whole)) <= 0.001 * len(full)

    def test_chunked_with_gaps_equals_whole(self) -> None:
        x, fs, _ = mitdb("107")
        y = x.copy()
        y[int(100 * fs) : int(130 * fs)] = np.nan  # crosses a chunk border
        whole = detect_qrs(y, fs)
        chunked = detect_qrs_chunked(lambda a, b: y[a:b], len(y), fs, chunk_s=120.0)
        np.testing.assert_array_equal(chunked, whole)

    def test_synthetic_beats_at_every_border(self) -> None:
        fs = 250.0
        x, truth = synthetic_ecg(fs, 120.0, rate_bpm=75.0)
        chunked = detect_qrs_chunked(lambda a, b: x[a:b], len(x), fs, chunk_s=0.8)
        np.testing.assert_array_equal(chunked, detect_qrs(x, fs))
        assert len(chunked) == len(truth)
        assert np.max(np.abs(chunked - truth)) <= 0.01 * fs

    def test_memory_does_not_grow_with_length(self) -> None:
        import tracemalloc

        x, fs, _ = mitdb("100")
        peaks = []
        for hours in (0.5, 2.0):
            y = np.tile(x, int(hours * 3600 * fs) // len(x) + 1)[: int(hours * 3600 * fs)]
            tracemalloc.start()
            detect_qrs_chunked(lambda a, b, y=y: y[a:b], len(y), fs, chunk_s=300.0)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        # Four times the record, about the same working memory (the beats are a few MB).
        assert peaks[1] < 1.5 * peaks[0], peaks

    def test_config_is_frozen(self) -> None:
        config = QRSConfig()
        with pytest.raises(AttributeError):
            config.refractory_s = 0.1  # type: ignore[misc]


class TestDocumentation:
    def test_docstring_examples(self) -> None:
        import doctest

        import wavetag.signal.qrs

        assert doctest.testmod(wavetag.signal.qrs).failed == 0


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["WAVETAG_HOME"] = str(tmp_path / "home")
    # The command must not need a database: point at one that cannot answer.
    env["DATABASE_URL"] = "postgres://nobody:nothing@127.0.0.1:1/none"
    return subprocess.run(
        [sys.executable, "-m", "wavetag", "detect-qrs", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestCommand:
    def test_writes_qrs_files_that_rdann_reads_back(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        result = run_cli(tmp_path, str(DATA_DIR / "mitdb" / "100"), "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert "100:" in result.stdout and "beats" in result.stdout
        assert "samples/s" in result.stdout
        ann = wfdb.rdann(str(out / "100"), "qrs")
        x, fs, _ = mitdb("100")
        np.testing.assert_array_equal(ann.sample, detect_qrs(x, fs))
        assert ann.fs == fs
        assert not (tmp_path / "home" / "wavetag.sqlite3").exists()

    def test_channel_option_and_edf(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        result = run_cli(
            tmp_path, str(DATA_DIR / "edf" / "r01.edf"), "--out", str(out), "--channel", "0"
        )
        assert result.returncode == 0, result.stderr
        assert len(wfdb.rdann(str(out / "r01"), "qrs").sample) > 500

    def test_missing_channel_is_one_line(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        result = run_cli(
            tmp_path, str(DATA_DIR / "mitdb" / "100"), "--out", str(out), "--channel", "5"
        )
        assert result.returncode == 1
        assert "channel 5 does not exist" in result.stderr
        assert "Traceback" not in result.stderr

    def test_broken_files_fail_cleanly_and_others_still_run(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        result = run_cli(
            tmp_path,
            str(DATA_DIR / "broken" / "truncated_dat.hea"),
            str(DATA_DIR / "broken"),
            str(DATA_DIR / "mitdb" / "107"),
            "--out",
            str(out),
        )
        assert result.returncode == 1
        assert "Traceback" not in result.stderr + result.stdout
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert any("truncated_dat.hea" in line and "too short" in line for line in lines)
        assert all(line.startswith("FAILED") for line in lines)
        assert (out / "107.qrs").is_file()
        assert not (out / "truncated_dat.qrs").exists()
