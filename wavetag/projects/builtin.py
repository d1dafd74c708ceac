"""The built-in label schemas, as data. Each goes through ``schemas.validate_schema`` like a
custom one, so a mistake here fails the test suite rather than a project.

Keys: a choice's ``key`` is its keyboard shortcut (single letter or digit, unique in the
schema; choices that depend on another field only need to be unique within their group).
A choice or grade marked ``unsure`` opens the task's discussion and never counts towards
agreement; a task with such an answer, or with a choice marked ``reject`` (the case cannot
be judged), always goes to an adjudicator.
"""

from __future__ import annotations

from typing import Any


def _choices(*items: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"value": v, "label": label, "key": key} for v, label, key in items]


def _grouped(group: str, *items: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{**c, "group": group} for c in _choices(*items)]


ICU_ALARM: dict[str, Any] = {
    "name": "icu-alarm",
    "title": "ICU alarm review",
    "description": "Was the bedside-monitor alarm real? One task per alarm event.",
    "tasks": "events",
    "max_annotators": 5,
    "defaults": {"annotators_per_task": 2, "batch_size": 10, "window_before": 10.0},
    "fields": [
        {
            "name": "decision",
            "label": "Decision",
            "type": "choice",
            "required": True,
            "choices": [
                {"value": "True", "label": "True: a real event", "key": "t"},
                {"value": "False", "label": "False: artefact or misdetection", "key": "f"},
                {"value": "Uncertain", "label": "Uncertain", "key": "u", "unsure": True},
                {
                    "value": "Reject",
                    "label": "Reject: cannot be judged",
                    "key": "r",
                    "reject": True,
                },
            ],
        },
        {
            "name": "labels",
            "label": "Why",
            "type": "multi",
            "required": False,
            "choices": _choices(
                ("artefact", "Motion or noise artefact", "1"),
                ("lead-off", "Lead off or flat line", "2"),
                ("low-amplitude", "Low amplitude", "3"),
                ("pacing", "Pacing spikes", "4"),
                ("other", "Other (see comment)", "5"),
            ),
        },
    ],
    "agreement": ["decision"],
}

RESTING_12LEAD: dict[str, Any] = {
    "name": "resting-12lead",
    "title": "Resting 12-lead ECG diagnosis",
    "description": "Every diagnosis seen in the whole record, each Confirmed or Unsure.",
    "tasks": "record",
    "max_annotators": 5,
    "defaults": {"annotators_per_task": 2, "batch_size": 10},
    "fields": [
        {
            "name": "diagnoses",
            "label": "Diagnoses",
            "type": "multi",
            "required": True,
            "grades": [
                {"value": "Confirmed", "label": "Confirmed", "key": "c"},
                {"value": "Unsure", "label": "Unsure", "key": "u", "unsure": True},
            ],
            "choices": _choices(
                ("normal", "Normal ECG", "n"),
                ("sinus-tachycardia", "Sinus tachycardia", "t"),
                ("sinus-bradycardia", "Sinus bradycardia", "b"),
                ("atrial-fibrillation", "Atrial fibrillation", "a"),
                ("atrial-flutter", "Atrial flutter", "f"),
                ("pac", "Premature atrial contraction (PAC)", "p"),
                ("pvc", "Premature ventricular contraction (PVC)", "v"),
                ("av-block-1", "1st-degree AV block", "1"),
                ("lbbb", "Left bundle branch block", "l"),
                ("rbbb", "Right bundle branch block", "r"),
                ("st-depression", "ST depression", "d"),
                ("st-elevation", "ST elevation", "e"),
                ("early-repolarization", "Early repolarization", "y"),
                ("t-wave-change", "T-wave change", "w"),
                ("other", "Other (describe in free text)", "o"),
            ),
        },
        {"name": "text", "label": "Free text", "type": "text", "max_length": 2000},
    ],
    "agreement": ["diagnoses"],
}

WEARABLE_RHYTHM: dict[str, Any] = {
    "name": "wearable-rhythm",
    "title": "Wearable ECG rhythm and signal quality",
    "description": "Fixed-length segments of long records: signal quality and rhythm.",
    "tasks": "segments",
    "max_annotators": 3,
    "defaults": {"annotators_per_task": 2, "batch_size": 10, "segment_seconds": 30},
    "fields": [
        {
            "name": "quality",
            "label": "Signal quality",
            "type": "choice",
            "required": True,
            "choices": _choices(
                ("A", "A: good", "a"),
                ("B", "B: medium (rhythm readable, morphology not)", "b"),
                ("C", "C: poor", "c"),
            ),
        },
        {
            "name": "rhythm",
            "label": "Rhythm",
            "type": "choice",
            "required": True,
            "optional_when": {"quality": ["C"]},
            "choices": _choices(
                ("sinus", "Sinus", "s"),
                ("atrial", "Atrial", "t"),
                ("ventricular", "Ventricular", "v"),
            ),
        },
        {
            "name": "subcategory",
            "label": "Subcategory",
            "type": "choice",
            "required": True,
            "depends_on": "rhythm",
            "optional_when": {"quality": ["C"]},
            "choices": [
                *_grouped(
                    "sinus",
                    ("sinus-normal", "Normal", "1"),
                    ("sinus-tachycardia", "Tachycardia", "2"),
                    ("sinus-bradycardia", "Bradycardia", "3"),
                    ("sinus-arrhythmia", "Arrhythmia", "4"),
                    ("sinus-pause", "Pause", "5"),
                    ("sinus-arrest", "Arrest", "6"),
                ),
                *_grouped(
                    "atrial",
                    ("single-pac", "Single PAC", "1"),
                    ("atrial-bigeminy", "Atrial bigeminy", "2"),
                    ("atrial-trigeminy", "Atrial trigeminy", "3"),
                    ("atrial-couplet", "Atrial couplet", "4"),
                    ("paroxysmal-atrial-tachycardia", "Paroxysmal atrial tachycardia", "5"),
                    ("atrial-fibrillation", "Atrial fibrillation", "6"),
                ),
                *_grouped(
                    "ventricular",
                    ("single-pvc", "Single PVC", "1"),
                    ("ventricular-bigeminy", "Ventricular bigeminy", "2"),
                    ("ventricular-trigeminy", "Ventricular trigeminy", "3"),
                    ("interpolated-pvc", "Interpolated PVC", "4"),
                    ("ventricular-couplet", "Ventricular couplet", "5"),
                    ("nsvt", "Non-sustained VT", "6"),
                ),
            ],
        },
    ],
    "agreement": ["quality", "rhythm", "subcategory"],
}

BEAT_CORRECTION: dict[str, Any] = {
    "name": "beat-correction",
    "title": "Correct the automatic beats",
    "description": "Each annotator corrects their own copy of the automatic beats (add, "
    "move, delete, relabel); the corrected sets are compared beat by beat and an "
    "adjudicator resolves where they differ.",
    "type": "beats",
    # "automatic": the analysis's set; or an imported set's name (atr, qrs...).
    "start_set": "automatic",
    "tasks": "record",
    "max_annotators": 5,
    "defaults": {"annotators_per_task": 2, "batch_size": 5},
    "fields": [
        {
            "name": "quality",
            "label": "Signal quality",
            "type": "choice",
            "required": False,
            # Digits: the beat codes (N, V, a, j...) are the editor's letter keys.
            "choices": _choices(
                ("A", "A: good", "1"),
                ("B", "B: medium (beats readable, morphology not)", "2"),
                ("C", "C: poor", "3"),
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
