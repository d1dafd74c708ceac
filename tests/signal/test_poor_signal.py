"""A stretch graded C gives no PVC counts and no pause: MIT-BIH 119 (bigeminy, trigeminy)
with a swing that swamps its QRS complexes and a few seconds of leads off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.analysis import AnalysisResult, analyze
from wavetag.signal.leads import SampleSource
from wavetag.signal.rhythm import rhythm_episodes
from wavetag.signal.vocabulary import PAUSE

FS = 360.0
SWING = (31.0, 34.0)  # s, in the fourth 10-s segment
LEADS_OFF = (82.0, 86.0)  # s, in the ninth


@pytest.fixture(scope="module")
def spoiled(data_dir: Path) -> tuple[AnalysisResult, np.ndarray]:
    """Three minutes of 119 with a 3-mV, 1.5-Hz swing and 4 s of flat line in both leads;
    the reference PVC positions."""
    path = str(data_dir / "mitdb-ds1" / "119")
    rec = wfdb.rdrecord(path, sampto=round(180 * FS))
    ann = wfdb.rdann(path, "atr", sampto=round(180 * FS))
    x = rec.p_signal.copy()
    a, z = (round(t * FS) for t in SWING)
    x[a:z] += 3.0 * np.sin(2 * np.pi * 1.5 * np.arange(z - a) / FS)[:, None]
    a, z = (round(t * FS) for t in LEADS_OFF)
    x[a:z] = 0.0
    src = SampleSource.from_arrays(
        {n: x[:, i] for i, n in enumerate(rec.sig_name)}, {n: FS for n in rec.sig_name}
    )
    ref_v = ann.sample[np.array(ann.symbol) == "V"]
    return analyze(src), ref_v


def c_spans(r: AnalysisResult) -> list[tuple[int, int]]:
    return [(q.start, q.end) for q in r.quality[r.channel.index] if q.grade == "C"]


class TestPoorSignal:
    def test_the_spoiled_stretches_are_c(self, spoiled: tuple[AnalysisResult, np.ndarray]) -> None:
        r, _ = spoiled
        grades = "".join(q.grade for q in r.quality[r.channel.index])
        assert grades[3] == grades[8] == "C"
        assert grades.count("C") == 2

    def test_no_v_in_c(self, spoiled: tuple[AnalysisResult, np.ndarray]) -> None:
        r, ref_v = spoiled
        spans = c_spans(r)
        b, sym = r.beats.samples, np.array(r.beats.symbols)
        in_c = np.zeros(len(b), dtype=bool)
        for a, z in spans:
            in_c |= (b >= a) & (b < z)
        ref_in_c = sum(1 for v in ref_v if any(a <= v < z for a, z in spans))
        assert ref_in_c >= 3  # real PVCs lie there: without the rule they are called V
        assert "V" not in sym[in_c]
        assert (sym[in_c] == "Q").sum() >= ref_in_c
        assert (sym[~in_c] == "V").sum() >= 30  # elsewhere the PVCs are still called

    def test_no_pause_in_c(self, spoiled: tuple[AnalysisResult, np.ndarray]) -> None:
        r, _ = spoiled
        spans = c_spans(r)
        pauses = [e for e in r.rhythm if e.label == PAUSE]
        assert not [e for e in pauses if any(a < e.end and e.start < z for a, z in spans)]
        # The beats alone would report one where the leads were off.
        found = rhythm_episodes(r.beats.samples, FS, r.beats.symbols, r.n_samples)
        off = [e for e in found if e.label == PAUSE]
        assert any(
            e.start <= LEADS_OFF[0] * FS + FS and e.end >= LEADS_OFF[1] * FS - FS for e in off
        )
