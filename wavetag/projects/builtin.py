"""The built-in label schemas, as data. Each goes through ``schemas.validate_schema`` like a
custom one, so a mistake here fails the test suite rather than a project.

Keys: a choice's ``key`` is its keyboard shortcut (single letter or digit, unique in the
schema; choices that depend on another field only need to be unique within their group).
A choice or grade marked ``unsure`` opens the task's discussion and never counts towards
agreement; a task with such an answer, or with a choice marked ``reject`` (the case cannot
be judged), always goes to an adjudicator.

Titles, descriptions and labels are English here and in a project's stored schema; the
Chinese is the catalogue's, looked up when a page shows them.
"""

from __future__ import annotations

from typing import Any

# Marks the texts for the catalogue; they are stored in English and shown translated
# (``schema_text``).
from django.utils.translation import gettext_noop


def _choices(*items: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"value": v, "label": label, "key": key} for v, label, key in items]


def _grouped(group: str, *items: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{**c, "group": group} for c in _choices(*items)]


ICU_ALARM: dict[str, Any] = {
    "name": "icu-alarm",
    "title": gettext_noop("ICU alarm review"),
    "description": gettext_noop("Was the bedside-monitor alarm real? One task per alarm event."),
    "tasks": "events",
    "max_annotators": 5,
    "defaults": {"annotators_per_task": 2, "batch_size": 10, "window_before": 10.0},
    "fields": [
        {
            "name": "decision",
            "label": gettext_noop("Decision"),
            "type": "choice",
            "required": True,
            "choices": [
                {"value": "True", "label": gettext_noop("True: a real event"), "key": "t"},
                {
                    "value": "False",
                    "label": gettext_noop("False: artefact or misdetection"),
                    "key": "f",
                },
                {
                    "value": "Uncertain",
                    "label": gettext_noop("Uncertain"),
                    "key": "u",
                    "unsure": True,
                },
                {
                    "value": "Reject",
                    "label": gettext_noop("Reject: cannot be judged"),
                    "key": "r",
                    "reject": True,
                },
            ],
        },
        {
            "name": "labels",
            "label": gettext_noop("Why"),
            "type": "multi",
            "required": False,
            "choices": _choices(
                ("artefact", gettext_noop("Motion or noise artefact"), "1"),
                ("lead-off", gettext_noop("Lead off or flat line"), "2"),
                ("low-amplitude", gettext_noop("Low amplitude"), "3"),
                ("pacing", gettext_noop("Pacing spikes"), "4"),
                ("other", gettext_noop("Other (see comment)"), "5"),
            ),
        },
    ],
    "agreement": ["decision"],
}

RESTING_12LEAD: dict[str, Any] = {
    "name": "resting-12lead",
    "title": gettext_noop("Resting 12-lead ECG diagnosis"),
    "description": gettext_noop(
        "Every diagnosis seen in the whole record, each Confirmed or Unsure."
    ),
    "tasks": "record",
    "max_annotators": 5,
    "defaults": {"annotators_per_task": 2, "batch_size": 10},
    "fields": [
        {
            "name": "diagnoses",
            "label": gettext_noop("Diagnoses"),
            "type": "multi",
            "required": True,
            "grades": [
                {"value": "Confirmed", "label": gettext_noop("Confirmed"), "key": "c"},
                {"value": "Unsure", "label": gettext_noop("Unsure"), "key": "u", "unsure": True},
            ],
            "choices": _choices(
                ("normal", gettext_noop("Normal ECG"), "n"),
                ("sinus-tachycardia", gettext_noop("Sinus tachycardia"), "t"),
                ("sinus-bradycardia", gettext_noop("Sinus bradycardia"), "b"),
                ("atrial-fibrillation", gettext_noop("Atrial fibrillation"), "a"),
                ("atrial-flutter", gettext_noop("Atrial flutter"), "f"),
                ("pac", gettext_noop("Premature atrial contraction (PAC)"), "p"),
                ("pvc", gettext_noop("Premature ventricular contraction (PVC)"), "v"),
                ("av-block-1", gettext_noop("1st-degree AV block"), "1"),
                ("lbbb", gettext_noop("Left bundle branch block"), "l"),
                ("rbbb", gettext_noop("Right bundle branch block"), "r"),
                ("st-depression", gettext_noop("ST depression"), "d"),
                ("st-elevation", gettext_noop("ST elevation"), "e"),
                ("early-repolarization", gettext_noop("Early repolarization"), "y"),
                ("t-wave-change", gettext_noop("T-wave change"), "w"),
                ("other", gettext_noop("Other (describe in free text)"), "o"),
            ),
        },
        {"name": "text", "label": gettext_noop("Free text"), "type": "text", "max_length": 2000},
    ],
    "agreement": ["diagnoses"],
}

WEARABLE_RHYTHM: dict[str, Any] = {
    "name": "wearable-rhythm",
    "title": gettext_noop("Wearable ECG rhythm and signal quality"),
    "description": gettext_noop(
        "Fixed-length segments of long records: signal quality and rhythm."
    ),
    "tasks": "segments",
    "max_annotators": 3,
    "defaults": {"annotators_per_task": 2, "batch_size": 10, "segment_seconds": 30},
    "fields": [
        {
            "name": "quality",
            "label": gettext_noop("Signal quality"),
            "type": "choice",
            "required": True,
            "choices": _choices(
                ("A", gettext_noop("A: good"), "a"),
                ("B", gettext_noop("B: medium (rhythm readable, morphology not)"), "b"),
                ("C", gettext_noop("C: poor"), "c"),
            ),
        },
        {
            "name": "rhythm",
            "label": gettext_noop("Rhythm"),
            "type": "choice",
            "required": True,
            "optional_when": {"quality": ["C"]},
            "choices": _choices(
                ("sinus", gettext_noop("Sinus"), "s"),
                ("atrial", gettext_noop("Atrial"), "t"),
                ("ventricular", gettext_noop("Ventricular"), "v"),
            ),
        },
        {
            "name": "subcategory",
            "label": gettext_noop("Subcategory"),
            "type": "choice",
            "required": True,
            "depends_on": "rhythm",
            "optional_when": {"quality": ["C"]},
            "choices": [
                *_grouped(
                    "sinus",
                    ("sinus-normal", gettext_noop("Normal"), "1"),
                    ("sinus-tachycardia", gettext_noop("Tachycardia"), "2"),
                    ("sinus-bradycardia", gettext_noop("Bradycardia"), "3"),
                    ("sinus-arrhythmia", gettext_noop("Arrhythmia"), "4"),
                    ("sinus-pause", gettext_noop("Pause"), "5"),
                    ("sinus-arrest", gettext_noop("Arrest"), "6"),
                ),
                *_grouped(
                    "atrial",
                    ("single-pac", gettext_noop("Single PAC"), "1"),
                    ("atrial-bigeminy", gettext_noop("Atrial bigeminy"), "2"),
                    ("atrial-trigeminy", gettext_noop("Atrial trigeminy"), "3"),
                    ("atrial-couplet", gettext_noop("Atrial couplet"), "4"),
                    (
                        "paroxysmal-atrial-tachycardia",
                        gettext_noop("Paroxysmal atrial tachycardia"),
                        "5",
                    ),
                    ("atrial-fibrillation", gettext_noop("Atrial fibrillation"), "6"),
                ),
                *_grouped(
                    "ventricular",
                    ("single-pvc", gettext_noop("Single PVC"), "1"),
                    ("ventricular-bigeminy", gettext_noop("Ventricular bigeminy"), "2"),
                    ("ventricular-trigeminy", gettext_noop("Ventricular trigeminy"), "3"),
                    ("interpolated-pvc", gettext_noop("Interpolated PVC"), "4"),
                    ("ventricular-couplet", gettext_noop("Ventricular couplet"), "5"),
                    ("nsvt", gettext_noop("Non-sustained VT"), "6"),
                ),
            ],
        },
    ],
    "agreement": ["quality", "rhythm", "subcategory"],
}

BEAT_CORRECTION: dict[str, Any] = {
    "name": "beat-correction",
    "title": gettext_noop("Correct the automatic beats"),
    "description": gettext_noop(
        "Each annotator corrects their own copy of the automatic beats (add, "
        "move, delete, relabel); the corrected sets are compared beat by beat and an "
        "adjudicator resolves where they differ."
    ),
    "type": "beats",
    # "automatic": the analysis's set; or an imported set's name (atr, qrs...).
    "start_set": "automatic",
    "tasks": "record",
    "max_annotators": 5,
    "defaults": {"annotators_per_task": 2, "batch_size": 5},
    "fields": [
        {
            "name": "quality",
            "label": gettext_noop("Signal quality"),
            "type": "choice",
            "required": False,
            # Digits: the beat codes (N, V, a, j...) are the editor's letter keys.
            "choices": _choices(
                ("A", gettext_noop("A: good"), "1"),
                ("B", gettext_noop("B: medium (beats readable, morphology not)"), "2"),
                ("C", gettext_noop("C: poor"), "3"),
            ),
        },
    ],
    "agreement": [],
}

TEMPLATES: dict[str, dict[str, Any]] = {
    t["name"]: t for t in (ICU_ALARM, RESTING_12LEAD, WEARABLE_RHYTHM, BEAT_CORRECTION)
}

# Shortcuts of the annotation page's own actions; choice keys are single characters, so
# they never collide with these.
ACTION_KEYS: dict[str, str] = {
    "submit": "enter",
    "later": "shift+l",
    "previous": "shift+arrowleft",
    "next": "shift+arrowright",
}
