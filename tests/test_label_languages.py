"""Labels per language: a custom schema may give a label as one text or one per language;
the pages show the reader's, answers and exports keep the values whatever the language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from tests.factories import make_member
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.export import export_csv, export_json
from wavetag.annotations.models import Annotation
from wavetag.projects.builtin import TEMPLATES
from wavetag.projects.schema_text import label_text, shown_schema
from wavetag.projects.schemas import SchemaError, validate_schema
from wavetag.projects.services import create_project

pytestmark = pytest.mark.django_db

BILINGUAL: dict[str, Any] = {
    "name": "bilingual",
    "title": "Rhythm check",
    "tasks": "record",
    "fields": [
        {
            "name": "rhythm",
            "label": {"en": "Rhythm", "zh-hans": "节律"},
            "help": {"en": "The dominant rhythm", "zh-hans": "主导节律"},
            "type": "choice",
            "required": True,
            "choices": [
                {
                    "value": "sinus",
                    "label": {"en": "Sinus rhythm", "zh-hans": "窦性心律"},
                    "key": "s",
                },
                {
                    "value": "af",
                    "label": {"en": "Atrial fibrillation", "zh-hans": "房颤"},
                    "key": "a",
                },
                # Only Chinese given: shown to everyone.
                {"value": "other", "label": {"zh-hans": "其他节律"}, "key": "o"},
            ],
        },
        {"name": "note", "label": "Note", "type": "text"},
    ],
}


def page(user: Any, url: str, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def post(user: Any, url: str, language: str, data: dict[str, str]) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    assert client.post(url, data).status_code == 302


@pytest.fixture
def world(ecg_record: Any) -> Any:
    from types import SimpleNamespace

    project = create_project("bilingual", "ecg", schema=BILINGUAL, batch_size=1)
    w = SimpleNamespace(project=project)
    w.en = make_member(project, "en_reader")
    w.zh = make_member(project, "zh_reader")
    (w.task,) = claim_batch(project, w.en)
    claim_batch(project, w.zh)
    return w


class TestShownLabels:
    def test_a_chinese_reader_sees_chinese_and_an_english_one_english(self, world: Any) -> None:
        url = f"/tasks/{world.task.pk}/"
        zh = page(world.zh, url, "zh-CN")
        en = page(world.en, url, "en")
        assert "节律" in zh and "窦性心律" in zh and "房颤" in zh and "主导节律" in zh
        assert "Sinus rhythm" not in zh and "Atrial fibrillation" not in zh
        assert "Sinus rhythm" in en and "Atrial fibrillation" in en and "The dominant rhythm" in en
        assert "窦性心律" not in en
        # A label given in one language only is shown in it to every reader.
        assert "其他节律" in en and "其他节律" in zh
        # The values the form sends are the same in both.
        for html in (zh, en):
            assert 'value="sinus"' in html and 'value="af"' in html

    def test_built_in_labels_come_from_the_catalogue(self) -> None:
        schema = validate_schema(TEMPLATES["icu-alarm"])
        with translation.override("zh-hans"):
            shown = shown_schema(schema)
        with translation.override("en"):
            english = shown_schema(schema)
        decision = shown["fields"][0]
        assert decision["label"] != "Decision" and english["fields"][0]["label"] == "Decision"
        assert [c["value"] for c in decision["choices"]] == ["True", "False", "Uncertain", "Reject"]
        assert all(
            c["label"] != e["label"]
            for c, e in zip(decision["choices"], english["fields"][0]["choices"], strict=True)
        )

    def test_label_text_falls_back_to_english_then_the_first(self) -> None:
        with translation.override("zh-hans"):
            assert label_text({"en": "Rhythm", "zh-hans": "节律"}) == "节律"
            assert label_text({"en": "Rhythm"}) == "Rhythm"
            assert (
                label_text("custom words not in the catalogue")
                == "custom words not in the catalogue"
            )
        with translation.override("en"):
            assert label_text({"zh-hans": "节律"}) == "节律"
            assert label_text("") == ""


class TestValuesStay:
    def test_an_answer_in_chinese_stores_what_one_in_english_does(self, world: Any) -> None:
        url = f"/tasks/{world.task.pk}/"
        body = {"rhythm": "af", "note": "", "comment": "", "status": "submitted"}
        post(world.zh, url, "zh-CN", body)
        post(world.en, url, "en", body)
        zh = Annotation.objects.get(task=world.task, user=world.zh)
        en = Annotation.objects.get(task=world.task, user=world.en)
        assert zh.answer == en.answer
        assert zh.answer["rhythm"] == "af"
        world.task.refresh_from_db()
        assert world.task.status == "agreed"
        with translation.override("zh-hans"):
            exported = export_json(world.project)
            csv = export_csv(world.project)
        text = str(exported)
        assert "房颤" not in text and "af" in text
        assert "房颤" not in csv and "Atrial fibrillation" not in csv
        # The schema is stored as given: both languages kept.
        assert world.project.schema["fields"][0]["label"] == {"en": "Rhythm", "zh-hans": "节律"}


class TestMalformed:
    @pytest.mark.parametrize(
        "label, where",
        [
            ({"fr": "Rythme"}, "field 'rhythm'.label"),
            ({}, "field 'rhythm'.label"),
            ({"zh-hans": ""}, "field 'rhythm'.label.zh-hans"),
            ({"en": 3}, "field 'rhythm'.label.en"),
            (["Rhythm"], "field 'rhythm'.label"),
        ],
    )
    def test_a_bad_label_is_refused_naming_the_field(self, label: Any, where: str) -> None:
        schema = {**BILINGUAL, "fields": [{**BILINGUAL["fields"][0], "label": label}]}
        with pytest.raises(SchemaError) as err:
            validate_schema(schema)
        assert str(err.value).startswith(where + ":"), str(err.value)

    def test_a_bad_choice_label_names_the_choice(self) -> None:
        field = dict(BILINGUAL["fields"][0])
        field["choices"] = [{"value": "sinus", "label": {"en": "Sinus", "de": "Sinus"}, "key": "s"}]
        with pytest.raises(SchemaError, match=r"^field 'rhythm'.choices\[0\].label: .*de"):
            validate_schema({**BILINGUAL, "fields": [field]})


class TestRefusedInChinese:
    def test_a_refused_answer_names_the_field_in_chinese(self, world: Any) -> None:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
        client.force_login(world.zh)
        body = {"note": "", "comment": "", "status": "submitted"}
        response = client.post(f"/tasks/{world.task.pk}/", body)
        html = response.content.decode()
        assert response.status_code == 400
        assert "rhythm: 必填" in html and "rhythm: required" not in html
        # The field is still found from the message, to mark it.
        assert 'aria-invalid="true" data-testid="field-rhythm"' in html
        assert not Annotation.objects.filter(task=world.task, user=world.zh).exists()
