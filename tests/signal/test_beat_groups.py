"""Grouping the beats of k corrected sets (bxb matching) and listing where they differ,
on hand-made beat lists."""

from __future__ import annotations

import pytest

from wavetag.signal.agreement import group_beats, match_beats, pairwise_agreement

FS = 360.0


def kinds(groups: list) -> list[tuple[int, str | None]]:
    return [(g.sample, g.kind) for g in groups]


class TestTwoSets:
    def test_identical_sets_agree(self) -> None:
        beats = [100, 400, 700, 1000]
        groups = group_beats([beats, beats], [["N"] * 4, ["N"] * 4], FS)
        assert kinds(groups) == [(100, None), (400, None), (700, None), (1000, None)]
        assert all(g.members == [i, i] for i, g in enumerate(groups))

    def test_deleted_beat_is_missing_in_that_set(self) -> None:
        groups = group_beats([[100, 400, 700], [100, 700]], [["N", "N", "N"], ["N", "N"]], FS)
        assert kinds(groups) == [(100, None), (400, "missing"), (700, None)]
        assert groups[1].members == [1, None] and groups[1].labels == ["N", None]

    def test_added_beat_is_extra_in_that_set(self) -> None:
        groups = group_beats([[100, 700], [100, 400, 700]], [["N", "N"], ["N", "V", "N"]], FS)
        assert kinds(groups) == [(100, None), (400, "missing"), (700, None)]
        assert groups[1].labels == [None, "V"]

    def test_relabelled_beat_is_a_label_disagreement(self) -> None:
        groups = group_beats([[100, 400], [100, 400]], [["N", "N"], ["N", "V"]], FS)
        assert kinds(groups) == [(100, None), (400, "label")]
        assert groups[1].labels == ["N", "V"]

    def test_within_150_ms_is_one_beat_at_the_mean_position(self) -> None:
        moved = 400 + int(0.149 * FS)
        groups = group_beats([[400], [moved]], [["N"], ["N"]], FS)
        assert kinds(groups) == [(round((400 + moved) / 2), None)]

    def test_beyond_150_ms_is_two_beats(self) -> None:
        far = 400 + int(0.151 * FS) + 1
        groups = group_beats([[400], [far]], [["N"], ["N"]], FS)
        assert kinds(groups) == [(400, "missing"), (far, "missing")]

    def test_nearest_pair_wins(self) -> None:
        # Two beats of set b near one of set a: the nearer is its match, the other extra.
        groups = group_beats([[1000], [960, 1010]], [["N"], ["N", "N"]], FS)
        assert kinds(groups) == [(960, "missing"), (1005, None)]

    def test_counts_match_bxb(self) -> None:
        a = [100, 400, 700, 1000, 1300]
        b = [105, 690, 1000, 1500]
        groups = group_beats([a, b], [["N"] * 5, ["N"] * 4], FS)
        m = match_beats(a, b, FS)
        missing = [g for g in groups if g.kind == "missing"]
        assert len(missing) == len(m.missed) + len(m.extra) == 3

    def test_empty_sets(self) -> None:
        assert group_beats([[], []], [[], []], FS) == []
        groups = group_beats([[], [50]], [[], ["N"]], FS)
        assert kinds(groups) == [(50, "missing")]


class TestThreeSets:
    def test_each_group_says_what_every_annotator_has(self) -> None:
        a, b, c = [100, 400, 700], [101, 702], [99, 400, 705, 1000]
        labels = [["N", "N", "N"], ["N", "V"], ["N", "N", "N", "A"]]
        groups = group_beats([a, b, c], labels, FS)
        assert [g.kind for g in groups] == [None, "missing", "label", "missing"]
        assert groups[1].labels == ["N", None, "N"]
        assert groups[2].labels == ["N", "V", "N"]
        assert groups[3].labels == [None, None, "A"] and groups[3].members == [None, None, 3]

    def test_labels_must_match_beats(self) -> None:
        with pytest.raises(ValueError, match="set 1"):
            group_beats([[1], [1, 2]], [["N"], ["N"]], FS)


class TestPairwise:
    def test_se_ppv_and_kappa_per_pair(self) -> None:
        a = [100, 400, 700, 1000]
        b = [100, 400, 1000]
        c = [100, 400, 700, 1000]
        labels = [["N", "V", "N", "N"], ["N", "V", "N"], ["N", "N", "N", "N"]]
        pairs = pairwise_agreement([a, b, c], labels, FS)
        assert [(p["a"], p["b"]) for p in pairs] == [(0, 1), (0, 2), (1, 2)]
        assert pairs[0]["sensitivity"] == pytest.approx(0.75) and pairs[0]["ppv"] == 1.0
        assert pairs[0]["kappa"] == pytest.approx(1.0)
        assert pairs[1]["sensitivity"] == 1.0 and pairs[1]["label_disagreements"] == 1
        assert pairs[1]["kappa"] is not None and pairs[1]["kappa"] < 1.0
