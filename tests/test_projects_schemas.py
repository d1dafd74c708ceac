"""Label schemas: the built-in templates, custom schemas and their errors, answers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from wavetag.errors import InvalidInput
from wavetag.projects.builtin import ACTION_KEYS, TEMPLATES
from wavetag.projects.schemas import (
    SchemaError,
    answers_agree,
    clean_answer,
    is_unsure,
    label_of,
    template_schema,
    validate_schema,
)

CUSTOM: dict[str, Any] = {
    "name": "sleep-apnea",
    "title": "Apnea events",
    "tasks": "segments",
    "fields": [
        {
            "name": "event",
            "type": "choice",
            "required": True,
            "choices": [
                {"value": "none", "key": "n"},
                {"value": "obstructive", "key": "o"},
                {"value": "central", "key": "c"},
                {"value": "unsure", "key": "u", "unsure": True},
            ],
        },
        {"name": "leads", "type": "multi", "choices": ["thorax", "abdomen", "flow"]},
        {"name": "spo2_drop", "type": "number", "min": 0, "max": 100},
        {"name": "notes", "type": "text", "max_length": 50},
    ],
    "defaults": {"annotators_per_task": 3, "segment_seconds": 30},
}


def broken(path: list[Any], value: Any) -> dict[str, Any]:
    """CUSTOM with the entry at ``path`` replaced (or removed, for value=...)."""
    schema = copy.deepcopy(CUSTOM)
    node: Any = schema
    for key in path[:-1]:
        node = node[key]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return schema


class TestBuiltinTemplates:
    @pytest.mark.parametrize("name", sorted(TEMPLATES))
    def test_valid_and_every_decision_has_a_shortcut(self, name: str) -> None:
        schema = template_schema(name)
        for field in schema["fields"]:
            for choice in field.get("choices", []) + field.get("grades", []):
                if field["type"] == "choice" or choice in field.get("grades", []):
                    assert len(choice.get("key", "")) == 1, (name, choice)
        assert set(ACTION_KEYS) == {"submit", "later", "previous", "next"}

    def test_icu_alarm_decisions(self) -> None:
        (decision, _) = template_schema("icu-alarm")["fields"]
        assert [c["value"] for c in decision["choices"]] == ["True", "False", "Uncertain", "Reject"]

    def test_12_lead_diagnoses_list(self) -> None:
        (diagnoses, text) = template_schema("resting-12lead")["fields"]
        assert len(diagnoses["choices"]) == 15
        assert [g["value"] for g in diagnoses["grades"]] == ["Confirmed", "Unsure"]
        assert text["type"] == "text"

    def test_wearable_subcategories(self) -> None:
        schema = template_schema("wearable-rhythm")
        assert schema["max_annotators"] == 3
        sub = schema["fields"][2]
        groups: dict[str, int] = {}
        for c in sub["choices"]:
            groups[c["group"]] = groups.get(c["group"], 0) + 1
        assert groups == {"sinus": 6, "atrial": 6, "ventricular": 6}

    def test_unknown_template(self) -> None:
        with pytest.raises(SchemaError, match="template: unknown template 'icu'"):
            template_schema("icu")


class TestCustomSchema:
    def test_valid_custom_schema_gets_defaults(self) -> None:
        schema = validate_schema(CUSTOM)
        assert schema["agreement"] == ["event", "leads", "spo2_drop"]
        assert schema["fields"][1]["required"] is False
        assert schema["fields"][1]["choices"][0] == {"value": "thorax", "label": "thorax"}

    @pytest.mark.parametrize(
        ("path", "value", "message"),
        [
            (["fields"], [], "fields: must be a list of 1 to 50 fields"),
            (["fields", 0, "name"], "Event", "fields[0].name: must be lower-case"),
            (["fields", 0, "name"], "comment", "field 'comment': the name is reserved"),
            (["fields", 1, "name"], "event", "field 'event': appears twice"),
            (["fields", 0, "type"], "radio", "field 'event'.type: must be one of"),
            (["fields", 0, "choices"], [], "field 'event'.choices: must be a list of 1 to 500"),
            (["fields", 0, "choices", 1, "key"], "n", "field 'event': shortcut 'n' of"),
            (["fields", 0, "choices", 1, "key"], "NN", "field 'event'.choices[1].key: must be"),
            (["fields", 0, "choices", 1, "key"], ..., "field 'event'.choices[1].key: every"),
            (
                ["fields", 0, "choices", 1, "value"],
                "none",
                "field 'event'.choices[1].value: 'none' appears twice",
            ),
            (["fields", 0, "required"], "yes", "field 'event'.required: must be true or false"),
            (["fields", 0, "colour"], "red", "field 'event': unknown entries colour"),
            (["fields", 2, "min"], "zero", "field 'spo2_drop'.min: must be a number"),
            (["fields", 3, "max_length"], 0, "field 'notes'.max_length: must be a whole"),
            (["agreement"], ["notes"], "agreement: 'notes' is not a choice"),
            (["agreement"], ["nothing"], "agreement: 'nothing' is not"),
            (["tasks"], "beats", "tasks: must be one of record, events, segments"),
            (["max_annotators"], 9, "max_annotators: must be a whole number from 1 to 5"),
            (["defaults"], {"colour": 1}, "defaults: may only set"),
            (["extra"], 1, "schema: unknown entries extra"),
        ],
    )
    def test_errors_name_the_field(self, path: list[Any], value: Any, message: str) -> None:
        with pytest.raises(SchemaError) as err:
            validate_schema(broken(path, value))
        assert str(err.value).startswith(message), str(err.value)

    def test_not_an_object(self) -> None:
        with pytest.raises(SchemaError, match="schema: must be a JSON object"):
            validate_schema(["fields"])

    def test_depends_on_and_optional_when_are_checked(self) -> None:
        schema = copy.deepcopy(CUSTOM)
        schema["fields"].append(
            {
                "name": "kind",
                "type": "choice",
                "depends_on": "event",
                "optional_when": {"event": ["none"]},
                "choices": [{"value": "mixed", "key": "1", "group": "obstructive"}],
            }
        )
        validate_schema(schema)
        schema["fields"][-1]["choices"][0]["group"] = "snoring"
        with pytest.raises(SchemaError, match="group 'snoring' of 'mixed' is not a choice"):
            validate_schema(schema)
        schema["fields"][-1]["depends_on"] = "notes"
        with pytest.raises(SchemaError, match="field 'kind'.depends_on: must name a choice"):
            validate_schema(schema)
        schema["fields"][-1].pop("depends_on")
        schema["fields"][-1]["choices"][0].pop("group")
        schema["fields"][-1]["optional_when"] = {"event": ["maybe"]}
        with pytest.raises(SchemaError, match="optional_when.event: must list choices"):
            validate_schema(schema)


class TestAnswers:
    schema = validate_schema(CUSTOM)

    def test_clean_answer(self) -> None:
        answer = clean_answer(
            self.schema, {"event": "central", "leads": ["flow"], "spo2_drop": 4}, complete=True
        )
        assert answer == {"event": "central", "leads": ["flow"], "spo2_drop": 4}

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"event": "mixed"}, "event: 'mixed' is not allowed (one of none, obstructive,"),
            ({"event": 3}, "event: 3 is not allowed"),
            ({"event": "none", "leads": "flow"}, "leads: must be a list"),
            ({"event": "none", "leads": ["chin"]}, "leads: 'chin' is not one of"),
            ({"event": "none", "spo2_drop": 140}, "spo2_drop: must be between 0 and 100"),
            ({"event": "none", "spo2_drop": True}, "spo2_drop: must be a number"),
            ({"event": "none", "notes": "x" * 51}, "notes: at most 50 characters"),
            ({"leads": []}, "event: required"),
            ({"event": "none", "colour": "red"}, "colour: not a field of this schema"),
        ],
    )
    def test_invalid_answers_name_the_field(self, data: dict[str, Any], message: str) -> None:
        with pytest.raises(InvalidInput) as err:
            clean_answer(self.schema, data, complete=True)
        assert str(err.value).startswith(message), str(err.value)

    def test_draft_may_be_incomplete_but_not_wrong(self) -> None:
        assert clean_answer(self.schema, {"leads": ["flow"]}, complete=False) == {"leads": ["flow"]}
        with pytest.raises(InvalidInput, match="event: 'x' is not allowed"):
            clean_answer(self.schema, {"event": "x"}, complete=False)

    def test_agreement_of_custom_schema(self) -> None:
        a = {"event": "central", "leads": ["flow", "thorax"], "notes": "a"}
        b = {"event": "central", "leads": ["thorax", "flow"], "notes": "b"}
        assert answers_agree(self.schema, [a, b])
        assert label_of(self.schema, a) == {
            "event": "central",
            "leads": ["flow", "thorax"],
            "spo2_drop": None,
        }
        assert not answers_agree(self.schema, [a, {**b, "leads": ["flow"]}])
        unsure = {"event": "unsure"}
        assert is_unsure(self.schema, unsure)
        assert not answers_agree(self.schema, [unsure, unsure])
