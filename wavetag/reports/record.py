"""The record report: what a record holds and what was found in it, as one PDF.

``GET /api/v1/records/{id}/report.pdf``, the record page's button and ``wavetag report``
all call :func:`record_report`; the caller has checked that the user may see the record
(``projects.access.get_record_for_user``). The labels are read through
``annotations.access.visible_annotation_sets``, so a blind project's annotator gets no
reference or colleague's labels through a report either.

Whose labels: the final human set of the record (a beat-correction project's agreed
beats) when the user may see one, else the automatic set of the latest finished analysis,
marked as such on every page. Quality and intervals are always the analysis's. A record
with no finished analysis still gets a report (length, channels, the counts of the sets
the user may see, and the findings of a final human set if there is one) that says so:
a report is often asked for in bulk, and a PDF that explains is more useful than an error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Count, QuerySet
from django.utils import timezone

from wavetag.analysis.findings import latest_run
from wavetag.analysis.models import AnalysisRun
from wavetag.annotations.access import visible_annotation_sets
from wavetag.annotations.models import TaskSet
from wavetag.records.models import Annotation, AnnotationSet, Record
from wavetag.records.storage import store_root
from wavetag.signal.envelope import to_physical
from wavetag.signal.intervals import IntervalConfig, hr_stats
from wavetag.signal.rhythm import RhythmConfig, episodes_from_aux
from wavetag.signal.store import RecordStore
from wavetag.signal.vocabulary import BEAT_NAMES, EVENT_NAMES, PAUSE, RHYTHM_CHANGE

from .pdf import STRIP_S, Report, Section, Strip, Trend, clock, render

# Beat codes by the classes a Holter report counts (after ANSI/AAMI EC57: S for
# supraventricular ectopic, V for ventricular ectopic); paced and fusion kept apart.
CLASSES: dict[str, str] = {
    "N": "NLRBejn",
    "S": "AaJS",
    "V": "VrE",
    "F": "F",
    "paced": "/f",
    "other": "Q?",
}
# Rhythms that are no finding of their own: no strip for hours of sinus rhythm.
ORDINARY = frozenset({"(N", "noise"})
MAX_STRIPS = 24  # a 72-h Holter may have hundreds of episodes: the first ones get strips
MAX_EPISODE_ROWS = 40
MIN_BIN_S = 10.0  # shortest bin of the heart-rate trend
TREND_BINS = 240  # about as many points as the plot has room for


@dataclass(frozen=True)
class Beats:
    """The beats of the set the report shows: positions (samples at ``fs``) and codes."""

    samples: npt.NDArray[np.int64]
    symbols: list[str]
    fs: float


def classify(symbols: list[str]) -> dict[str, int]:
    """Beats per report class (N, S, V, F, paced, other)."""
    return classify_counts(Counter(symbols))


def classify_counts(by_code: Mapping[str, int]) -> dict[str, int]:
    """Beats per report class from the number of beats of each code."""
    of = {code: name for name, codes in CLASSES.items() for code in codes}
    out = dict.fromkeys(CLASSES, 0)
    for code, n in by_code.items():
        if code in of:
            out[of[code]] += n
    return out


def set_counts(aset: AnnotationSet) -> dict[str, int]:
    """A set's beats per report class, counted by the database (a Holter's set holds
    100 000 beats or more)."""
    rows = (
        Annotation.objects.filter(annotation_set=aset, symbol__in=BEAT_NAMES)
        .values("symbol")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return classify_counts({r["symbol"]: r["n"] for r in rows})


def _rows(aset: AnnotationSet) -> QuerySet[Annotation]:
    return Annotation.objects.filter(annotation_set=aset).order_by("time", "pk")


def read_beats(aset: AnnotationSet, fs: float) -> Beats:
    rows = _rows(aset).filter(symbol__in=BEAT_NAMES).values_list("time", "sample", "symbol")
    fs = float(aset.fs or fs)
    listed = list(rows)
    samples = np.asarray(
        [int(s) if s is not None else round(t * fs) for t, s, _ in listed], dtype=np.int64
    )
    # In sample order whatever a row's time says: the searches below rely on it.
    order = np.argsort(samples, kind="stable")
    return Beats(samples[order], [listed[i][2] for i in order.tolist()], fs)


def hr_extremes(b: Beats) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """(time s, bpm) of the slowest and fastest running mean, as ``hr_stats`` finds them:
    the window of ``hr_window_beats`` RR intervals, timed at its middle beat."""
    if len(b.samples) < 2:
        return None
    rr = np.diff(b.samples) * 1000.0 / b.fs
    k = min(IntervalConfig().hr_window_beats, len(rr))
    run = np.convolve(rr, np.ones(k) / k, mode="valid")
    lo, hi = int(run.argmax()), int(run.argmin())
    at = b.samples / b.fs
    return (
        (float(at[lo + k // 2]), 60000.0 / float(run[lo])),
        (float(at[hi + k // 2]), 60000.0 / float(run[hi])),
    )


def hr_trend(b: Beats, duration: float) -> Trend | None:
    """Mean heart rate (60 / mean RR) per bin over the whole record; a bin with fewer than
    two intervals is a gap, not a zero."""
    if len(b.samples) < 3 or duration <= 0:
        return None
    bin_s = max(MIN_BIN_S, float(np.ceil(duration / TREND_BINS / MIN_BIN_S) * MIN_BIN_S))
    t = b.samples / b.fs
    rr = np.diff(t)
    which = np.minimum((t[1:] // bin_s).astype(np.int64), int(duration // bin_s))
    n = int(duration // bin_s) + 1
    total = np.bincount(which, weights=rr, minlength=n)
    number = np.bincount(which, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        bpm = np.where(number >= 2, 60.0 * number / total, np.nan)
    extremes = hr_extremes(b)
    return Trend(
        times=(np.arange(n, dtype=np.float64) + 0.5) * bin_s,
        bpm=bpm,
        duration=duration,
        bin_s=bin_s,
        low=extremes[0] if extremes else None,
        high=extremes[1] if extremes else None,
    )


def _episodes(
    aset: AnnotationSet, b: Beats, run: AnalysisRun | None, n_samples: int
) -> list[dict[str, Any]]:
    """Rhythm episodes of the shown set (samples at ``b.fs``), and its pauses: the run's
    for the automatic set (the same beats), else RR intervals of ``pause_s`` or more."""
    plus = list(_rows(aset).filter(symbol=RHYTHM_CHANGE).values_list("time", "sample", "aux_note"))
    samples = [int(s) if s is not None else round(t * b.fs) for t, s, _ in plus]
    episodes = [e.to_dict() for e in episodes_from_aux(samples, [a for _, _, a in plus], n_samples)]
    if run is not None and run.annotation_set_id == aset.pk:
        episodes += [e for e in (run.result or {}).get("rhythm", []) if e["label"] == PAUSE]
    elif len(b.samples) > 1:
        long = np.flatnonzero(np.diff(b.samples) >= RhythmConfig().pause_s * b.fs)
        episodes += [
            {"label": PAUSE, "start": int(b.samples[i]), "end": int(b.samples[i + 1])}
            for i in long.tolist()
        ]
    return sorted(episodes, key=lambda e: (e["start"], e["label"]))


def _episode_hr(b: Beats, start: int, end: int) -> float | None:
    # Beats are sorted: a search, not a pass over a day's beats for each of its episodes.
    first, stop = np.searchsorted(b.samples, [start, end])
    inside = b.samples[first:stop]
    # Two RR intervals at least: one interval across a rhythm change is no rate.
    if len(inside) < 3:
        return None
    return 60.0 * b.fs * (len(inside) - 1) / float(inside[-1] - inside[0])


def _name(label: str) -> str:
    return "pause" if label == PAUSE else EVENT_NAMES.get(label, label.lstrip("("))


def _fmt(v: object, unit: str = "") -> str:
    return f"{v:.0f}{unit}" if isinstance(v, int | float) else "—"


def _shown_set(user: Any, record: Record) -> tuple[QuerySet[AnnotationSet], AnnotationSet | None]:
    sets = (
        AnnotationSet.objects.filter(record=record)
        if user is None
        else visible_annotation_sets(user, record)
    )
    final = (
        sets.filter(origin=AnnotationSet.Origin.HUMAN, task_set__kind=TaskSet.Kind.FINAL)
        .order_by("-created_at", "-pk")
        .first()
    )
    return sets, final


def _strip(store: RecordStore, channel: int, start: float, title: str, b: Beats | None) -> Strip:
    info = store.channels[channel]
    start = max(0.0, min(start, info.n_samples / info.fs - STRIP_S))
    a = round(start * info.fs)
    values = to_physical(store.read_samples(channel, a, a + round(STRIP_S * info.fs)), info)
    scale = {"uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3}.get(info.units.lower(), 1.0)
    marks: list[tuple[float, str]] = []
    if b is not None:
        t = b.samples / b.fs
        keep = np.flatnonzero((t >= start) & (t < start + STRIP_S))
        marks = [(float(t[i]), b.symbols[i]) for i in keep.tolist()]
    return Strip(
        title=title,
        start=a / info.fs,
        fs=info.fs,
        values=values.astype(np.float64) * scale,
        channel=info.name,
        marks=marks,
    )


def _whose(final: AnnotationSet | None, auto: AnnotationSet | None, run: AnalysisRun | None) -> str:
    if final is not None:
        return f"final human set “{final.name}” (agreed labels of a beat-correction project)"
    if auto is not None and run is not None:
        return (
            f"AUTOMATIC set “{auto.name}” of analysis run {run.pk}: "
            "machine labels, not reviewed by a person"
        )
    if run is not None:
        # The project hides the automatic set from this user (a blind annotation project).
        return "none you may see: no final human set, and the automatic set is hidden"
    return "none: no final human set and no finished automatic analysis"


def _recording(record: Record, run: AnalysisRun | None, whose: str) -> Section:
    """What was recorded, what the analysis read of it, and whose labels follow."""
    channels = record.channels.order_by("index")
    rows = [
        ["Dataset / record", f"{record.dataset.name} / {record.name}"],
        ["Format", record.format.upper()],
        ["Recording length", f"{clock(record.duration)} ({record.duration:.1f} s)"],
    ]
    if record.start_date or record.start_time:
        when = record.start_date.isoformat() if record.start_date else ""
        rows.append(["Start", when or str(record.start_time)])
    rows.append(
        [
            "Channels",
            ", ".join(f"{c.name} ({c.fs:g} Hz, {c.units or '?'})" for c in channels) or "none",
        ]
    )
    if run is not None:
        result: dict[str, Any] = run.result or {}
        fs, n = float(result["fs"]), int(result.get("n_samples") or 0)
        grades = str(result.get("quality", {}).get("grades", ""))
        seg = int(result.get("quality", {}).get("segment_samples") or 0)
        readable = (n - grades.count("C") * seg) / fs if seg else n / fs
        rows.append(
            [
                "Analysed time",
                f"{clock(n / fs)} of channel {result.get('channel')}; readable "
                f"(quality A or B) {clock(max(readable, 0))}",
            ]
        )
        finished = run.finished_at.strftime("%Y-%m-%d %H:%M UTC") if run.finished_at else ""
        rows.append(["Automatic analysis", f"run {run.pk}, finished {finished}"])
    else:
        rows.append(
            [
                "Automatic analysis",
                "none finished: heart rate, rhythm, quality and intervals of the analysis "
                "are not in this report (ask for one on the record page or with wavetag "
                "analyze)",
            ]
        )
    rows.append(["Labels shown", whose])
    return Section("Recording", rows)


def _label_sections(
    beats: Beats,
    episodes: list[dict[str, Any]],
    who: str,
    strips_wanted: list[tuple[float, str]],
) -> list[Section]:
    """Heart rate, beats, rhythm and pauses of the shown labels; their findings are
    added to ``strips_wanted`` as (start s, title)."""
    hr = hr_stats(beats.samples, beats.fs, beats.symbols)
    extremes = hr_extremes(beats)
    rows = [["Mean", f"{_fmt(hr.mean_hr)} bpm over {hr.n_beats} beats"]]
    if extremes:
        (t_lo, lo), (t_hi, hi) = extremes
        rows += [
            ["Minimum", f"{lo:.0f} bpm at {clock(t_lo)}"],
            ["Maximum", f"{hi:.0f} bpm at {clock(t_hi)}"],
        ]
        strips_wanted.append((t_hi - STRIP_S / 2, f"Fastest heart rate: {hi:.0f} bpm"))
        strips_wanted.append((t_lo - STRIP_S / 2, f"Slowest heart rate: {lo:.0f} bpm"))
    rows.append(
        [
            "RR mean / SDNN / RMSSD",
            " / ".join(_fmt(v, " ms") for v in (hr.mean_rr_ms, hr.sdnn_ms, hr.rmssd_ms)),
        ]
    )
    counts = classify(beats.symbols)
    sections = [
        Section(f"Heart rate ({who})", rows),
        Section(
            "Beats",
            [[k, str(v)] for k, v in counts.items()] + [["Total", str(len(beats.symbols))]],
        ),
    ]
    t = beats.samples / beats.fs
    for name in ("V", "S"):
        first = next((i for i, s in enumerate(beats.symbols) if s in CLASSES[name]), None)
        if first is not None:
            strips_wanted.append((float(t[first]) - 3.0, f"First {name} beat"))
    _rhythm_sections(sections, episodes, beats, strips_wanted)
    return sections


def _analysis_sections(result: dict[str, Any]) -> list[Section]:
    """Quality and intervals: the analysis's, whoever's labels the report shows."""
    counts = result.get("quality", {}).get("counts", {})
    total = sum(counts.values()) or 1
    iv = result.get("intervals") or {}
    return [
        Section(
            "Signal quality (automatic, 10-s segments)",
            [[g, f"{counts[g]} ({100 * counts[g] / total:.0f} %)"] for g in sorted(counts)]
            + [["Grades", "A clean, B usable, C unreadable"]],
        ),
        Section(
            "Intervals (automatic, median beat of the cleanest stretch)",
            [
                ["PR", _fmt(iv.get("pr_ms"), " ms")],
                ["QRS", _fmt(iv.get("qrs_ms"), " ms")],
                ["QT", _fmt(iv.get("qt_ms"), " ms")],
                [
                    "QTc Bazett / Fridericia",
                    f"{_fmt(iv.get('qtc_bazett_ms'), ' ms')} / "
                    f"{_fmt(iv.get('qtc_fridericia_ms'), ' ms')}",
                ],
            ],
        ),
    ]


def _sets_section(sets: QuerySet[AnnotationSet]) -> Section:
    rows = [
        [f"{s.name} ({s.origin})", *(str(v) for v in set_counts(s).values())]
        for s in sets.order_by("name", "pk")
    ]
    if not rows:
        return Section("Annotation sets you may see", [["none"]])
    return Section("Annotation sets you may see", rows, ["Set", *CLASSES])


def gather(record: Record, user: Any) -> Report:
    """The report's content; ``user`` None (the command line) sees every set.

    1. The labels: the final human set if one is visible, else the latest run's
       automatic set; the sets table lists every set the user may see.
    2. Heart rate, beat counts, rhythm episodes and pauses from those labels.
    3. Quality and intervals from the run's stored result.
    4. A 10-s strip of each finding (HR extremes, first beat of each ectopic class,
       each episode other than sinus rhythm, each pause), the first MAX_STRIPS of them,
       from the channel the analysis read (the first channel without one).
    """
    run = latest_run(record)
    result: dict[str, Any] = (run.result or {}) if run else {}
    sets, final = _shown_set(user, record)
    auto = None
    if run is not None and final is None:
        auto = sets.filter(pk=run.annotation_set_id).first()
    shown = final or auto
    whose = _whose(final, auto, run)
    first_channel = record.channels.order_by("index").first()
    fs = float(result.get("fs") or (first_channel.fs if first_channel else 1.0))

    sections = [_recording(record, run, whose)]
    beats = read_beats(shown, fs) if shown is not None else None
    trend = None
    strips_wanted: list[tuple[float, str]] = []
    if shown is not None and beats is not None and len(beats.samples):
        n_samples = int(result.get("n_samples") or 0) or round(record.duration * beats.fs)
        episodes = _episodes(shown, beats, run, n_samples)
        who = "automatic" if final is None else "human"
        sections += _label_sections(beats, episodes, who, strips_wanted)
        trend = hr_trend(beats, record.duration)
    if run is not None:
        sections += _analysis_sections(result)
    sections.append(_sets_section(sets))

    strips: list[Strip] = []
    if strips_wanted and first_channel is not None:
        store = RecordStore.open(store_root(), record.store_key)
        channel = int(result.get("channel_index") or 0)
        if len(strips_wanted) > MAX_STRIPS:
            sections.append(
                Section(
                    "Strips",
                    [[f"{len(strips_wanted)} findings; strips of the first {MAX_STRIPS}"]],
                )
            )
        strips = [
            _strip(store, channel, start, title, beats)
            for start, title in strips_wanted[:MAX_STRIPS]
        ]
    made = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    return Report(
        title=f"Record report: {record.dataset.name} / {record.name}",
        subtitle=f"Made {made}. Labels shown: {whose}.",
        sections=sections,
        trend=trend,
        strips=strips,
        footer=f"wavetag · {record.dataset.name}/{record.name} · {made} · labels: "
        + ("final human set" if final else "AUTOMATIC" if auto else "none"),
    )


def _rhythm_sections(
    sections: list[Section],
    episodes: list[dict[str, Any]],
    b: Beats,
    strips_wanted: list[tuple[float, str]],
) -> None:
    """The rhythm table (longest and fastest of each rhythm) and the pauses."""
    rhythms = [e for e in episodes if e["label"] != PAUSE]
    pauses = [e for e in episodes if e["label"] == PAUSE]
    by_label: dict[str, list[dict[str, Any]]] = {}
    for e in rhythms:
        by_label.setdefault(e["label"], []).append(e)
    rows = []
    for label, group in sorted(by_label.items(), key=lambda kv: kv[0]):
        seconds = [(e["end"] - e["start"]) / b.fs for e in group]
        longest = group[int(np.argmax(seconds))]
        rates = [(_episode_hr(b, e["start"], e["end"]), e) for e in group]
        known = [(r, e) for r, e in rates if r is not None]
        fastest = max(known, key=lambda re: re[0]) if known else None
        rows.append(
            [
                _name(label),
                str(len(group)),
                clock(sum(seconds)),
                f"{max(seconds):.0f} s at {clock(longest['start'] / b.fs)}",
                f"{fastest[0]:.0f} bpm at {clock(fastest[1]['start'] / b.fs)}" if fastest else "—",
            ]
        )
    sections.append(
        Section(
            "Rhythm",
            rows or [["no rhythm episodes in these labels"]],
            ["Rhythm", "Episodes", "Total", "Longest", "Fastest"] if rows else None,
        )
    )
    listed = [e for e in rhythms if e["label"] not in ORDINARY]
    if listed:
        sections.append(
            Section(
                "Episodes other than sinus rhythm",
                [
                    [
                        _name(e["label"]),
                        clock(e["start"] / b.fs),
                        f"{(e['end'] - e['start']) / b.fs:.1f} s",
                        _fmt(_episode_hr(b, e["start"], e["end"]), " bpm"),
                    ]
                    for e in listed[:MAX_EPISODE_ROWS]
                ]
                + (
                    [[f"… and {len(listed) - MAX_EPISODE_ROWS} more"]]
                    if len(listed) > MAX_EPISODE_ROWS
                    else []
                ),
                ["Rhythm", "Start", "Duration", "Mean HR"],
            )
        )
    for e in listed:
        strips_wanted.append(
            (e["start"] / b.fs - 2.0, f"{_name(e['label'])} from {clock(e['start'] / b.fs)}")
        )
    longest_pause = max(((e["end"] - e["start"]) / b.fs for e in pauses), default=0.0)
    sections.append(
        Section(
            f"Pauses (RR ≥ {RhythmConfig().pause_s:g} s)",
            [
                ["Pauses", str(len(pauses))],
                ["Longest", f"{longest_pause:.1f} s" if pauses else "—"],
            ],
        )
    )
    for e in pauses:
        mid = (e["start"] + e["end"]) / 2 / b.fs
        strips_wanted.append(
            (mid - STRIP_S / 2, f"Pause of {(e['end'] - e['start']) / b.fs:.1f} s")
        )


def record_report(record: Record, user: Any) -> bytes:
    """The PDF report of ``record`` as ``user`` may see it (None: everything)."""
    return render(gather(record, user))
