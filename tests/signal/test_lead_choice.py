"""A run can target a channel, and quality grades are kept by channel index: two channels
that share a name (``ECG``, ``ECG``) are graded apart, never mixed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from wavetag.signal.analysis import AnalysisConfig, analyze
from wavetag.signal.leads import AnalysisError, SampleSource
from wavetag.signal.recording import ChannelInfo

FS = 360.0


@pytest.fixture(scope="module")
def twins(data_dir: Path) -> SampleSource:
    """Five minutes of MIT-BIH 100: a flat channel and MLII, both named ``ECG``."""
    rec = wfdb.rdrecord(str(data_dir / "mitdb" / "100"), sampto=round(300 * FS))
    n = len(rec.p_signal)
    arrays = [np.zeros(n), rec.p_signal[:, 0]]
    channels = [ChannelInfo(i, "ECG", "mV", FS, 1.0, 0.0, n) for i in range(2)]

    def read(channel: int, first: int, stop: int) -> np.ndarray:
        return arrays[channel][max(0, first) : max(0, stop)]

    return SampleSource(channels, read)


class TestLeadChoice:
    def test_the_named_channel_is_analysed(self, twins: SampleSource) -> None:
        r = analyze(twins, conf=AnalysisConfig(channel=1))
        assert r.channel.index == 1
        assert 330 <= len(r.beats.samples) <= 400  # ~74/min for 5 min
        assert r.hr.mean_hr is not None and 65 < r.hr.mean_hr < 85

    def test_by_default_the_first_ecg_lead(self, twins: SampleSource) -> None:
        assert analyze(twins).channel.index == 0

    def test_channels_of_one_name_are_graded_apart(self, twins: SampleSource) -> None:
        r = analyze(twins, conf=AnalysisConfig(channel=1))
        assert set(r.quality) == {0, 1}
        assert len(r.quality[0]) == len(r.quality[1]) == 30  # 10-s segments, not 60 in one
        assert {q.grade for q in r.quality[1]} == {"A"}
        assert "A" not in {q.grade for q in r.quality[0]}  # the flat one reads badly
        assert set(r.to_dict()["quality"]) == {"0", "1"}  # type: ignore[arg-type]

    @pytest.mark.parametrize("channel", [2, -1])
    def test_a_channel_the_record_lacks_is_refused(self, twins: SampleSource, channel: int) -> None:
        with pytest.raises(AnalysisError, match="no channel"):
            analyze(twins, conf=AnalysisConfig(channel=channel))
