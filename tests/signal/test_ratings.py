"""Agreement statistics on nominal labels, checked against statsmodels, scikit-learn and
the krippendorff package on random data, and by hand on small cases."""

from __future__ import annotations

import doctest
import json

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats import inter_rater

from wavetag.signal import ratings
from wavetag.signal.ratings import (
    cohen_kappa,
    coincidence,
    confusion,
    field_agreement,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    versus_reference,
)

CATS = ["N", "V", "A", "L"]
SEEDS = range(8)


def noisy_labels(rng: np.random.Generator, shape: tuple[int, int], k: int) -> np.ndarray:
    """Codes 0..k-1, shape (items, raters): a true class per item with unequal priors,
    each rater right with probability 0.7 and otherwise uniform, so that agreement is
    well above chance and below perfect."""
    priors = rng.dirichlet(np.ones(k))
    truth = rng.choice(k, size=shape[0], p=priors)
    right = rng.random(shape) < 0.7
    return np.where(right, truth[:, None], rng.integers(0, k, size=shape))


def to_items(codes: np.ndarray, missing: np.ndarray | None = None) -> list[dict[str, str]]:
    """One item per row, rater ``r<j>`` per column, leaving out the ``missing`` cells."""
    return [
        {f"r{j}": CATS[c] for j, c in enumerate(row) if missing is None or not missing[i, j]}
        for i, row in enumerate(codes.tolist())
    ]


class TestAgainstReferenceImplementations:
    @pytest.mark.parametrize("seed", SEEDS)
    def test_fleiss_kappa_equals_statsmodels(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        k = int(rng.integers(2, 5))
        codes = noisy_labels(rng, (int(rng.integers(5, 200)), int(rng.integers(2, 7))), k)
        table, _ = inter_rater.aggregate_raters(codes, n_cat=k)
        expected = inter_rater.fleiss_kappa(table)
        assert fleiss_kappa(to_items(codes), CATS[:k]) == pytest.approx(expected, abs=1e-9)

    def test_fleiss_kappa_ignores_who_rated(self) -> None:
        # Fleiss: any m raters per item; rater names differ from item to item.
        codes = noisy_labels(np.random.default_rng(1), (50, 3), 3)
        items = [{f"x{i}{j}": CATS[c] for j, c in enumerate(row)} for i, row in enumerate(codes)]
        expected = inter_rater.fleiss_kappa(inter_rater.aggregate_raters(codes, n_cat=3)[0])
        assert fleiss_kappa(items, CATS[:3]) == pytest.approx(expected, abs=1e-9)

    @pytest.mark.parametrize("seed", SEEDS)
    def test_cohen_kappa_equals_sklearn(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        k = int(rng.integers(2, 5))
        codes = noisy_labels(rng, (int(rng.integers(3, 300)), 2), k)
        a, b = ([CATS[c] for c in col] for col in codes.T)
        expected = cohen_kappa_score(a, b)
        assert cohen_kappa(a, b, CATS[:k]) == pytest.approx(expected, abs=1e-9)
        assert cohen_kappa(a, b) == pytest.approx(expected, abs=1e-9)

    @pytest.mark.parametrize("seed", SEEDS)
    def test_krippendorff_alpha_with_missing_ratings(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        k = int(rng.integers(2, 5))
        codes = noisy_labels(rng, (int(rng.integers(10, 200)), int(rng.integers(2, 7))), k)
        # Up to half the ratings missing: items get different numbers of ratings, some
        # one or none (not pairable).
        missing = rng.random(codes.shape) < rng.uniform(0.0, 0.5)
        data = np.where(missing, np.nan, codes.astype(float)).T
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        items = to_items(codes, missing)
        assert len({len(it) for it in items}) > 1
        assert krippendorff_alpha(items, CATS[:k]) == pytest.approx(expected, abs=1e-9)
        assert krippendorff_alpha(items) == pytest.approx(expected, abs=1e-9)

    def test_krippendorff_alpha_of_krippendorffs_own_example(self) -> None:
        # Krippendorff, "Computing Krippendorff's alpha-reliability" (2011), section C:
        # 4 observers, 12 units, nominal alpha = 0.743.
        nan = np.nan
        data = np.array(
            [
                [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
                [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
                [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
                [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
            ]
        )
        items = [
            {f"o{j}": int(v) for j, v in enumerate(unit) if not np.isnan(v)} for unit in data.T
        ]
        alpha = krippendorff_alpha(items, [1, 2, 3, 4, 5])
        assert alpha == pytest.approx(0.743, abs=5e-4)
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert alpha == pytest.approx(expected, abs=1e-9)
        # Row 1 of the coincidence matrix, by hand: units 1 (1 1 1), 6 (1 2 3 4),
        # 8 (1 2 1 1) and 11 (1 1) give o_11 = 3 + 2 + 2, o_12 = 1/3 + 1, o_13 = o_14 = 1/3.
        o = coincidence(items, [1, 2, 3, 4, 5])
        assert o[0] == pytest.approx([7, 4 / 3, 1 / 3, 1 / 3, 0])
        assert sum(map(sum, o)) == pytest.approx(40)  # the pairable values


class TestHandChecked:
    def test_perfect_agreement(self) -> None:
        items = [{"a": c, "b": c, "c": c} for c in ["N", "V", "N", "A"]]
        assert percent_agreement(items) == 1.0
        assert fleiss_kappa(items, CATS) == pytest.approx(1.0)
        assert krippendorff_alpha(items, CATS) == pytest.approx(1.0)
        assert cohen_kappa(["N", "V", "A"], ["N", "V", "A"]) == pytest.approx(1.0)

    def test_percent_agreement_counts_pairs(self) -> None:
        # 1 of 3 pairs agree; 1 of 1; the single rating is not an item for agreement.
        items = [{"a": "N", "b": "V", "c": "V"}, {"a": "N", "b": "N"}, {"a": "V"}]
        assert percent_agreement(items) == pytest.approx((1 / 3 + 1) / 2)

    def test_undefined_is_none(self) -> None:
        one_class = [{"a": "N", "b": "N"}, {"a": "N", "b": "N", "c": "N"}]
        lonely = [{"a": "N"}, {"b": "V"}, {}]
        for items in ([], lonely):
            assert percent_agreement(items) is None
            assert fleiss_kappa(items, CATS) is None
            assert krippendorff_alpha(items, CATS) is None
        assert fleiss_kappa(one_class[:1], CATS) is None
        assert krippendorff_alpha(one_class, CATS) is None
        assert cohen_kappa(["N", "N"], ["N", "N"]) is None
        assert cohen_kappa([], []) is None

    def test_fleiss_needs_equal_numbers_of_ratings(self) -> None:
        items = [{"a": "N", "b": "V"}, {"a": "N", "b": "N", "c": "V"}, {"a": "V"}]
        assert fleiss_kappa(items, CATS) is None
        assert fleiss_kappa(items[:1] + items[2:], CATS) is not None

    def test_unknown_category_raises_naming_it(self) -> None:
        items = [{"a": "N", "b": "X"}]
        for call in (
            lambda: fleiss_kappa(items, CATS),
            lambda: krippendorff_alpha(items, CATS),
            lambda: coincidence(items, CATS),
            lambda: field_agreement(items, CATS),
            lambda: cohen_kappa(["N"], ["X"], CATS),
            lambda: confusion(["N"], ["X"], CATS),
            lambda: versus_reference(["X"], ["N"], CATS),
        ):
            with pytest.raises(ValueError, match="'X'"):
                call()
        # Also in an item that is too small to count.
        with pytest.raises(ValueError, match="'Q'"):
            krippendorff_alpha([{"a": "N", "b": "V"}, {"a": "Q"}], CATS)

    def test_mismatched_lengths_raise(self) -> None:
        with pytest.raises(ValueError):
            cohen_kappa(["N", "V"], ["N"])

    def test_confusion_orientation(self) -> None:
        assert confusion(["N", "N", "V"], ["V", "N", "V"], ["N", "V"]) == [[1, 1], [0, 1]]

    def test_coincidence_small(self) -> None:
        # Item 1: N, N (m=2) -> o_NN += 2. Item 2: N, N, V (m=3) -> o_NN += 1,
        # o_NV += 1, o_VN += 1.
        o = coincidence([{"a": "N", "b": "N"}, {"a": "N", "b": "N", "c": "V"}], ["N", "V", "A"])
        assert o == [[3.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]

    def test_versus_reference(self) -> None:
        reference = ["N", "N", "N", "N", "V", "V", "A"]
        answers = ["N", "N", "N", "V", "V", "N", "N"]
        r = versus_reference(answers, reference, ["N", "V", "A", "L"])
        assert r["n"] == 7
        assert r["agreement"] == pytest.approx(4 / 7)
        assert r["cohen_kappa"] == pytest.approx(cohen_kappa_score(answers, reference))
        assert r["confusion"] == [[3, 1, 0, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
        assert r["classes"] == {
            "N": {"support": 4, "sensitivity": 0.75, "precision": 0.6},
            "V": {"support": 2, "sensitivity": 0.5, "precision": 0.5},
            "A": {"support": 1, "sensitivity": 0.0, "precision": None},
            "L": {"support": 0, "sensitivity": None, "precision": None},
        }

    def test_versus_reference_keys_are_strings(self) -> None:
        r = versus_reference([1, 2], [1, 1], [1, 2])
        assert list(r["classes"]) == ["1", "2"]
        assert versus_reference([], [], [1, 2])["agreement"] is None

    def test_docstring_examples(self) -> None:
        assert doctest.testmod(ratings).failed == 0


class TestFieldAgreement:
    def test_equal_numbers_of_ratings_choose_fleiss(self) -> None:
        codes = noisy_labels(np.random.default_rng(3), (40, 3), 3)
        items = to_items(codes) + [{"r0": "N"}]  # too small to count
        out = field_agreement(items, CATS[:3])
        assert out["items"] == 40 and out["ratings"] == 120
        assert out["coefficient"] == "fleiss_kappa"
        assert out["value"] == out["fleiss_kappa"] == fleiss_kappa(items, CATS[:3])
        assert out["krippendorff_alpha"] == krippendorff_alpha(items, CATS[:3])
        assert out["percent_agreement"] == percent_agreement(items)
        assert out["coincidence"] == coincidence(items, CATS[:3])
        assert out["categories"] == CATS[:3]

    def test_pairs(self) -> None:
        codes = noisy_labels(np.random.default_rng(4), (30, 3), 4)
        missing = np.zeros(codes.shape, dtype=bool)
        missing[:25, 2] = True  # r2 shares only 5 items with each of the others
        items = to_items(codes, missing)
        out = field_agreement(items, CATS, min_shared=10)
        assert out["coefficient"] == "krippendorff_alpha"
        assert out["value"] == out["krippendorff_alpha"]
        assert out["fleiss_kappa"] is None
        (pair,) = out["pairs"]
        assert (pair["a"], pair["b"], pair["shared"]) == ("r0", "r1", 30)
        a, b = ([CATS[c] for c in col] for col in codes[:, :2].T)
        assert pair["agreement"] == pytest.approx(np.mean(codes[:, 0] == codes[:, 1]))
        assert pair["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b), abs=1e-9)
        assert pair["confusion"] == confusion(a, b, CATS)
        assert len(field_agreement(items, CATS, min_shared=5)["pairs"]) == 3

    def test_json_ready(self) -> None:
        for items in (
            to_items(noisy_labels(np.random.default_rng(5), (20, 4), 4)),
            [{"a": "N", "b": "N"}] * 12,  # undefined coefficients
            [],
        ):
            out = field_agreement(items, CATS)
            text = json.dumps(out, allow_nan=False)  # numpy scalars or NaN would fail
            assert json.loads(text) == out
