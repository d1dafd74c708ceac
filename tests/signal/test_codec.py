"""The delta-varint coding of the binary window form: exact round trips, compact on ECG."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from wavetag.signal.codec import decode_delta_varint, encode_delta_varint, encode_many

from ..conftest import DATA_DIR as DATA


class TestRoundTrip:
    @pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "uint16", "int32", "uint32"])
    def test_extremes_and_random_values(self, dtype: str) -> None:
        info = np.iinfo(dtype)
        rng = np.random.default_rng(7)
        values = np.concatenate(
            [
                [info.min, info.max, info.min, 0, info.max, info.max, info.min],
                rng.integers(info.min, int(info.max) + 1, 5000, dtype=np.int64),
            ]
        ).astype(dtype)
        coded = encode_delta_varint(values)
        np.testing.assert_array_equal(decode_delta_varint(coded, len(values)), values)

    def test_empty_and_single(self) -> None:
        assert encode_delta_varint(np.zeros(0, np.int16)) == b""
        assert decode_delta_varint(b"", 0).size == 0
        assert encode_delta_varint(np.array([0], np.int16)) == b"\x00"
        assert encode_delta_varint(np.array([-1], np.int16)) == b"\x01"
        assert encode_delta_varint(np.array([64], np.int16)) == b"\x80\x01"

    @pytest.mark.parametrize("step", [3, 300, 20_000])
    def test_many_arrays_each_decode_on_their_own(self, step: int) -> None:
        # One pass over a window's arrays, empty ones between them, each value needing
        # one byte (step 3), up to two (300) or up to three (20,000).
        rng = np.random.default_rng(step)
        arrays = [
            np.cumsum(rng.integers(-step, step + 1, n)).clip(-32768, 32767).astype(np.int16)
            for n in (0, 1, 700, 0, 2500, 3)
        ]
        coded = encode_many(arrays)
        assert len(coded) == len(arrays)
        for values, blob in zip(arrays, coded, strict=True):
            assert blob == encode_delta_varint(values)
            np.testing.assert_array_equal(decode_delta_varint(blob, len(values)), values)

    def test_wrong_count_is_refused(self) -> None:
        coded = encode_delta_varint(np.arange(10, dtype=np.int16) * 300)
        with pytest.raises(ValueError, match="expected 11 varints"):
            decode_delta_varint(coded, 11)
        with pytest.raises(ValueError):
            decode_delta_varint(coded[:-1], 10)


class TestSize:
    def test_ecg_takes_under_1_5_bytes_a_sample(self) -> None:
        record = wfdb.rdrecord(str(DATA / "mitdb" / "105"), physical=False)
        for channel in range(record.n_sig):
            samples = record.d_signal[:, channel].astype(np.int16)
            coded = encode_delta_varint(samples)
            assert len(coded) < 1.5 * len(samples)
            np.testing.assert_array_equal(decode_delta_varint(coded, len(samples)), samples)
