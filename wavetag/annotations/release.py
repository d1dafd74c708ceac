"""A project's release bundle: the dataset others download, PhysioNet-style.

``wavetag export PROJECT --out DIR`` writes::

    RECORDS                     the records, one a line
    <record>.hea, <record>.dat  each record of the project's tasks, samples as imported
    <record>.final              a beat-correction project's final beats (WFDB annotations)
    labels.csv, labels.json     one row per task: its final label and how it was reached
    annotators/answers.csv      every submitted answer, under pseudonymous ids
    annotators/answers.json
    annotators/annotator-NN/<record>.task<id>   a beat task's corrected beats, per annotator
    annotators/names.csv        pseudonym -> user name (only with ``with_names``)
    README.md                   schema, counts, agreement, provenance, licence
    SHA256SUMS                  ``sha256sum -c SHA256SUMS`` checks every other file

Steps of :func:`write_release`:

1. **Refuse** an existing non-empty ``DIR``, before anything is read: a release is never
   written over another one.
2. **Write into** ``DIR.partial`` (emptied first: what a killed export left there), so
   that ``DIR`` never holds half a bundle.
3. **Records** as WFDB (``records.signal_files``: the stored digital samples and gains).
4. **Labels and answers** from the project export (``export.export_json``), so that a
   bundle and the export endpoint never disagree about a task. People are
   ``annotator-NN`` / ``adjudicator-NN``, numbered in the order they joined wavetag
   (user id), stable from one export to the next; user names are written only on request.
5. **Annotation sets** as WFDB files; a set with text outside ASCII, which WFDB cannot
   carry faithfully (``records.annotation_files``), as CSV and JSON instead, said so in
   the README.
6. **README, then SHA256SUMS** (over every file, the README included), then one rename
   ``DIR.partial`` -> ``DIR``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from django.contrib.auth import get_user_model

from wavetag.errors import InvalidInput, StateConflict
from wavetag.projects.beat_schema import is_beat_schema
from wavetag.projects.models import Project, Task, TaskStatus
from wavetag.projects.schemas import label_of
from wavetag.records.annotation_files import export_csv as set_csv
from wavetag.records.annotation_files import export_json as set_json
from wavetag.records.annotation_files import export_wfdb
from wavetag.records.models import AnnotationSet, Record
from wavetag.records.signal_files import write_wfdb

from .agreement import statistics
from .export import FORMULA_START, export_json
from .models import Adjudication, Annotation, AnnotationStatus, TaskSet
from .release_readme import readme

DEFAULT_LICENCE = "To be set by the data owner: no licence has been chosen for this release yet."
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
T = TypeVar("T")
LABEL_COLUMNS = ("task", "record", "start", "end", "event", "status", "decided_by")


@dataclass
class Release:
    """What a bundle holds, for its README and the command's summary."""

    project: Project
    out: Path
    records: dict[int, str] = field(default_factory=dict)  # record id -> file name
    tasks: int = 0
    final: int = 0
    answers: int = 0
    annotators: int = 0
    notes: list[str] = field(default_factory=list)
    annotation_files: list[str] = field(default_factory=list)
    agreement: dict[str, Any] = field(default_factory=dict)
    licence: str = DEFAULT_LICENCE
    with_names: bool = False
    exported_at: str = ""


def _file_names(records: Iterable[Record]) -> dict[int, str]:
    """A file name per record (WFDB names: letters, digits, ``_`` and ``-``), unique."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for record in records:
        base = _UNSAFE.sub("_", record.name) or f"record{record.pk}"
        name, n = base, 2
        while name.lower() in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name.lower())
        names[record.pk] = name
    return names


def _pseudonyms(project: Project) -> dict[int, str]:
    """User id -> ``annotator-NN`` (submitted an answer) or ``adjudicator-NN``."""
    answered = set(
        Annotation.objects.filter(
            task__project=project, status=AnnotationStatus.SUBMITTED
        ).values_list("user_id", flat=True)
    )
    judged = (
        set(
            Adjudication.objects.filter(task__project=project, user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
        - answered
    )
    out: dict[int, str] = {}
    for kind, ids in (("annotator", answered), ("adjudicator", judged)):
        width = max(2, len(str(len(ids))))
        for n, user_id in enumerate(sorted(ids), start=1):
            out[user_id] = f"{kind}-{n:0{width}d}"
    return out


def _write(release: Release, path: str, data: bytes | str) -> None:
    target = release.out / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.encode() if isinstance(data, str) else data)


def _csv(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([_cell(c) for c in row] for row in rows)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A CSV cell: lists joined by ``;``, and text a spreadsheet would run as a formula
    defused as the project export does (the JSON files keep it as it was written)."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _write_set(release: Release, aset: AnnotationSet, stem: str) -> str:
    """The set as ``stem`` (WFDB), or ``stem.csv`` + ``stem.json`` when it holds text a WFDB
    file cannot carry; returns the WFDB file's name, or the CSV's."""
    try:
        _write(release, stem, export_wfdb(aset))
        release.annotation_files.append(stem)
        return stem
    except InvalidInput:
        _write(release, f"{stem}.csv", set_csv(aset))
        _write(release, f"{stem}.json", json.dumps(set_json(aset), indent=1, ensure_ascii=False))
        release.notes.append(
            f"{stem}: labels hold text outside ASCII, which WFDB annotation files cannot "
            f"carry faithfully; written as {stem}.csv and {stem}.json instead"
        )
        return f"{stem}.csv"


def _task_agreement(project: Project, item: dict[str, Any], answers: list[dict[str, Any]]) -> Any:
    """Share of the task's submitted answers that give its final label (form tasks); for
    a beat task, the beats both annotators of each pair give with the same label, over
    the beats either gives, averaged over the pairs. None without a final label."""
    if item["final_label"] is None:
        return None
    if is_beat_schema(project.schema):
        pairs = (item.get("beat_comparison") or {}).get("pairs") or []
        shares = [
            (p["matched"] - p["label_disagreements"]) / total
            for p in pairs
            if (total := p["matched"] + p["missed"] + p["extra"])
        ]
        return round(sum(shares) / len(shares), 4) if shares else None
    if not answers:
        return None
    final = label_of(project.schema, item["final_label"])
    same = sum(label_of(project.schema, a["answer"] or {}) == final for a in answers)
    return round(same / len(answers), 4)


def _label_item(
    release: Release, item: dict[str, Any], submitted: list[dict[str, Any]], **found: Any
) -> dict[str, Any]:
    """One task of labels.json: where, its outcome, how it was reached, by how many."""
    final = dict(item["final_label"] or {})
    if final.get("beats"):
        # The set's name means nothing outside wavetag: the bundle's file instead.
        final["beats"] = {"file": found["final_file"], "count": final["beats"].get("count")}
    adjudicator = (item["adjudication"] or {}).get("adjudicator")
    return {
        "task": item["id"],
        "record": release.records[item["record_id"]],
        "start": item["window_start"],
        "end": item["window_end"],
        "event": item["event"],
        "status": item["status"],
        "decided_by": item["decided_by"],
        "final_label": final or None,
        "answers": len(submitted),
        "agreement": _task_agreement(release.project, item, submitted),
        "adjudicator": found["names"].get(adjudicator) if adjudicator else None,
    }


def _label_cells(row: dict[str, Any], agreement: list[str], beats: bool) -> list[Any]:
    final = row["final_label"] or {}
    cells = [row[k] for k in LABEL_COLUMNS]
    cells += [final.get(name) for name in agreement]
    if beats:
        cells += [(final.get("beats") or {}).get(k) for k in ("count", "file")]
    return [*cells, row["answers"], row["agreement"], row["adjudicator"]]


def _answer_item(
    release: Release, item: dict[str, Any], a: dict[str, Any], who: str, beat_file: str | None
) -> dict[str, Any]:
    """One submitted answer of answers.json; a beat answer's set by the bundle's file."""
    answer = dict(a["answer"] or {})
    beats = answer.pop("beats", None)
    return {
        "task": item["id"],
        "record": release.records[item["record_id"]],
        "annotator": who,
        **({"name": a["annotator"]} if release.with_names else {}),
        "submitted_at": a["submitted_at"],
        "answer": answer,
        "comment": a["comment"],
        **({"beats": (beats or {}).get("count"), "beat_file": beat_file} if beat_file else {}),
    }


def _answer_cells(entry: dict[str, Any], fields: list[str], beats: bool) -> list[Any]:
    cells = [entry["task"], entry["record"], entry["annotator"]]
    cells += [entry["name"]] if "name" in entry else []
    cells += [entry["submitted_at"], *[entry["answer"].get(f) for f in fields], entry["comment"]]
    return [*cells, entry.get("beats"), entry.get("beat_file")] if beats else cells


def _labels_and_answers(release: Release, people: dict[int, str], names: dict[str, str]) -> None:
    """labels.csv/json, annotators/answers.csv/json and the beat sets of beat tasks."""
    project = release.project
    schema = project.schema
    beats = is_beat_schema(schema)
    fields = [f["name"] for f in schema["fields"]]
    agreement = list(schema["agreement"])
    sets = TaskSet.objects.filter(project=project).select_related("annotation_set__record")
    working = {(ts.task_id, ts.user_id): ts.annotation_set for ts in sets if ts.task_id}
    finals = {ts.record_id: ts.annotation_set for ts in sets if ts.kind == TaskSet.Kind.FINAL}
    final_files = {
        record_id: _write_set(release, finals[record_id], f"{name}.final")
        for record_id, name in release.records.items()
        if record_id in finals
    }
    user_ids = dict(Annotation.objects.filter(task__project=project).values_list("id", "user_id"))
    label_items: list[dict[str, Any]] = []
    answer_items: list[dict[str, Any]] = []
    for item in export_json(project)["items"]:
        submitted = [a for a in item["annotations"] if a["status"] == AnnotationStatus.SUBMITTED]
        final_file = final_files.get(item["record_id"])
        label_items.append(
            _label_item(release, item, submitted, final_file=final_file, names=names)
        )
        for a in submitted:
            user_id = user_ids[a["id"]]
            who, aset = people[user_id], working.get((item["id"], user_id))
            beat_file = None
            if aset is not None:
                stem = f"annotators/{who}/{release.records[item['record_id']]}.task{item['id']}"
                beat_file = _write_set(release, aset, stem)
            answer_items.append(_answer_item(release, item, a, who, beat_file))
    release.tasks = len(label_items)
    release.final = sum(1 for r in label_items if r["status"] in TaskStatus.final())
    release.answers = len(answer_items)
    label_header = [*LABEL_COLUMNS, *[f"final_{name}" for name in agreement]]
    label_header += ["final_beats", "final_file"] if beats else []
    label_header += ["answers", "agreement", "adjudicator"]
    answer_header = ["task", "record", "annotator", *(["name"] if release.with_names else [])]
    answer_header += ["submitted_at", *fields, "comment"]
    answer_header += ["beats", "beat_file"] if beats else []
    label_rows = [_label_cells(r, agreement, beats) for r in label_items]
    answer_rows = [_answer_cells(e, fields, beats) for e in answer_items]
    meta = {
        "project": project.name,
        "template": project.template,
        "dataset": project.dataset.about(),
        "schema": schema,
    }
    _write(release, "labels.csv", _csv([label_header, *label_rows]))
    _write(release, "labels.json", _json({**meta, "tasks": label_items}))
    _write(release, "annotators/answers.csv", _csv([answer_header, *answer_rows]))
    _write(release, "annotators/answers.json", _json({**meta, "answers": answer_items}))


def _json(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _renamed(mapping: dict[str, Any] | None, names: dict[str, str]) -> dict[str, Any] | None:
    return None if mapping is None else {names.get(k, k): v for k, v in mapping.items()}


def _pairs(pairs: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    return [{**p, "a": names.get(p["a"], p["a"]), "b": names.get(p["b"], p["b"])} for p in pairs]


def _pseudonymous(stats: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The agreement statistics with each user name, where the statistics put one (per
    annotator tables, annotator pairs), replaced by its pseudonym."""
    out = {**stats, "fields": {}}
    for name, f in stats["fields"].items():
        f = {
            **f,
            "annotators": _renamed(f["annotators"], names),
            "pairs": _pairs(f["pairs"], names),
        }
        if f.get("dawid_skene"):
            ds = f["dawid_skene"]
            f["dawid_skene"] = {**ds, "annotators": _renamed(ds["annotators"], names)}
        if "per_choice" in f:
            f["per_choice"] = {
                c: {**v, "pairs": _pairs(v["pairs"], names)} for c, v in f["per_choice"].items()
            }
        out["fields"][name] = f
    if "beats" in stats:
        b = stats["beats"]
        versus = {
            **b["versus_final"],
            "annotators": _renamed(b["versus_final"]["annotators"], names),
        }
        out["beats"] = {**b, "pairs": _pairs(b["pairs"], names), "versus_final": versus}
    return out


def _sha256sums(out: Path) -> str:
    lines = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        lines.append(f"{digest.hexdigest()}  {path.relative_to(out).as_posix()}\n")
    return "".join(lines)


def wavetag_version() -> str:
    """The installed wavetag's version, for a bundle's provenance."""
    try:
        return metadata.version("wavetag")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return ""


def licence_of(project: Project, given: str | None = None) -> str:
    """A bundle's licence: the one given (``wavetag export --licence``), else the source
    dataset's, else :data:`DEFAULT_LICENCE`."""
    return (given or "").strip() or project.dataset.licence or DEFAULT_LICENCE


def check_target(out: Path) -> None:
    """Refuse a target that exists and is not an empty folder."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise StateConflict(f"--out: {out} exists and is not empty; choose a new folder")


def write_release(
    project: Project,
    out: Path,
    *,
    with_names: bool = False,
    licence: str | None = None,
    version: str = "",
) -> Release:
    """Write the release bundle of ``project`` into the folder ``out`` (steps above);
    ``licence``: the README's, by default the dataset's (:func:`licence_of`)."""
    licence = licence_of(project, licence)
    # Absolute and normalised: ``out/..`` or ``.`` must name the folder, not end in one.
    out = Path(os.path.abspath(out))
    release = write_whole(
        out, lambda partial: _write_bundle(project, partial, with_names, licence, version)
    )
    release.out = out
    return release


def write_whole(out: Path, write: Callable[[Path], T]) -> T:
    """Run ``write`` on the folder ``out.partial`` (emptied first), then rename it to
    ``out``: ``out`` never holds half of what ``write`` writes, and a failed ``write``
    leaves nothing behind. ``out`` must be absolute and normalised."""
    check_target(out)
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        result = write(partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if out.exists():
        out.rmdir()  # empty (checked above); a rename cannot replace a folder everywhere
    os.replace(partial, out)
    return result


def _write_bundle(
    project: Project, partial: Path, with_names: bool, licence: str, version: str
) -> Release:
    release = Release(project, partial, licence=licence, with_names=with_names)
    release.exported_at = datetime.now(UTC).isoformat(timespec="seconds")
    records = Record.objects.filter(
        id__in=Task.objects.filter(project=project).values("record_id")
    ).order_by("name", "id")
    release.records = _file_names(records)
    for record in records:
        written = write_wfdb(record, partial, release.records[record.pk])
        release.notes += [f"record {release.records[record.pk]}: {n}" for n in written.notes]
    _write(release, "RECORDS", "".join(f"{name}\n" for name in release.records.values()))
    people = _pseudonyms(project)
    users = get_user_model().objects.filter(pk__in=people)
    names = {u.get_username(): people[u.pk] for u in users}
    release.annotators = sum(1 for p in people.values() if p.startswith("annotator-"))
    _labels_and_answers(release, people, names)
    if with_names:
        rows = [["id", "name"], *sorted([p, n] for n, p in names.items())]
        _write(release, "annotators/names.csv", _csv(rows))
    release.agreement = _pseudonymous(statistics(project), names)
    _write(release, "README.md", readme(release, version))
    _write(release, "SHA256SUMS", _sha256sums(partial))
    return release
