"""The fast order statistics give exactly what numpy (or the plain definition) gives."""

from __future__ import annotations

import numpy as np
import pytest

from wavetag.signal.robust import median, percentiles


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
