"""What an analysis run found, stored on the run, and read back for a window of the record.

:func:`summarise` turns what the analysis found into the run's ``result``; the API and
the annotation pages call :func:`findings` for the whole record or a window of it, which
recomputes heart rate, beat counts and rhythm from the rows of the automatic set and
reads the stored quality grades. The 12-lead statements are the record's, made once by the
analysis and stored with the run (never recomputed for a page).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wavetag.records.models import Annotation, Record
from wavetag.signal.analysis import AnalysisResult
from wavetag.signal.intervals import hr_stats
from wavetag.signal.quality import QualityConfig
from wavetag.signal.rhythm import episodes_from_aux
from wavetag.signal.vocabulary import (
    CLASSIFIER_CODES,
    CLASSIFIER_NAMES,
    EVENT_NAMES,
    PAUSE,
    RHYTHM_CHANGE,
)

from . import texts
from .models import AnalysisRun, RunStatus


class FindingsError(ValueError):
    """A window cannot be read as asked; the message names the field."""


def counts(symbols: list[str]) -> dict[str, int]:
    c = Counter(symbols)
    return {name: int(c.get(code, 0)) for code, name in CLASSIFIER_NAMES.items()}


def rhythm_summary(episodes: list[dict[str, Any]], fs: float) -> list[dict[str, Any]]:
    """Each rhythm label once, with its episodes and total time, longest first."""
    total: dict[str, float] = {}
    number: Counter[str] = Counter()
    for e in episodes:
        total[e["label"]] = total.get(e["label"], 0.0) + (e["end"] - e["start"]) / fs
        number[e["label"]] += 1
    return [
        {
            "label": label,
            "name": EVENT_NAMES.get(label, label.lstrip("(")),
            "episodes": number[label],
            "seconds": round(seconds, 1),
        }
        for label, seconds in sorted(total.items(), key=lambda kv: -kv[1])
    ]


def _rounded(d: dict[str, object]) -> dict[str, object]:
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in d.items()}


def summarise(result: AnalysisResult) -> dict[str, Any]:
    """The run's ``result``: JSON of a few kilobytes even for a 72-h record (one grade
    letter per 10-s segment)."""
    fs = result.fs
    episodes = [e.to_dict() for e in result.rhythm]
    quality = result.quality[result.channel.index]
    grades = "".join(q.grade for q in quality)
    seg = (quality[0].end - quality[0].start) if quality else 0
    labels = result.beats
    n = len(labels.samples)
    return {
        "channel": result.primary,
        "channel_index": result.channel.index,
        "morphology_channels": list(result.morphology_channels),
        "fs": fs,
        "n_samples": result.n_samples,
        "beats": n,
        "counts": counts(labels.symbols),
        "clusters": int(labels.clusters.max()) + 1 if n else 0,
        "cluster_symbols": list(labels.cluster_symbols),
        "hr": _rounded(result.hr.to_dict()),
        "intervals": _rounded(result.intervals.to_dict()),
        "intervals_window": list(result.interval_window),
        "statements": [x.to_dict() for x in result.statements],
        "rhythm": episodes,
        "rhythm_summary": rhythm_summary([e for e in episodes if e["label"] != PAUSE], fs),
        "pauses": sum(1 for e in episodes if e["label"] == PAUSE),
        "quality": {
            "segment_samples": seg,
            "grades": grades,
            "counts": dict(Counter(grades)),
            # By channel index: two channels may share a name.
            "by_channel": {
                str(i): "".join(q.grade for q in segs) for i, segs in result.quality.items()
            },
            "reasons": {str(i): q.reasons for i, q in enumerate(quality) if q.grade != "A"},
        },
    }


def latest_run(record: Record) -> AnalysisRun | None:
    """The record's most recent finished run that stored its findings."""
    return (
        AnalysisRun.objects.filter(
            record=record,
            status=RunStatus.DONE,
            result__isnull=False,
            annotation_set__isnull=False,
        )
        .order_by("-finished_at", "-id")
        .first()
    )


def window_bounds(
    result: dict[str, Any], start: float | None, end: float | None
) -> tuple[int, int]:
    """``start``/``end`` (seconds from the record's start) as samples of the run's channel."""
    fs, n = float(result["fs"]), int(result["n_samples"])
    for name, v in (("start", start), ("end", end)):
        if v is not None and not (np.isfinite(v) and v >= 0):
            raise FindingsError(
                f"{name}: " + _("must be a number of seconds >= 0, not %(value)s") % {"value": v}
            )
    a = 0 if start is None else min(n, round(start * fs))
    z = n if end is None else min(n, round(end * fs))
    if z <= a:
        raise FindingsError(
            "end: "
            + _("must be after start (%(start)s s) and inside the record") % {"start": start}
        )
    return a, z


def findings(run: AnalysisRun, start: float | None = None, end: float | None = None) -> dict:
    """What ``run`` found in [start, end) seconds (default: the whole record).

    1. Beats of the automatic set in the window: counts by code, HR and RR statistics.
    2. Rhythm episodes (from the set's ``+`` rows and the stored pauses) overlapping it.
    3. Quality grades of the 10-s segments overlapping it.
    4. Intervals and statements are the record's (made once, on its cleanest stretch).
    """
    result: dict[str, Any] = run.result or {}
    fs = float(result["fs"])
    a, z = window_bounds(result, start, end)
    if start is None and end is None and "counts" in result and "hr" in result:
        # The whole record: what the run stored from the same rows (a Holter's 300 000
        # beats are not read back for every page).
        grades = result["quality"]["grades"]
        return {
            "run": run.pk,
            "start": 0.0,
            "end": z / fs,
            "channel": result.get("channel"),
            "beats": result["beats"],
            "counts": result["counts"],
            "hr": result["hr"],
            "intervals": result.get("intervals"),
            "statements": result.get("statements", []),
            "rhythm": sorted(result["rhythm"], key=lambda e: (e["start"], e["label"])),
            "rhythm_summary": result["rhythm_summary"],
            "quality": {
                "grades": grades,
                "counts": dict(Counter(grades)),
                "worst": max(grades or "-"),
            },
        }
    rows = Annotation.objects.filter(annotation_set_id=run.annotation_set_id).order_by("sample")
    beats = list(
        rows.filter(sample__gte=a, sample__lt=z, symbol__in=CLASSIFIER_CODES).values_list(
            "sample", "symbol"
        )
    )
    samples = np.array([s for s, _ in beats], dtype=np.int64)
    symbols = [c for _, c in beats]
    plus = list(rows.filter(symbol=RHYTHM_CHANGE).values_list("sample", "aux_note"))
    episodes: list[dict[str, Any]] = [
        e.to_dict()
        for e in episodes_from_aux([s for s, _ in plus], [x for _, x in plus], result["n_samples"])
    ]
    episodes += [e for e in result.get("rhythm", []) if e["label"] == PAUSE]
    inside = [
        {**e, "start": max(e["start"], a), "end": min(e["end"], z)}
        for e in episodes
        if e["start"] < z and e["end"] > a
    ]
    q = result.get("quality", {})
    seg = int(q.get("segment_samples") or round(QualityConfig().segment_s * fs))
    grades = q.get("grades", "")[a // seg : (z - 1) // seg + 1]
    hr = hr_stats(samples, fs, symbols) if len(samples) else None
    return {
        "run": run.pk,
        "start": a / fs,
        "end": z / fs,
        "channel": result.get("channel"),
        "beats": len(samples),
        "counts": counts(symbols),
        "hr": _rounded(hr.to_dict()) if hr else None,
        "intervals": result.get("intervals"),
        "statements": result.get("statements", []),
        "rhythm": sorted(inside, key=lambda e: (e["start"], e["label"])),
        "rhythm_summary": rhythm_summary([e for e in inside if e["label"] != PAUSE], fs),
        "quality": {"grades": grades, "counts": dict(Counter(grades)), "worst": max(grades or "-")},
    }


def _ms(v: object) -> str:
    return f"{v:.0f} ms" if isinstance(v, int | float) else "—"


def _bpm(v: object) -> str:
    return f"{v:.0f}" if isinstance(v, int | float) else "—"


def page_findings(record: Record, window: tuple[float, float] | None) -> dict[str, Any] | None:
    """The "Parameters" and "Automatic findings" boxes of a task or adjudication page, for
    ``window`` (seconds) or the whole record; None before any analysis has finished.

    Each box is a list of (data-testid, label, text) rows, ready to show; ``statements``
    are the record's 12-lead statements as (text, evidence) pairs.
    """
    run = latest_run(record)
    if run is None:
        return None
    start, end = window if window is not None else (None, None)
    try:
        f = findings(run, start, end)
    except FindingsError:
        f = findings(run)  # a window outside the analysed channel: show the record's
    hr, iv = f["hr"] or {}, f["intervals"] or {}
    parameters = [
        (
            "param-hr",
            _("Heart rate"),
            _("%(mean)s bpm (min %(min)s, max %(max)s)")
            % {
                "mean": _bpm(hr.get("mean_hr")),
                "min": _bpm(hr.get("min_hr")),
                "max": _bpm(hr.get("max_hr")),
            },
        ),
        (
            "param-rr",
            _("RR mean / SDNN"),
            f"{_ms(hr.get('mean_rr_ms'))} / {_ms(hr.get('sdnn_ms'))}",
        ),
        ("param-pr", "PR", _ms(iv.get("pr_ms"))),
        ("param-qrs", "QRS", _ms(iv.get("qrs_ms"))),
        ("param-qt", "QT", _ms(iv.get("qt_ms"))),
        (
            "param-qtc",
            "QTc Bazett / Fridericia",
            f"{_ms(iv.get('qtc_bazett_ms'))} / {_ms(iv.get('qtc_fridericia_ms'))}",
        ),
    ]
    rhythm = _(", ").join(
        f"{texts.rhythm(r['label'], r['name'])} ({r['seconds']:.0f} s)" for r in f["rhythm_summary"]
    ) or _("none suggested")
    pauses = sum(1 for e in f["rhythm"] if e["label"] == PAUSE)
    if pauses:
        rhythm += "; " + ngettext("%(n)d pause", "%(n)d pauses", pauses) % {"n": pauses}
    q = f["quality"]
    grades = ", ".join(f"{g} {q['counts'][g]}" for g in sorted(q["counts"])) or "—"
    quality = (
        _("worst %(grade)s (10-s segments: %(grades)s)") % {"grade": q["worst"], "grades": grades}
        if q["grades"]
        else "—"
    )
    c = f["counts"]
    counted = _(
        "%(beats)s beats: %(v)s PVC, %(a)s PAC, %(paced)s paced, %(unknown)s unclassified"
    ) % {
        "beats": f["beats"],
        "v": c["V"],
        "a": c["A"],
        "paced": c["paced"],
        "unknown": c["unknown"],
    }
    return {
        "run": run,
        "scope": _("this window") if window is not None else _("the whole record"),
        "parameters": parameters,
        "findings": [
            ("finding-rhythm", _("Suggested rhythm"), rhythm),
            ("finding-quality", _("Signal quality"), quality),
            ("finding-counts", _("Beats"), counted),
        ],
        "statements": [
            (texts.statement(x), texts.phrases(x["evidence"])) for x in f.get("statements") or []
        ],
    }
