"""Min/max envelope arithmetic: bucket sizes, bucket counts, exact reductions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wavetag.signal.envelope import (
    bucket_count,
    bucket_sizes,
    choose_bucket,
    level_for,
    reduce_groups,
    reduce_minmax,
    restore_invalid,
    split_invalid,
    to_physical,
)
from wavetag.signal.recording import ChannelInfo


def allowed(factor: int, limit: int) -> list[int]:
    return list(itertools.takewhile(lambda b: b <= limit, bucket_sizes(factor)))


class TestBucketSizes:
    def test_factor_4_sequence(self) -> None:
        assert allowed(4, 200) == [1, 2, 3, 4, 8, 12, 16, 32, 48, 64, 128, 192]

    @pytest.mark.parametrize("factor", [2, 3, 4, 8, 16])
    def test_increasing_with_ratio_at_most_two(self, factor: int) -> None:
        sizes = allowed(factor, 10**9)
        assert sizes[0] == 1
        assert all(a < b <= 2 * a for a, b in itertools.pairwise(sizes))

    def test_factor_below_two_is_refused(self) -> None:
        with pytest.raises(ValueError, match="factor"):
            next(bucket_sizes(1))

    @pytest.mark.parametrize(
        ("bucket", "top", "level"),
        [(1, 9, 0), (2, 9, 0), (3, 9, 0), (4, 9, 1), (12, 9, 1), (16, 9, 2), (48, 9, 2),
         (4**7 * 3, 9, 7), (4**12, 9, 9), (4**12, 0, 0)],
    )  # fmt: skip
    def test_level_for(self, bucket: int, top: int, level: int) -> None:
        assert level_for(bucket, 4, top) == level


class TestChooseBucket:
    def check(self, first: int, n: int, max_points: int, factor: int = 4) -> None:
        stop = first + n
        size = choose_bucket(first, stop, max_points, factor)
        count = bucket_count(first, stop, size)
        assert count <= max_points
        assert 2 * count >= max_points, (first, n, max_points)
        # the smallest allowed size: the one before it gives too many buckets
        smaller = [b for b in allowed(factor, size) if b < size]
        if smaller:
            assert bucket_count(first, stop, smaller[-1]) > max_points

    def test_counts_within_half_and_full_exhaustively(self) -> None:
        for first in range(0, 50, 7):
            for n in range(1, 260):
                for max_points in range(2, min(n, 40)):
                    self.check(first, n, max_points)

    def test_counts_within_half_and_full_on_large_random_spans(self) -> None:
        rng = np.random.default_rng(7)
        for _ in range(20000):
            first = int(rng.integers(0, 10**9))
            n = int(10 ** rng.uniform(0, 9)) + 1
            max_points = int(rng.choice([2, 3, 5, 10, 99, 500, 1000, 1999, 2000, 4096]))
            if n > max_points:
                self.check(first, n, max_points)

    @pytest.mark.parametrize("factor", [2, 3, 8])
    def test_other_factors_keep_the_bounds(self, factor: int) -> None:
        rng = np.random.default_rng(factor)
        for _ in range(3000):
            first, n = int(rng.integers(0, 10**6)), int(rng.integers(2, 10**6))
            max_points = int(rng.integers(2, min(n, 3000) + 1))
            if n > max_points:
                self.check(first, n, max_points, factor)

    def test_bucket_count_is_grid_aligned(self) -> None:
        assert bucket_count(0, 8, 4) == 2
        assert bucket_count(3, 5, 4) == 2  # samples 3 and 4 straddle a boundary
        assert bucket_count(4, 8, 4) == 1

    def test_one_point_means_one_bucket(self) -> None:
        size = choose_bucket(1000, 5000, 1, 4)
        assert bucket_count(1000, 5000, size) == 1

    def test_refuses_empty_range_and_no_points(self) -> None:
        with pytest.raises(ValueError):
            choose_bucket(5, 5, 10, 4)
        with pytest.raises(ValueError):
            choose_bucket(0, 5, 0, 4)


class TestReductions:
    @pytest.mark.parametrize("dtype", [np.int16, np.int32])
    @pytest.mark.parametrize("factor", [2, 3, 4, 8])
    def test_reduce_minmax_matches_numpy(self, dtype: type, factor: int) -> None:
        x = np.random.default_rng(1).integers(-30000, 30000, factor * 1001).astype(dtype)
        mins, maxs = reduce_minmax(x, x, factor)
        assert mins.dtype == dtype
        np.testing.assert_array_equal(mins, x.reshape(-1, factor).min(axis=1))
        np.testing.assert_array_equal(maxs, x.reshape(-1, factor).max(axis=1))

    def test_reduce_groups_handles_a_short_last_group(self) -> None:
        x = np.arange(10, dtype=np.int16)[::-1].copy()
        mins, maxs = reduce_groups(x, x, 4)
        assert mins.tolist() == [6, 2, 0]
        assert maxs.tolist() == [9, 5, 1]

    @pytest.mark.parametrize("group", [2, 3, 5, 16, 17, 40])
    @pytest.mark.parametrize("length", [1, 7, 160, 1001])
    def test_reduce_groups_matches_reduceat(self, group: int, length: int) -> None:
        # Small groups take a strided path, larger ones reduceat: both give the same.
        rng = np.random.default_rng(group * length)
        lo = rng.integers(-30000, 0, length).astype(np.int16)
        hi = rng.integers(0, 30000, length).astype(np.int16)
        mins, maxs = reduce_groups(lo, hi, group)
        starts = np.arange(0, length, group)
        np.testing.assert_array_equal(mins, np.minimum.reduceat(lo, starts))
        np.testing.assert_array_equal(maxs, np.maximum.reduceat(hi, starts))
        assert mins.dtype == np.int16 and mins.flags.writeable and maxs.flags.writeable

    def test_reduce_groups_of_one_copies(self) -> None:
        x = np.arange(5, dtype=np.int16)
        mins, _ = reduce_groups(x, x, 1)
        mins[0] = 99
        assert x[0] == 0

    def test_invalid_samples_are_ignored_and_empty_buckets_marked(self) -> None:
        inv = -32768
        x = np.array([5, inv, -3, 7, inv, inv, inv, inv, 32767, inv, 1, 2], np.int16)
        mins, maxs = reduce_minmax(*split_invalid(x, inv), 4)
        # and one more level up, through the sentinel form
        mins2, maxs2 = reduce_groups(mins, maxs, 2)
        restore_invalid(mins, maxs, inv)
        assert mins.tolist() == [-3, inv, 1]
        assert maxs.tolist() == [7, inv, 32767]
        restore_invalid(mins2, maxs2, inv)
        assert mins2.tolist() == [-3, 1] and maxs2.tolist() == [7, 32767]

    def test_invalid_value_inside_the_range(self) -> None:
        # WFDB format 212 marks missing samples with -2048, a value inside int16
        x = np.array([-2048, -2048, 100, -2048, -5, -2048], np.int16)
        mins, maxs = reduce_minmax(*split_invalid(x, -2048), 2)
        restore_invalid(mins, maxs, -2048)
        assert mins.tolist() == [-2048, 100, -5]
        assert maxs.tolist() == [-2048, 100, -5]

    def test_split_invalid_does_not_copy_clean_data(self) -> None:
        x = np.arange(8, dtype=np.int16)
        lo, hi = split_invalid(x, -32768)
        assert lo is x and hi is x


class TestToPhysical:
    def test_gain_baseline_and_nan(self) -> None:
        info = ChannelInfo(0, "ABP", "mmHg", 125.0, 80.0, 100, 3, dtype="int32", invalid=-(2**31))
        arr = np.array([100, 900, -(2**31)], np.int32)
        out = to_physical(arr, info)
        assert out.dtype == np.float32
        assert out[:2].tolist() == [0.0, 10.0] and np.isnan(out[2])

    def test_zero_gain_is_an_error(self) -> None:
        info = ChannelInfo(0, "x", "mV", 1.0, 0.0, 0, 1)
        with pytest.raises(ValueError, match="gain"):
            to_physical(np.zeros(1, np.int16), info)
