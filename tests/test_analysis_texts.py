"""The automatic analysis's words in Chinese: the table of the web side is the signal
core's vocabulary, word for word, and a statement's text, lead groups and evidence read
in Chinese with their numbers and units unchanged."""

from __future__ import annotations

from django.utils import translation

from wavetag.analysis import texts
from wavetag.signal.statements import TEXTS
from wavetag.signal.vocabulary import EVENT_NAMES


class TestTable:
    def test_every_statement_and_rhythm_of_the_core_is_marked(self) -> None:
        assert texts.STATEMENTS == TEXTS
        assert texts.RHYTHMS == EVENT_NAMES

    def test_a_statement_with_its_lead_groups_and_evidence(self) -> None:
        item = {"code": "st-elevation", "text": "ST elevation, inferior and lateral"}
        evidence = "inferior and lateral (ST at J+60 ms, mV: II +0.21, AVF +0.15)"
        with translation.override("zh-hans"):
            assert texts.statement(item) == "ST 段抬高, 下壁 和 侧壁"
            assert (
                texts.phrases(evidence)
                == "下壁 和 侧壁 (ST 测量点 J+60 ms, mV: II +0.21, AVF +0.15)"
            )
            assert texts.statement({"code": "rbbb", "text": "Right bundle branch block"}) == (
                "右束支传导阻滞"
            )
            assert texts.rhythm("(AFIB", "atrial fibrillation") == "心房颤动"
            # A label the table does not know keeps the name it came with.
            assert texts.rhythm("(XYZ", "something new") == "something new"
        with translation.override("en"):
            assert texts.statement(item) == item["text"]
            assert texts.phrases(evidence) == evidence


class TestHistoryLines:
    def test_an_edit_is_told_in_the_readers_language(self) -> None:
        from wavetag.records.history import describe
        from wavetag.records.models import AnnotationEdit

        edit = AnnotationEdit(
            op="move", before=[{"time": 1.5, "symbol": "N"}], after=[{"time": 1.75, "symbol": "N"}]
        )
        assert describe(edit)["text"] == "moved beat N from 1.500 s to 1.750 s"
        with translation.override("zh-hans"):
            assert describe(edit)["text"] == "将心搏 N 从 1.500 s 移到 1.750 s"
