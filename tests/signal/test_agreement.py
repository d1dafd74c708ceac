"""Beat matching (bxb-style, EC57) and Cohen's kappa."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb
import wfdb.processing

from wavetag.signal.agreement import cohen_kappa, fleiss_kappa, match_beats

FS = 1000.0  # 1 sample = 1 ms: shifts of 149 and 151 ms are exact


class TestMatchBeats:
    def test_identical_sets_match_completely(self) -> None:
        b = np.arange(500, 60000, 800)
        m = match_beats(b, b, FS)
        assert m.n_matched == len(b)
        assert np.array_equal(m.pairs[:, 0], m.pairs[:, 1])
        assert len(m.missed) == len(m.extra) == 0
        assert m.sensitivity == m.ppv == 1.0

    def test_shift_of_149_ms_matches_and_151_does_not(self) -> None:
        ref = np.array([1000, 3000, 5000])
        assert match_beats(ref, ref + 149, FS).n_matched == 3
        assert match_beats(ref, ref - 149, FS).n_matched == 3
        far = match_beats(ref, ref + 151, FS)
        assert far.n_matched == 0
        assert far.missed.tolist() == [0, 1, 2]
        assert far.extra.tolist() == [0, 1, 2]
        assert far.sensitivity == 0.0 and far.ppv == 0.0

    def test_window_edge_is_inclusive(self) -> None:
        assert match_beats([1000], [1150], FS).n_matched == 1
        assert match_beats([1000], [1151], FS).n_matched == 0

    def test_double_detection_is_one_match_and_one_extra(self) -> None:
        m = match_beats([1000, 2000], [990, 1030, 2000], FS)
        assert m.pairs.tolist() == [[0, 0], [1, 2]]
        assert m.extra.tolist() == [1]
        assert m.ppv == pytest.approx(2 / 3)

    def test_nearest_pair_first(self) -> None:
        # The test beat at 1100 is nearer to ref 1140 than to ref 1000.
        m = match_beats([1000, 1140], [1100], FS)
        assert m.pairs.tolist() == [[1, 0]]
        assert m.missed.tolist() == [0]

    def test_one_to_one(self) -> None:
        # Each reference beat gets its own test beat even when one test beat
        # is nearest to both.
        m = match_beats([1000, 1200], [1100, 1290], FS)
        assert m.n_matched == 2
        assert sorted(m.pairs[:, 1].tolist()) == [0, 1]

    def test_unsorted_input(self) -> None:
        m = match_beats([3000, 1000, 2000], [2010, 2990, 1005], FS)
        assert m.pairs.tolist() == [[0, 1], [1, 2], [2, 0]]

    def test_empty_sets(self) -> None:
        both = match_beats([], [], FS)
        assert both.n_matched == 0 and both.sensitivity == 1.0 and both.ppv == 1.0
        no_test = match_beats([100, 900], [], FS)
        assert no_test.missed.tolist() == [0, 1] and no_test.sensitivity == 0.0
        no_ref = match_beats([], [100], FS)
        assert no_ref.extra.tolist() == [0] and no_ref.ppv == 0.0

    def test_labels_give_disagreements_confusion_and_kappa(self) -> None:
        ref = [1000, 2000, 3000, 4000, 5000]
        test = [1010, 2005, 2990, 4000]
        m = match_beats(ref, test, FS, ref_labels=list("NVNNV"), test_labels=list("NVVN"))
        assert m.disagreements == [(2, 2, "N", "V")]
        assert m.confusion == {("N", "N"): 2, ("V", "V"): 1, ("N", "V"): 1}
        se, pp = m.class_stats("V")
        # Ref V beats: one matched as V, one missed (counts against Se).
        assert se == pytest.approx(1 / 2)
        assert pp == pytest.approx(1 / 2)
        assert m.kappa == pytest.approx(cohen_kappa(list("NVNN"), list("NVVN")))
        assert m.summary()["label_disagreements"] == 1

    def test_label_lengths_are_checked(self) -> None:
        with pytest.raises(ValueError, match="labels"):
            match_beats([1, 2], [1, 2], FS, ref_labels=["N"], test_labels=["N", "N"])


class TestCohenKappa:
    def test_perfect_agreement(self) -> None:
        assert cohen_kappa(list("NVAN"), list("NVAN")) == 1.0

    def test_textbook_example(self) -> None:
        # 50 items: both yes 20, both no 15, a-yes/b-no 5, a-no/b-yes 10.
        a = ["y"] * 25 + ["n"] * 25
        b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
        # p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5 -> kappa 0.4.
        assert cohen_kappa(a, b) == pytest.approx(0.4)

    def test_chance_level_is_near_zero(self) -> None:
        rng = np.random.default_rng(3)
        a = rng.choice(["AF", "NSR", "other"], 5000).tolist()
        b = rng.choice(["AF", "NSR", "other"], 5000).tolist()
        assert abs(cohen_kappa(a, b)) < 0.05

    def test_systematic_disagreement_is_negative(self) -> None:
        assert cohen_kappa(list("ABAB"), list("BABA")) == pytest.approx(-1.0)

    def test_one_shared_label(self) -> None:
        assert cohen_kappa(["N", "N"], ["N", "N"]) == 1.0

    def test_bad_input(self) -> None:
        with pytest.raises(ValueError):
            cohen_kappa(["a"], ["a", "b"])
        with pytest.raises(ValueError):
            cohen_kappa([], [])


class TestAgainstWfdb:
    @pytest.mark.parametrize("record", ["100", "105"])
    def test_counts_agree_with_wfdb_compare_annotations(self, data_dir: Path, record: str) -> None:
        path = str(data_dir / "mitdb" / record)
        rec = wfdb.rdrecord(path, channels=[0])
        ann = wfdb.rdann(path, "atr")
        beat = np.isin(ann.symbol, list("NLRBAaJSVrFejnE/fQ"))
        ref = ann.sample[beat]
        test = wfdb.processing.gqrs_detect(rec.p_signal[:, 0], fs=rec.fs)
        window = int(0.15 * rec.fs)
        theirs = wfdb.processing.compare_annotations(ref, test, window)
        ours = match_beats(ref, test, rec.fs, window_s=window / rec.fs)
        # wfdb walks the reference beats in order; nearest-pairs-first can
        # pair up one more beat where two candidates compete.
        assert abs(ours.n_matched - theirs.tp) <= 2
        assert ours.n_matched >= theirs.tp
        assert len(ours.missed) == len(ref) - ours.n_matched
        assert len(ours.extra) == len(test) - ours.n_matched
        assert ours.sensitivity > 0.99


class TestFleissKappa:
    def test_wikipedia_example(self) -> None:
        # Fleiss (1971) as worked on Wikipedia: 10 items, 14 raters, 5 categories.
        table = [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ]
        ratings = [[c for c, k in enumerate(row) for _ in range(k)] for row in table]
        assert fleiss_kappa(ratings) == pytest.approx(0.210, abs=0.001)

    def test_two_raters_close_to_cohen(self) -> None:
        a = ["y"] * 25 + ["n"] * 25
        b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
        # Fleiss pools the raters' marginals; Cohen keeps them apart.
        assert fleiss_kappa(list(zip(a, b, strict=True))) == pytest.approx(0.3939, abs=1e-3)

    def test_perfect_and_bad_input(self) -> None:
        assert fleiss_kappa([["AF", "AF", "AF"], ["NSR", "NSR", "NSR"]]) == pytest.approx(1.0)
        assert fleiss_kappa([["N", "N"], ["N", "N"]]) == 1.0
        with pytest.raises(ValueError):
            fleiss_kappa([["a", "b"], ["a"]])
        with pytest.raises(ValueError):
            fleiss_kappa([])
