"""The fast order statistics give exactly what numpy (or the plain definition) gives."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from wavetag.signal.robust import (
    BRACKET_MIN,
    median,
    median_rows,
    nanmedian_rows,
    order_statistics,
    percentiles,
)


class TestMedian:
    def test_odd_and_even_counts(self) -> None:
        assert median([5.0]) == 5.0
        assert median([3.0, 1.0, 2.0]) == 2.0
        assert median([4.0, 1.0, 3.0, 2.0]) == 2.5

    def test_equals_numpy_on_random_values(self) -> None:
        rng = np.random.default_rng(3)
        for n in range(1, 20):
            v = rng.standard_normal(n)
            assert median(v.tolist()) == float(np.median(v))


class TestMedianRows:
    @pytest.mark.parametrize("k", [1, 2, 8, 15, 17])
    def test_bit_for_bit_as_numpy(self, k: int) -> None:
        rng = np.random.default_rng(12)
        for scale in (1.0, 300.0, 1e-6):
            w = rng.standard_normal((500, k)) * scale
            w[::7] = np.round(w[::7])  # ties
            w[3, k // 2] = np.nan  # a row with NaN gives NaN, as in numpy
            assert np.array_equal(median_rows(w), np.median(w, axis=1), equal_nan=True)

    def test_windows_of_a_strided_view(self) -> None:
        r = np.random.default_rng(13).standard_normal(100).round(1)
        win = np.lib.stride_tricks.sliding_window_view(r, 16)
        assert np.array_equal(median_rows(win), np.median(win, axis=1))


class TestNanmedianRows:
    def test_bit_for_bit_as_numpy(self) -> None:
        rng = np.random.default_rng(11)
        for trial in range(60):
            m, k = int(rng.integers(1, 300)), int(rng.integers(1, 40))
            w = rng.standard_normal((m, k)) * 10 ** rng.uniform(-5, 5)
            if trial % 3 == 0:
                w = np.round(w)  # ties, as sample counts give
            w[rng.random((m, k)) < rng.uniform(0, 1)] = np.nan  # some rows all NaN
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                want = np.nanmedian(w, axis=1)
            got = nanmedian_rows(w)
            assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True)

    def test_windows_of_a_strided_view(self) -> None:
        r = np.array([3.0, np.nan, 1.0, 7.0, 2.0, np.nan, np.nan, np.nan, 5.0])
        win = np.lib.stride_tricks.sliding_window_view(r, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            assert np.array_equal(nanmedian_rows(win), np.nanmedian(win, axis=1), equal_nan=True)


class TestPercentiles:
    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    @pytest.mark.parametrize("q", [75, 1.0, [1, 99], [25, 50, 75], [0, 100], (99.5,)])
    def test_bit_for_bit_as_numpy(self, dtype: type, q: object) -> None:
        rng = np.random.default_rng(7)
        for n in (1, 2, 3, 39, 200, 4000):
            # Coarse values give ties, as quantised samples do.
            v = np.round(rng.standard_normal((5, n)) * rng.choice([1.0, 100.0]))
            v = v.astype(dtype)
            want = np.percentile(v, q, axis=-1)
            got = percentiles(v, q)  # type: ignore[arg-type]
            assert got.dtype == want.dtype and got.shape == want.shape
            assert np.array_equal(got, want), (n, q, dtype)

    def test_along_the_last_axis_of_a_strided_three_d_array(self) -> None:
        rng = np.random.default_rng(8)
        h = rng.standard_normal((50, 59, 2))
        search = np.arange(59) >= 20
        want = np.percentile(h[:, search, :], 75, axis=1)
        got = percentiles(np.moveaxis(h[:, search, :], 1, -1), 75)
        assert np.array_equal(got, want)

    def test_leaves_its_input_alone(self) -> None:
        v = np.array([[3.0, 1.0, 2.0]])
        percentiles(v, 50)
        assert v.tolist() == [[3.0, 1.0, 2.0]]


class TestOrderStatisticsOfLongRows:
    """Long rows are bracketed (a sample of each row places the candidates): the values
    are those of a sort, whatever the rows hold."""

    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    @pytest.mark.parametrize("n", [BRACKET_MIN, 2000, 2001, 7777])
    def test_as_a_sort(self, dtype: type, n: int) -> None:
        rng = np.random.default_rng(n)
        v = np.abs(rng.standard_normal((40, n))).astype(dtype)
        v[5] = np.round(v[5])  # ties, many
        v[6] = 1.0  # one value
        ks = [0, 19, 20, n // 2 - 1, n // 2, n - 21, n - 20, n - 1]
        got = order_statistics(v, ks)
        ranked = np.sort(v, axis=-1)
        for k in ks:
            assert got[k].dtype == v.dtype and np.array_equal(got[k], ranked[:, k]), k

    def test_a_misleading_sample_falls_back_to_the_whole_row(self) -> None:
        # Every sampled value huge: the brackets miss the middle; the answer must not.
        rng = np.random.default_rng(1)
        v = rng.standard_normal((8, 2000))
        v[:4, :: 2000 // 128] = 1e9
        got = order_statistics(v, [999, 1000])
        ranked = np.sort(v, axis=-1)
        assert np.array_equal(got[999], ranked[:, 999])
        assert np.array_equal(got[1000], ranked[:, 1000])

    def test_strided_three_d_rows(self) -> None:
        rng = np.random.default_rng(2)
        h = rng.standard_normal((3, 2500, 2))
        v = h.transpose(0, 2, 1)  # rows strided in memory
        assert np.array_equal(percentiles(v, [1, 99]), np.percentile(v, [1, 99], axis=-1))
