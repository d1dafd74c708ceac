"""How a JSON window prints its numbers: from a per-channel table of packed texts."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np

from wavetag.records import windows


def printed(values: np.ndarray, info: SimpleNamespace, key: tuple[str, int] | None) -> list:
    out: list = []
    windows._numbers(out, values, info, key)
    return json.loads(b"".join(out))


class TestPrintedNumbers:
    def test_short_texts_from_the_channel_table(self) -> None:
        info = SimpleNamespace(gain=1000.0, baseline=0, invalid=-32768)
        values = np.array([0, 1, -1, 500, -3844, 2800, -32768, 12], np.int16)
        got = printed(values, info, ("test-short", 0))
        assert got == [0.0, 0.001, -0.001, 0.5, -3.844, 2.8, None, 0.012]

    def test_texts_wider_than_one_word(self) -> None:
        # A gain with no short decimal inverse prints 8 significant digits: 11-13 bytes.
        info = SimpleNamespace(gain=204.8, baseline=-7, invalid=None)
        values = np.array([-300, 5, 0, 17, 2047, -2048, 5], np.int16)
        got = printed(values, info, ("test-wide", 0))
        expected = (values.astype(np.float64) + 7) / 204.8
        np.testing.assert_allclose(got, expected, rtol=1e-7)
        assert len(set(len(repr(v)) for v in got)) > 1  # widths really differ

    def test_a_range_too_wide_for_a_table(self) -> None:
        info = SimpleNamespace(gain=100.0, baseline=0, invalid=None)
        values = np.array([-5_000_000, 0, 7, 5_000_000, 7], np.int32)
        assert windows.TEXT_TABLE_MAX < 10_000_001
        got = printed(values, info, ("test-range", 0))
        assert got == [-50000.0, 0.0, 0.07, 50000.0, 0.07]

    def test_without_a_cache_key(self) -> None:
        info = SimpleNamespace(gain=200.0, baseline=1024, invalid=None)
        got = printed(np.array([1024, 1025, 1023], np.int16), info, None)
        assert got == [0.0, 0.005, -0.005]

    def test_empty(self) -> None:
        info = SimpleNamespace(gain=1.0, baseline=0, invalid=None)
        assert printed(np.zeros(0, np.int16), info, ("test-empty", 0)) == []
