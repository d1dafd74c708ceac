"""An excerpt database: fixed-length strips cut from a project's long records, each with the
final label of the task it comes from, e.g. 30-s single-lead excerpts of quality A.

``wavetag export PROJECT --out DIR --excerpts SECONDS --where FIELD=VALUE[,...] [--lead
NAME] [--exclude-paced]`` writes::

    RECORDS                     the excerpts, one a line
    <record>_<start>.hea/.dat   each excerpt (WFDB), samples as imported
    labels.csv, labels.json     one row per excerpt: its source and the task's final fields
    README.md                   the selection, counts, schema, provenance, licence
    SHA256SUMS                  ``sha256sum -c SHA256SUMS`` checks every other file

Steps of :func:`write_excerpts`:

1. **Select** the final tasks (a final label, agreed or adjudicated) whose label gives each
   ``--where`` field one of its values (``A|B``: either; a multi-label field matches when
   it holds one of them). The conditions were checked against the schema before
   (:func:`parse_where`): an unknown field or value is refused, not matched by nothing.
2. **Cut** each task's window into consecutive excerpts of ``seconds`` from its start; a
   remainder shorter than ``seconds`` is dropped, so a window shorter than ``seconds``
   gives none. An excerpt is named ``<record>_<start>``, its start in whole seconds from
   the start of the record (``12p5`` for 12.5 s).
3. **Lead**: with ``lead``, only the channel of that name; a record without it is
   refused, naming the record and its channels, before anything is written.
4. **Paced beats**: with ``exclude_paced``, an excerpt holding a paced beat (``/``) or a
   fusion of paced and normal (``f``) in the record's reference sets, its automatic
   analysis set or a project's final beat set is left out, and counted.
5. **Write** as the release bundle does (``release.write_whole``): into ``DIR.partial``,
   README and SHA256SUMS last, then one rename to ``DIR``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Q

from wavetag.errors import InvalidInput
from wavetag.projects.models import Project, Task, TaskStatus
from wavetag.records.models import Annotation, AnnotationSet, Channel, Record
from wavetag.records.signal_files import write_wfdb

from .models import TaskSet
from .release import (
    DEFAULT_LICENCE,
    _csv,
    _file_names,
    _json,
    _sha256sums,
    licence_of,
    write_whole,
)
from .release_readme import _schema, closing

# WFDB beat codes of paced beats: paced, and fusion of paced and normal.
PACED = ("/", "f")
LABEL_COLUMNS = ("excerpt", "record", "start", "end", "task")
# Floating-point slack when a window is cut into whole excerpts (10 s / 5 s gives 2).
_EPS = 1e-6


@dataclass
class Excerpts:
    """What an excerpt database holds, for its README and the command's summary."""

    project: Project
    out: Path
    seconds: float
    where: dict[str, list[str]]
    lead: str | None = None
    exclude_paced: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)
    tasks: int = 0  # tasks that match the conditions
    records: set[str] = field(default_factory=set)
    paced: int = 0  # excerpts left out for paced beats
    short: int = 0  # tasks whose window is shorter than ``seconds``
    notes: list[str] = field(default_factory=list)
    licence: str = DEFAULT_LICENCE
    exported_at: str = ""


def parse_where(schema: dict[str, Any], text: str) -> dict[str, list[str]]:
    """``quality=A,rhythm=sinus|atrial`` as ``{field: [values]}``, checked against
    ``schema``: the field must be one that decides the final label, of choices, and
    each value one of its choices."""
    fields = {f["name"]: f for f in schema["fields"]}
    where: dict[str, list[str]] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, eq, values = (s.strip() for s in part.partition("="))
        if not eq or not name or not values:
            raise InvalidInput(f"--where: {part!r} is not FIELD=VALUE")
        if name not in fields:
            known = ", ".join(fields) or "none"
            raise InvalidInput(f"--where: the schema has no field {name!r} (its fields: {known})")
        f = fields[name]
        if name not in schema["agreement"] or f["type"] not in ("choice", "multi"):
            final = ", ".join(schema["agreement"]) or "none"
            raise InvalidInput(
                f"--where: field {name!r} is not a choice of the final label (fields that "
                f"are: {final})"
            )
        choices = [c["value"] for c in f.get("choices") or []]
        wanted = [v.strip() for v in values.split("|")]
        for value in wanted:
            if value not in choices:
                raise InvalidInput(
                    f"--where: {value!r} is not a choice of field {name!r} (its choices: "
                    f"{', '.join(choices)})"
                )
        where[name] = list(dict.fromkeys([*where.get(name, []), *wanted]))
    return where


def matches(final: dict[str, Any], where: dict[str, list[str]]) -> bool:
    """Whether a final label gives each field of ``where`` one of its values."""
    for name, wanted in where.items():
        value = final.get(name)
        given = value if isinstance(value, list) else [value]
        if not any(v in wanted for v in given):
            return False
    return True


def excerpt_starts(window_start: float, window_end: float, seconds: float) -> list[float]:
    """Starts of the consecutive excerpts of ``seconds`` in a window (a shorter
    remainder dropped)."""
    n = math.floor((window_end - window_start) / seconds + _EPS)
    return [window_start + k * seconds for k in range(max(0, n))]


def excerpt_name(record: str, start: float) -> str:
    """``<record>_<start>``: whole seconds, else ``p`` for the point (WFDB record names
    hold letters, digits, ``_`` and ``-`` only)."""
    if abs(start - round(start)) < _EPS:
        return f"{record}_{round(start)}"
    return f"{record}_{f'{start:.3f}'.rstrip('0').replace('.', 'p')}"


def _lead_channels(records: list[Record], lead: str | None) -> dict[int, list[int] | None]:
    """Record id -> the channel indices to write (None: all); refuses a record without
    the lead, naming the record and its channels."""
    if lead is None:
        return {r.pk: None for r in records}
    by_record: dict[int, list[tuple[int, str]]] = {}
    for record_id, index, name in Channel.objects.filter(record__in=records).values_list(
        "record_id", "index", "name"
    ):
        by_record.setdefault(record_id, []).append((index, name))
    out: dict[int, list[int] | None] = {}
    for r in records:
        found = [i for i, name in by_record.get(r.pk, []) if name == lead]
        if not found:
            names = ", ".join(n for _, n in sorted(by_record.get(r.pk, []))) or "none"
            raise InvalidInput(f"--lead: record {r.name} has no channel {lead!r} ({names})")
        out[r.pk] = found[:1]
    return out


def paced_times(record: Record) -> npt.NDArray[np.float64]:
    """Times (s, sorted) of the paced beats in the record's reference sets, its automatic
    set and the final beat sets of its projects."""
    finals = TaskSet.objects.filter(record=record, kind=TaskSet.Kind.FINAL).values(
        "annotation_set_id"
    )
    sets = AnnotationSet.objects.filter(record=record).filter(
        Q(origin__in=(AnnotationSet.Origin.REFERENCE, AnnotationSet.Origin.AUTOMATIC))
        | Q(id__in=finals)
    )
    times = Annotation.objects.filter(annotation_set__in=sets, symbol__in=PACED).values_list(
        "time", flat=True
    )
    return np.sort(np.fromiter(times, np.float64))


def _paced_inside(times: npt.NDArray[np.float64], start: float, end: float) -> bool:
    return bool(np.searchsorted(times, end, "left") > np.searchsorted(times, start, "left"))


def _selected(excerpts: Excerpts) -> list[Task]:
    tasks = (
        Task.objects.filter(project=excerpts.project, status__in=TaskStatus.final())
        .filter(final_label__isnull=False)
        .select_related("record")
        .order_by("record__name", "record_id", "window_start", "id")
    )
    return [t for t in tasks if matches(t.final_label or {}, excerpts.where)]


def _write(excerpts: Excerpts, partial: Path) -> None:
    project = excerpts.project
    tasks = _selected(excerpts)
    excerpts.tasks = len(tasks)
    records = list({t.record_id: t.record for t in tasks}.values())
    files = _file_names(records)
    channels = _lead_channels(records, excerpts.lead)
    paced = {r.pk: paced_times(r) for r in records} if excerpts.exclude_paced else {}
    fields = list(project.schema["agreement"])
    taken: set[str] = set()
    for task in tasks:
        # A window past the record's end (its last segment) is cut at the end.
        end_of_window = min(task.window_end, task.record.duration)
        starts = excerpt_starts(task.window_start, end_of_window, excerpts.seconds)
        excerpts.short += not starts
        for start in starts:
            end = start + excerpts.seconds
            if excerpts.exclude_paced and _paced_inside(paced[task.record_id], start, end):
                excerpts.paced += 1
                continue
            name = excerpt_name(files[task.record_id], start)
            if name in taken:  # two tasks over the same stretch: the first one's label
                excerpts.notes.append(f"{name}: also in task {task.pk}, written once")
                continue
            taken.add(name)
            written = write_wfdb(
                task.record, partial, name, channels=channels[task.record_id], seconds=(start, end)
            )
            excerpts.notes += [f"{name}: {n}" for n in written.notes]
            excerpts.records.add(files[task.record_id])
            final = task.final_label or {}
            excerpts.rows.append(
                {
                    "excerpt": name,
                    "record": files[task.record_id],
                    "start": round(start, 6),
                    "end": round(end, 6),
                    "task": task.pk,
                    "labels": {f: final.get(f) for f in fields},
                }
            )
    rows = [[*LABEL_COLUMNS, *fields]]
    rows += [[*(r[k] for k in LABEL_COLUMNS), *r["labels"].values()] for r in excerpts.rows]
    meta = {
        "project": project.name,
        "template": project.template,
        "dataset": project.dataset.about(),
        "schema": project.schema,
        "seconds": excerpts.seconds,
        "where": excerpts.where,
        "lead": excerpts.lead,
        "exclude_paced": excerpts.exclude_paced,
    }
    (partial / "RECORDS").write_text("".join(f"{r['excerpt']}\n" for r in excerpts.rows))
    (partial / "labels.csv").write_text(_csv(rows))
    (partial / "labels.json").write_text(_json({**meta, "excerpts": excerpts.rows}))


def write_excerpts(
    project: Project,
    out: Path,
    *,
    seconds: float,
    where: dict[str, list[str]],
    lead: str | None = None,
    exclude_paced: bool = False,
    licence: str | None = None,
    version: str = "",
) -> Excerpts:
    """Write the excerpt database of ``project`` into the folder ``out`` (steps above);
    ``where`` as :func:`parse_where` gives it."""
    if not seconds > 0 or not math.isfinite(seconds):
        raise InvalidInput(f"--excerpts: {seconds:g} is not a positive number of seconds")
    out = Path(os.path.abspath(out))
    excerpts = Excerpts(
        project,
        out,
        seconds,
        where,
        lead=lead,
        exclude_paced=exclude_paced,
        licence=licence_of(project, licence),
    )
    excerpts.exported_at = datetime.now(UTC).isoformat(timespec="seconds")

    def write(partial: Path) -> Excerpts:
        _write(excerpts, partial)
        (partial / "README.md").write_text(readme(excerpts, version))
        (partial / "SHA256SUMS").write_text(_sha256sums(partial))
        return excerpts

    write_whole(out, write)
    excerpts.out = out
    return excerpts


def _selection(ex: Excerpts) -> str:
    conditions = " and ".join(
        f"`{k}` is {' or '.join(f'`{v}`' for v in vs)}" for k, vs in ex.where.items()
    )
    return f", where {conditions}" if conditions else ""


def readme(ex: Excerpts, version: str) -> str:
    project = ex.project
    lead = f"the channel `{ex.lead}` only" if ex.lead else "every channel of the record"
    lines = [
        f"# {project.name}: {ex.seconds:g}-s excerpts of {project.dataset.name} records",
        "",
        f"Excerpts of {ex.seconds:g} s cut from the windows of the project's tasks that have "
        f"a final label{_selection(ex)}; {lead}. Each window is cut from its start "
        f"into consecutive, non-overlapping excerpts; a remainder shorter than "
        f"{ex.seconds:g} s is dropped.",
        "",
        "## Files",
        "",
        "- `RECORDS`: the excerpts, one a line. Each is `<record>_<start>.hea` + `.dat` "
        "(WFDB), `<start>` the excerpt's start in seconds from the start of the source "
        "record (`p` for a decimal point): the digital samples and gains exactly as "
        "imported (`wfdb.rdrecord(name, physical=False)` gives them back).",
        "- `labels.csv`, `labels.json`: one row per excerpt: `excerpt`, source `record`, "
        "`start` and `end` (seconds from the start of the source record), the `task` it "
        "comes from, and the task's final label, one column per field.",
        "- `SHA256SUMS`: checksums of every other file: `sha256sum -c SHA256SUMS`.",
        "",
        *_schema(project.schema),
        "## Counts",
        "",
        f"- tasks matching the selection: {ex.tasks}",
        f"- tasks whose window is shorter than {ex.seconds:g} s (no excerpt): {ex.short}",
        f"- excerpts: {len(ex.rows)}, from {len(ex.records)} records",
    ]
    if ex.exclude_paced:
        lines.append(
            f"- excerpts left out for paced beats (`/` or `f` in a reference, automatic "
            f"or final beat set): {ex.paced}"
        )
    lines.append("")
    lines += closing(project, ex.notes, version, ex.exported_at, ex.licence)
    return "\n".join(lines)
