"""Creating projects, and the tasks each template cuts from real records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wavetag.errors import InvalidInput, StateConflict
from wavetag.projects.models import Project, Task
from wavetag.projects.services import add_member, create_project
from wavetag.projects.tasks import alarm_type_from, make_tasks

from .factories import import_ok, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(settings: Any, tmp_path: Path) -> None:
    settings.STORE_DIR = tmp_path / "store"


@pytest.fixture
def icu(icu_alarms: Any) -> None:
    """All of challenge2015 (v102s and v221l) in dataset icu."""


def tasks_of(project: Project) -> list[Task]:
    return list(Task.objects.filter(project=project).select_related("record").order_by("key"))


class TestIcuAlarmTasks:
    def test_event_at_300_gives_one_task_per_record(self, icu: None) -> None:
        project = make_project("alarms", "icu", event_at=300)
        tasks = tasks_of(project)
        assert [t.record.name for t in tasks] == ["v102s", "v221l"]
        for t in tasks:
            assert t.event_time == 300.0
            assert (t.window_start, t.window_end) == (290.0, 300.0)
            # The alarm's name from the header; never its verdict.
            assert t.alarm_type == "Ventricular_Tachycardia"

    def test_window_around_the_event_is_adjustable_and_clipped(self, icu: None) -> None:
        project = make_project("alarms", "icu", event_at=300, window_before=20, window_after=60)
        spans = {t.record.name: (t.window_start, t.window_end) for t in tasks_of(project)}
        assert spans == {"v102s": (280.0, 300.0), "v221l": (280.0, 330.0)}

    def test_neither_event_set_nor_time_gives_a_whole_record_task(self, icu: None) -> None:
        project = make_project("alarms", "icu")
        spans = {t.record.name: (t.event_time, t.window_end) for t in tasks_of(project)}
        assert spans == {"v102s": (None, 300.0), "v221l": (None, 330.0)}
        # A time after the end of a record: that record is one whole-record task.
        project = make_project("late", "icu", event_at=320)
        events = {t.record.name: t.event_time for t in tasks_of(project)}
        assert events == {"v102s": None, "v221l": 320.0}

    def test_events_from_an_annotation_set(self, store: None, data_dir: Path) -> None:
        import wfdb

        import_ok(data_dir / "mitdb/100", dataset="mit")
        project = make_project("apc", "mit", event_set="atr", event_match="A", window_after=2)
        times = [t.event_time for t in tasks_of(project)]
        ann = wfdb.rdann(str(data_dir / "mitdb/100"), "atr")
        expected = sorted(
            s / 360.0 for s, sym in zip(ann.sample, ann.symbol, strict=True) if sym == "A"
        )
        assert len(times) == 33
        assert sorted(times) == pytest.approx(expected)

    def test_alarm_events_of_synthetic_icu_records(self, store: None, tmp_path: Path) -> None:
        from wavetag.signal.synth import demo_records, write_wfdb

        for spec in demo_records(0):
            if spec.name.startswith("icu_"):
                write_wfdb(tmp_path / "icu", None, spec)
        import_ok(tmp_path / "icu", dataset="synthetic")
        project = make_project("synth", "synthetic", event_set="atr", event_match="ALARM")
        tasks = tasks_of(project)
        assert sorted(t.record.name for t in tasks) == ["icu_vt_false", "icu_vt_true"]
        assert all(t.event_time is not None and t.event_time >= 299 for t in tasks)
        assert all(t.alarm_type == "Ventricular_Tachycardia" for t in tasks)

    def test_alarm_type_never_takes_the_verdict(self) -> None:
        assert alarm_type_from("Ventricular_Tachycardia\nFalse alarm") == "Ventricular_Tachycardia"
        assert alarm_type_from("True alarm\nAsystole") == "Asystole"
        assert alarm_type_from("True alarm") == ""
        assert alarm_type_from("ALARM Extreme_Bradycardia") == "Extreme_Bradycardia"


class TestOtherTemplates:
    def test_12_lead_task_is_the_whole_record(self, store: None, data_dir: Path) -> None:
        import_ok(data_dir / "ptbxl/00001_lr", data_dir / "ptbdb/s0010_re", dataset="ecg")
        project = make_project("ecg", "ecg", "resting-12lead")
        spans = {t.record.name: (t.window_start, round(t.window_end, 3)) for t in tasks_of(project)}
        assert spans == {"00001_lr": (0.0, 10.0), "s0010_re": (0.0, 38.4)}

    def test_wearable_segments_10_or_30_s(self, store: None, data_dir: Path) -> None:
        import_ok(data_dir / "mitdb/100", dataset="holter")
        thirty = make_project("w30", "holter", "wearable-rhythm")
        assert thirty.segment_seconds == 30 and len(tasks_of(thirty)) == 60
        ten = make_project("w10", "holter", "wearable-rhythm", segment_seconds=10)
        assert len(tasks_of(ten)) == 180
        with pytest.raises(InvalidInput, match="segment_seconds: must be 10 or 30"):
            make_project("w20", "holter", "wearable-rhythm", segment_seconds=20)

    def test_making_tasks_again_adds_only_new_records(self, store: None, data_dir: Path) -> None:
        import_ok(data_dir / "ptbxl/00001_lr", dataset="ecg")
        project = make_project("ecg", "ecg", "resting-12lead")
        assert make_tasks(project) == 0
        import_ok(data_dir / "ptbdb/s0010_re", dataset="ecg")
        assert make_tasks(project) == 1
        assert len(tasks_of(project)) == 2


class TestCreateProject:
    def test_defaults(self, icu: None) -> None:
        project = make_project("alarms", "icu", event_at=300)
        assert (project.annotators_per_task, project.batch_size, project.blind) == (2, 10, True)
        assert (project.window_before, project.window_after) == (10.0, 0.0)
        assert project.visible_sets == []
        assert project.schema["name"] == "icu-alarm"

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"name": ""}, "name: must be 1 to 200 characters"),
            ({"dataset": "nope"}, "dataset: no dataset named 'nope'"),
            ({"template": "nope"}, "template: unknown template 'nope'"),
            ({"annotators_per_task": 6}, "annotators_per_task: must be a whole number from 1 to 5"),
            ({"annotators_per_task": 0}, "annotators_per_task: must be a whole number from 1 to 5"),
            ({"batch_size": 0}, "batch_size: must be a whole number from 1 to 1000"),
            ({"window_before": -1}, "window_before: must be between 0 and 3600"),
            ({"segment_seconds": 10}, "segment_seconds: only for segment templates"),
            ({"event_at": -5}, "event_at: must be between"),
        ],
    )
    def test_errors_name_the_setting(self, icu: None, kwargs: dict[str, Any], message: str) -> None:
        options = {"name": "alarms", "dataset": "icu", "template": "icu-alarm", **kwargs}
        name, dataset = options.pop("name"), options.pop("dataset")
        with pytest.raises(InvalidInput) as err:
            create_project(name, dataset, **options)
        assert str(err.value).startswith(message), str(err.value)

    def test_names_are_unique_and_wearable_allows_three(self, store: None, data_dir: Path) -> None:
        import_ok(data_dir / "ptbxl/00001_lr", dataset="ecg")
        make_project("p", "ecg", "resting-12lead")
        with pytest.raises(StateConflict, match="name: a project named 'p' already exists"):
            make_project("p", "ecg", "resting-12lead")
        with pytest.raises(InvalidInput, match="schema allows at most 3"):
            make_project("w", "ecg", "wearable-rhythm", annotators_per_task=4)

    def test_custom_schema(self, icu: None) -> None:
        schema = {
            "name": "artefact",
            "tasks": "events",
            "fields": [
                {
                    "name": "noisy",
                    "type": "choice",
                    "required": True,
                    "choices": [{"value": "yes", "key": "y"}, {"value": "no", "key": "n"}],
                }
            ],
        }
        project = create_project("custom", "icu", schema=schema, event_at=300)
        assert project.template == "custom" and len(tasks_of(project)) == 2
        schema["fields"][0]["choices"][1]["key"] = "y"
        with pytest.raises(InvalidInput, match="field 'noisy': shortcut 'y'"):
            create_project("custom2", "icu", schema=schema)

    def test_roles(self, icu: None) -> None:
        project = make_project("alarms", "icu")
        user = make_user("u", password=None)
        add_member(project, user, "annotator")
        add_member(project, user, "admin")
        assert project.memberships.get(user=user).role == "admin"
        with pytest.raises(InvalidInput, match="role: must be one of"):
            add_member(project, user, "boss")

    def test_the_last_admin_keeps_the_role(self, icu: None) -> None:
        from wavetag.annotations.changes import remove_member
        from wavetag.errors import StateConflict

        project = make_project("alarms", "icu")
        lead, deputy = make_user("lead", password=None), make_user("deputy", password=None)
        add_member(project, lead, "admin")
        for attempt in (
            lambda: add_member(project, lead, "adjudicator"),
            lambda: remove_member(project, lead),
        ):
            with pytest.raises(StateConflict, match="lead is the last admin of alarms"):
                attempt()
        assert project.memberships.get(user=lead).role == "admin"
        add_member(project, deputy, "admin")
        add_member(project, lead, "annotator")
        with pytest.raises(StateConflict, match="deputy is the last admin"):
            remove_member(project, deputy)
        # A site admin fixing things from the command may leave a project without admins.
        assert remove_member(project, deputy, allow_no_admin=True)
        assert not project.memberships.filter(role="admin").exists()
