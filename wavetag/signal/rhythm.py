"""Rhythm suggestions as episodes labelled in the WFDB ``aux`` vocabulary.

Labels (as in the MIT-BIH reference files): ``(N`` sinus rhythm, ``(SBR``
sinus bradycardia, ``(SVTA`` supraventricular tachyarrhythmia (a fast rhythm
without the regularity, narrow beats and P waves of sinus tachycardia, which the
MIT-BIH vocabulary has no label for and which is reported as ``(N``),
``(AFIB`` atrial fibrillation, ``(AFL`` atrial flutter (with a variable block: the
ventricular response irregular, the atrial activity one saw-tooth line),
``(VT`` ventricular tachycardia, ``(IVR``
a slower ventricular run, ``(B`` ventricular bigeminy, ``(T`` ventricular
trigeminy, ``(P`` paced rhythm; ``PAUSE`` marks an RR interval of 2 s or more
(an event beside the rhythm, not a rhythm). Suggestions for a reviewer,
computed from beat times and beat codes only (plus, optionally, the signal to
check for P waves before calling atrial fibrillation). Every label is one of
:data:`wavetag.signal.vocabulary.EVENT_NAMES`, so the editor, the viewer and the findings
name it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from .atrial import (
    AtrialConfig,
    FlutterWaves,
    atrial_consistency,
    flutter_waves,
    modal_fraction,
    windowed_modal_fraction,
)
from .intervals import delineate
from .robust import nanmedian_rows
from .vocabulary import PAUSE

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

# Named: the analysis acts on them (atrial premature beats inside AF or flutter are the
# atrial rhythm itself).
AFIB = "(AFIB"
AFL = "(AFL"
SVTA = "(SVTA"
# Labels set from the rate alone, which the rhythm judged later may replace.
RATE_LABELS = ("(N", "(SBR", SVTA)


@dataclass(frozen=True)
class RhythmConfig:
    """Tunables of :func:`rhythm_episodes`.

    Attributes
    ----------
    brady_bpm, tachy_bpm : float
        Sinus rate limits, bpm.
    rate_beats : int
        Heart rate for the rate labels: running median over this many RR.
    min_rate_beats : int
        Shortest bradycardia / tachycardia episode, beats.
    pause_s : float
        Shortest RR interval reported as a pause, s.
    vt_beats : int
        Shortest ventricular run, consecutive V beats.
    vt_bpm : float
        A ventricular run faster than this is VT, slower IVR, bpm.
    pattern_cycles : int
        Shortest bigeminy (N V) or trigeminy (N N V) episode, cycles.
    af_window : int
        RR intervals in the irregularity window (centred on each beat).
    af_irregularity : float
        Median absolute successive RR difference over median RR above which
        the rhythm is irregular enough for atrial fibrillation.
    af_edge_irregularity : float
        An AF episode's edges reach out over the beats next to it while their window's
        irregularity stays above this (lower than ``af_irregularity``: the centred window
        at an edge holds half regular intervals, so the core alone ends early).
    min_af_beats : int
        Shortest atrial-fibrillation episode, beats.
    two_lengths : (float, float, int)
        An irregular run of at least the third many intervals, the second share of which
        lie within the first fraction of one of two lengths, is no AF
        (:func:`_two_lengths`).
    min_af_record_beats : int
        Fewest beats of a record shorter than ``af_window`` (a 10-s ECG) that is judged
        for AF as a whole.
    af_modal_fraction : float
        A short record is irregular enough for AF when fewer than this fraction of its
        intervals sit at the usual length (:func:`~wavetag.signal.atrial.modal_fraction`).
    af_window_modal_fraction : float
        The same in the window around each beat of a longer record; lower, since a
        sliding window has many more chances to meet a burst of ectopy.
    af_atrial_consistency : float
        An irregular run is without P waves only when the atrial windows of its beats
        correlate less than this (:func:`~wavetag.signal.atrial.atrial_consistency`).
    sinus_atrial_consistency : float
        A regular narrow fast run whose atrial windows correlate at least this much has
        one atrial wave before every beat: sinus tachycardia, even where the median beat
        shows no P wave of its own (it meets the T wave at these rates).
    sinus_likely_bpm : float
        Below this rate a regular narrow fast run that did not start abruptly needs
        only ``af_atrial_consistency`` (organised atrial activity, no fibrillation) to
        be sinus tachycardia: re-entry that slow is rare, sinus tachycardia common.
    flutter_organisation : float
        An AF stretch is atrial flutter when its atrial activity has a flutter rate and
        at least this share of its power on that line and its harmonics
        (:func:`~wavetag.signal.atrial.flutter_waves`).
    flutter_s : float
        A long AF run is judged for flutter in stretches of about this many seconds (a
        run may turn from one to the other).
    paced_fraction : float
        Fraction of paced beats in a rate window that makes it a paced rhythm.
    sinus_normal_fraction : float
        A fast run is sinus tachycardia (not ``(SVTA``) only when at least this
        fraction of its beats are supraventricular (``N`` or ``A``: narrow), it is
        regular between its ``N`` beats and its median beat has a P wave.
    """

    brady_bpm: float = 60.0
    tachy_bpm: float = 100.0
    rate_beats: int = 10
    min_rate_beats: int = 10
    pause_s: float = 2.0
    vt_beats: int = 3
    vt_bpm: float = 100.0
    pattern_cycles: int = 3
    af_window: int = 32
    af_irregularity: float = 0.10
    af_edge_irregularity: float = 0.06
    min_af_beats: int = 12
    two_lengths: tuple[float, float, int] = (0.08, 0.85, 20)
    min_af_record_beats: int = 8
    af_modal_fraction: float = 0.55
    af_window_modal_fraction: float = 0.4
    af_atrial_consistency: float = 0.55
    sinus_atrial_consistency: float = 0.7
    sinus_likely_bpm: float = 130.0
    flutter_organisation: float = 0.6
    flutter_s: float = 30.0
    paced_fraction: float = 0.5
    sinus_normal_fraction: float = 0.8


@dataclass
class RhythmEpisode:
    """One rhythm episode.

    Attributes
    ----------
    start, end : int
        First and last sample of the episode (end exclusive).
    label : str
        WFDB aux label (``"(AFIB"``...) or ``"PAUSE"``.
    """

    start: int
    end: int
    label: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _runs(lab: npt.NDArray[np.str_]) -> list[tuple[int, int, str]]:
    """Runs of equal labels: (first index, last index + 1, label)."""
    if len(lab) == 0:
        return []
    cut = np.flatnonzero(lab[1:] != lab[:-1]) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [len(lab)]])
    return [(int(a), int(b), str(lab[a])) for a, b in zip(starts, ends, strict=True)]


def irregularity(rr: F64, usable: npt.NDArray[np.bool_], window: int) -> F64:
    """RR irregularity around each interval.

    Parameters
    ----------
    rr : ndarray of float64
        RR intervals (any unit).
    usable : ndarray of bool
        Intervals between two supraventricular beats; only differences
        between two usable intervals count.
    window : int
        Intervals in the centred window.

    Returns
    -------
    ndarray of float64
        Median absolute successive difference over median RR, per interval
        (dimensionless); NaN where fewer than half the window is usable.
    """
    n = len(rr)
    if n < 3:
        return np.full(n, np.nan)
    d = np.abs(np.diff(rr))
    d_ok = usable[1:] & usable[:-1]
    d = np.where(d_ok, d, np.nan)
    r = np.where(usable, rr, np.nan)
    half = window // 2
    pad_d = np.concatenate([np.full(half, np.nan), d, np.full(window - half, np.nan)])
    pad_r = np.concatenate([np.full(half, np.nan), r, np.full(window - half, np.nan)])
    wd = np.lib.stride_tricks.sliding_window_view(pad_d, window)[: n - 1]
    wr = np.lib.stride_tricks.sliding_window_view(pad_r, window)[: n - 1]
    enough = np.sum(~np.isnan(wd), axis=1) >= window // 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        val = nanmedian_rows(wd) / nanmedian_rows(wr)
    val = np.where(enough, val, np.nan)
    return np.asarray(np.append(val, val[-1]), dtype=np.float64)


def rhythm_episodes(
    beats: npt.ArrayLike,
    fs: float,
    symbols: list[str],
    n_samples: int | None = None,
    signal: npt.ArrayLike | None = None,
    conf: RhythmConfig | None = None,
    p_wave: Callable[[I64], bool] | None = None,
    atrial: Callable[[I64], float] | None = None,
    flutter: Callable[[I64], FlutterWaves] | None = None,
) -> list[RhythmEpisode]:
    """Suggest rhythm episodes from beat times and beat codes.

    Parameters
    ----------
    beats : array_like of int
        Beat positions, samples, increasing.
    fs : float
        Sampling frequency, Hz.
    symbols : list of str
        WFDB beat code per beat (``N``, ``V``, ``A``, ``/``, ``Q``...).
    n_samples : int, optional
        Record length, samples: the last episode ends there (else at the last beat).
    signal : array_like of float, optional
        ECG in mV, (samples,) or (samples, channels). When given, an
        irregular episode in which a P wave is found is not called AF.
    conf : RhythmConfig, optional
    p_wave : callable, optional
        Given the beats of an irregular run, whether their median beat has a P wave:
        the check ``signal`` makes, for a caller that reads a long record piecewise
        (``signal`` wins when both are given).
    atrial : callable, optional
        Given the beats of a run, how alike their atrial windows are
        (:func:`~wavetag.signal.atrial.atrial_consistency`): ``signal`` gives it too,
        and wins when both are given.
    flutter : callable, optional
        Given the beats of a stretch, its atrial activity between them
        (:func:`~wavetag.signal.atrial.flutter_waves`); ``signal`` gives it too, and
        wins when both are given. Without either, no flutter is reported.

    Returns
    -------
    list of RhythmEpisode
        Rhythm episodes covering the record without overlap, in time order,
        followed by the pauses.

    Notes
    -----
    1. Rate: running median of ``rate_beats`` RR intervals between
       supraventricular beats; below ``brady_bpm`` is ``(SBR``, above
       ``tachy_bpm`` ``(SVTA``, else ``(N``; windows that are mostly paced
       beats are ``(P``.
    2. Atrial fibrillation: beats whose RR irregularity (:func:`irregularity`,
       over intervals between supraventricular beats) exceeds
       ``af_irregularity``, or around which fewer than ``af_window_modal_fraction``
       of the window's intervals sit at the usual length
       (:func:`~wavetag.signal.atrial.windowed_modal_fraction`); gaps shorter than
       ``min_af_beats`` between such runs bridged, in runs of ``min_af_beats`` or
       more, with no P wave in their median beat (asked of runs longer than
       ``af_window`` only: see below) and atrial windows correlating less than
       ``af_atrial_consistency`` when the signal is given. An episode so found reaches
       out over the beats either side while their irregularity stays above
       ``af_edge_irregularity`` (hysteresis: a centred window at the edge of a
       paroxysm is half regular). A record too short for the
       window (fewer than ``af_window`` intervals: a 10-s ECG) is judged as a whole:
       AF when fewer than ``af_modal_fraction`` of its intervals between
       non-ventricular beats sit at the usual length and its atrial windows correlate
       less than ``af_atrial_consistency`` (the median beat of a dozen AF beats can
       show a P wave that is not there, so ``p_wave`` is not asked; without ``atrial``
       the intervals alone decide). Before those P-wave tests, each such irregular run
       is judged for atrial flutter in stretches of about ``flutter_s``: where the
       atrial activity (QRS blanked) has its largest peak at a flutter rate with
       ``flutter_organisation`` of its power on that line and its harmonics
       (``flutter``), the stretch is ``(AFL`` whatever the P-wave tests say (flutter
       with a variable block is as irregular as AF, and its waves, each conducted after
       the same delay, pass for a P wave). A regular 2:1 flutter is not found (not
       irregular; it stays ``(SVTA``).
    3. Ventricular patterns, matched on the beat-code string: runs of
       ``vt_beats`` or more V beats, ``(VT`` when faster than ``vt_bpm``, else
       ``(IVR`` (``(P`` in a record with a paced rhythm: never ``(IVR`` there);
       then bigeminy ``(NV){3,}``, then trigeminy ``(NNV){3,}``, each on the beats
       the ones before left (so every episode has its ``pattern_cycles`` whole
       cycles in its own codes). They overwrite the labels of steps 1-2.
    4. Rate episodes left shorter than ``min_rate_beats`` fall back to ``(N``.
       A ``(SVTA`` episode that is regular between its ``N`` beats (irregularity at
       most ``af_irregularity``; a premature beat and its pause break no sinus
       rhythm), narrow (``sinus_normal_fraction`` of ``N`` or ``A`` beats)
       and has a P wave in its median beat (when the signal or ``p_wave`` is
       given) or atrial windows that correlate at least ``sinus_atrial_consistency``
       (when the signal or ``atrial`` is given; ``af_atrial_consistency`` below
       ``sinus_likely_bpm`` when the onset was not abrupt) is sinus tachycardia: ``(N``, since
       the vocabulary has no sinus-tachycardia label (the heart rate tells it). Without the signal a
       fast rhythm stays ``(SVTA``. Consecutive beats with one label form an
       episode, from its first beat to the next episode's first beat.
    5. Every RR interval of ``pause_s`` or more is a ``PAUSE`` episode.
    """
    conf = conf or RhythmConfig()
    b = np.asarray(beats, dtype=np.int64)
    n = len(b)
    if n == 0:
        return []
    sym = np.asarray(symbols)
    rr = np.diff(b, prepend=b[0] - (b[1] - b[0] if n > 1 else round(fs))).astype(np.float64)
    lab = np.full(n, "(N", dtype="<U6")

    supra = np.isin(sym, ["N", "A"])
    usable = supra & np.concatenate([[False], supra[:-1]])
    k = min(conf.rate_beats, n)
    # Rate of the supraventricular rhythm: ventricular runs do not set it.
    padded = np.pad(np.where(usable, rr, np.nan), (k // 2, k - 1 - k // 2), "edge")
    win = np.lib.stride_tricks.sliding_window_view(padded, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        hr = 60.0 * fs / nanmedian_rows(win)
    lab[hr < conf.brady_bpm] = "(SBR"
    lab[hr > conf.tachy_bpm] = "(SVTA"
    paced = np.convolve((sym == "/").astype(float), np.ones(k) / k, mode="same")
    lab[paced >= conf.paced_fraction] = "(P"

    if signal is not None:
        x = np.asarray(signal, dtype=np.float64)

        def p_wave(run: I64) -> bool:
            return delineate(x, fs, run).pr_ms is not None

        def atrial(run: I64) -> float:
            return atrial_consistency(x, fs, run)

        def flutter(run: I64) -> FlutterWaves:
            lo, hi = int(run[0]), int(run[-1]) + 1
            return flutter_waves(x[lo:hi], fs, run - lo)

    short = n - 1 < conf.af_window
    irr = irregularity(rr, usable, conf.af_window)
    af = np.nan_to_num(irr, nan=0.0) > conf.af_irregularity
    # Intervals with no usual length are AF's too, where successive differences are
    # small by chance (a fast AF, whose intervals are short and close).
    mod = windowed_modal_fraction(rr, usable, conf.af_window, AtrialConfig())
    af |= np.nan_to_num(mod, nan=1.0) < conf.af_window_modal_fraction
    edge = np.nan_to_num(irr, nan=0.0) > conf.af_edge_irregularity
    if short:
        af[:] = _short_irregular(rr, sym, conf)
    # AF is random: a few beats may look regular by chance. Short gaps
    # between irregular runs are bridged.
    runs = _runs(af.astype("<U1"))
    for i, (a, z, label) in enumerate(runs):
        if label == "F" and 0 < i < len(runs) - 1 and z - a < conf.min_af_beats:
            af[a:z] = True
    for a, z, label in _runs(np.where(af, "AF", "").astype("<U2")):
        if label != "AF" or (z - a < conf.min_af_beats and not short):
            continue
        if _patterned(rr[a + 1 : z], conf):
            continue
        # Flutter first: each wave conducts after the same delay, so the atrial windows
        # before the beats are alike and the median beat shows a "P wave", and the tests
        # below would take a flutter for sinus rhythm with ectopy.
        fl = _flutter_beats(b[a:z], fs, conf, flutter)
        lab[a:z][fl] = AFL
        if not fl.any() and _two_lengths(rr[a + 1 : z], conf):
            continue
        p_seen = p_wave if not short else None
        if _atrial_wave(b[a:z], p_seen, atrial, conf.af_atrial_consistency, conf.af_window):
            continue
        lab[a:z][~fl] = AFIB
        if not short and not fl.any():
            # Hysteresis: out from a confirmed run while the window stays irregular.
            while a > 0 and edge[a - 1] and lab[a - 1] in RATE_LABELS:
                a -= 1
                lab[a] = AFIB
            while z < n and edge[z] and lab[z] in RATE_LABELS:
                lab[z] = AFIB
                z += 1

    if not short:
        _bridge_ectopy(lab, irr, b, conf, atrial)

    code = "".join("V" if s == "V" else "N" if s in ("N", "A") else "x" for s in sym.tolist())
    # With a pacemaker, a slow run of wide beats is paced beats whose spikes were not
    # seen: the pacemaker does not let the rate fall to an idioventricular escape.
    slow = "(P" if bool(np.any(lab == "(P")) else "(IVR"
    c = conf.pattern_cycles
    # Ventricular runs first, then bigeminy, then trigeminy, each only on beats no
    # earlier one took: an episode keeps its whole cycles in its own beat codes, never
    # the tail of a pattern whose last V a run or another pattern has taken.
    for pattern, label in (
        (rf"V{{{conf.vt_beats},}}", ""),
        (rf"(?:NV){{{c},}}", "(B"),
        (rf"(?:NNV){{{c},}}", "(T"),
    ):
        for m in re.finditer(pattern, code):
            a, z = m.start(), m.end()
            if not label:
                run_rr = rr[a + 1 : z]
                fast = 60.0 * fs / float(np.mean(run_rr)) > conf.vt_bpm if len(run_rr) else False
                lab[a:z] = "(VT" if fast else slow
            else:
                lab[a:z] = label
            code = code[:a] + "x" * (z - a) + code[z:]

    for a, z, label in _runs(lab):
        if label in ("(SBR", "(SVTA") and z - a < conf.min_rate_beats:
            lab[a:z] = "(N"
    for a, z, label in _runs(lab):
        # Short-long cycles that repeat are coupled premature beats (bigeminy,
        # trigeminy), whatever codes they got, not a tachycardia.
        if label == "(SVTA" and _patterned(rr[a + 1 : z], conf):
            lab[a:z] = "(N"
    after_n = np.concatenate([[False], sym[:-1] == "N"])
    for a, z, label in _runs(lab):
        if label == "(SVTA" and _sinus(rr[a:z], after_n[a:z], sym[a:z], conf):
            # An abrupt onset is a re-entrant tachycardia's; the same wave before
            # every beat then proves nothing (its retrograde P is as regular).
            wave = atrial if not _abrupt(rr, a, conf.rate_beats) else None
            # Below ``sinus_likely_bpm`` a regular narrow rhythm that did not start
            # abruptly is far likelier sinus than re-entry: organised atrial activity
            # (no fibrillation) is enough there.
            bpm = 60.0 * fs / float(np.median(rr[a:z]))
            need = (
                conf.af_atrial_consistency
                if bpm < conf.sinus_likely_bpm
                else conf.sinus_atrial_consistency
            )
            if _atrial_wave(b[a:z], p_wave, wave, need):
                lab[a:z] = "(N"
    if not short:
        for a, z, label in _runs(lab):
            # A supraventricular tachycardia is regular; one irregular from beat to beat,
            # in no pattern and without an organised atrial wave, is atrial fibrillation:
            # a paroxysm too short for the AF window to see (half of a centred window
            # stays regular), whose rate made it (SVTA.
            if (
                label == "(SVTA"
                and z - a >= conf.min_af_beats
                and irregular_run(rr[a:z], usable[a:z], conf)
                and not _patterned(rr[a + 1 : z], conf)
                and not _atrial_wave(
                    b[a:z], p_wave, atrial, conf.af_atrial_consistency, conf.af_window
                )
            ):
                lab[a:z] = AFIB
    out: list[RhythmEpisode] = []
    runs = _runs(lab)
    end_all = int(n_samples) if n_samples is not None else int(b[-1]) + 1
    for i, (a, _z, label) in enumerate(runs):
        start = 0 if i == 0 else int(b[a])
        end = int(b[runs[i + 1][0]]) if i + 1 < len(runs) else end_all
        out.append(RhythmEpisode(start, end, label))
    for i in (np.flatnonzero(rr[1:] >= conf.pause_s * fs) + 1).tolist():
        out.append(RhythmEpisode(int(b[i - 1]), int(b[i]), PAUSE))
    return out


def _bridge_ectopy(
    lab: npt.NDArray[np.str_],
    irr: F64,
    b: I64,
    conf: RhythmConfig,
    atrial: Callable[[I64], float] | None,
) -> None:
    """AF goes on through a burst of ectopy: a stretch between two AF episodes where no
    window shows a regular rhythm (frequent ventricular beats leave too few intervals
    between supraventricular beats to judge it: the irregularity is NaN) and no atrial
    wave is common to its beats is the same AF (in ``lab``)."""
    runs = _runs(lab)
    i = 1
    while i < len(runs) - 1:
        if runs[i - 1][2] != AFIB:
            i += 1
            continue
        j = i
        while j < len(runs) and runs[j][2] in RATE_LABELS:
            j += 1
        if j == i or j == len(runs) or runs[j][2] != AFIB:
            i = max(j, i + 1)
            continue
        a, z = runs[i][0], runs[j - 1][1]
        gap = irr[a:z]
        regular = bool(np.any(~np.isnan(gap) & (gap <= conf.af_edge_irregularity)))
        # NaN (too few whole windows) is no evidence of an atrial wave. Asked only of a
        # stretch not already shown regular: hours of sinus rhythm between two episodes
        # of a Holter need no reading.
        if not regular and not (
            atrial is not None and atrial(b[a:z]) >= conf.af_atrial_consistency
        ):
            lab[a:z] = AFIB
        i = j + 1


def _stretches(b: I64, span: int) -> list[tuple[int, int]]:
    """Beat-index ranges [i, k) cutting a run into pieces of about ``span`` samples;
    a last piece under half of that joins the one before."""
    cuts = [0]
    while True:
        k = int(np.searchsorted(b, b[cuts[-1]] + span))
        if k >= len(b):
            break
        cuts.append(k)
    if len(cuts) > 1 and b[-1] - b[cuts[-1]] < span // 2:
        cuts.pop()
    cuts.append(len(b))
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _flutter_beats(
    run: I64, fs: float, conf: RhythmConfig, flutter: Callable[[I64], FlutterWaves] | None
) -> npt.NDArray[np.bool_]:
    """Which beats of an irregular run lie in stretches of about ``flutter_s`` whose
    atrial activity is flutter's (a run may turn from flutter to AF and back)."""
    out = np.zeros(len(run), dtype=bool)
    if flutter is None:
        return out
    for i, k in _stretches(run, round(conf.flutter_s * fs)):
        if flutter(run[i:k]).is_flutter(AtrialConfig(), conf.flutter_organisation):
            out[i:k] = True
    return out


def _short_irregular(rr: F64, sym: npt.NDArray[np.str_], conf: RhythmConfig) -> bool:
    """Whether a record shorter than the AF window is irregular enough, as a whole, for
    atrial fibrillation (or flutter with a variable block).

    Intervals next to a ventricular beat are left out: a PVC's coupling and pause
    are not the atrial rhythm's irregularity.
    """
    if len(rr) < conf.min_af_record_beats:
        return False
    nonv = sym != "V"
    ok = nonv[1:] & nonv[:-1]
    if int(ok.sum()) < conf.min_af_record_beats - 1:
        return False
    return bool(modal_fraction(rr[1:][ok], AtrialConfig()) < conf.af_modal_fraction)


def _patterned(rr: F64, conf: RhythmConfig) -> bool:
    """Whether irregular intervals repeat every second or third beat: the cycles of
    bigeminy or trigeminy (each premature beat on its coupling interval, each pause after
    it alike), which AF's intervals never do.

    Compared over the whole run: neighbouring intervals differ by more than
    ``af_irregularity`` of the median RR (the run is irregular), intervals two or
    three apart by less than half of that, and by less than half as much as
    neighbouring intervals do.
    """
    if len(rr) < 7:
        return False
    med = float(np.median(rr))
    lag1 = float(np.median(np.abs(np.diff(rr)))) / med
    lagk = min(float(np.median(np.abs(rr[k:] - rr[:-k]))) / med for k in (2, 3))
    return lag1 > conf.af_irregularity and lagk <= min(conf.af_irregularity, lag1) / 2


def _two_lengths(rr: F64, conf: RhythmConfig) -> bool:
    """Whether a run's intervals come at two lengths only: sinus rhythm with a blocked
    premature beat or a dropped one (the pause has a length of its own, 1.5 or 2 cycles),
    whose intervals jump about as AF's do, but AF's spread over every length.

    The share of intervals within ``two_lengths[0]`` of the commonest length, plus of the
    rest within as much of theirs, reaches ``two_lengths[1]``; over at least
    ``two_lengths[2]`` intervals (in fewer, two lengths catch most intervals by chance).
    Atrial fibrillation of the tuning half: 0.39-0.73; CPSC 2021 data_35_4 (sinus rhythm,
    intervals of 1.0 and 1.5 s): 0.91.
    """
    tol, share, least = conf.two_lengths
    if len(rr) < least:
        return False
    r = np.sort(rr / max(float(np.median(rr)), 1e-9))

    def commonest(v: F64) -> tuple[int, float]:
        lo = np.searchsorted(v, v * (1 - tol))
        hi = np.searchsorted(v, v * (1 + tol), side="right")
        i = int(np.argmax(hi - lo))
        return int(hi[i] - lo[i]), float(v[i])

    first, c = commonest(r)
    rest = r[np.abs(r / c - 1.0) > tol]
    second = commonest(rest)[0] if len(rest) else 0
    return (first + second) >= share * len(r)


def _abrupt(rr: F64, a: int, k: int) -> bool:
    """Whether the rate jumps up near index ``a`` (within the rate median's lag): one
    interval a fifth shorter than the ones before it, and the rhythm staying that fast.

    Sinus rhythm speeds up over many beats; a re-entrant tachycardia starts from one
    beat to the next. Where no rhythm precedes (a run from the record's start) nothing
    is seen, and False is returned.
    """
    for i in range(max(5, a - k), min(len(rr) - 5, a + k // 2) + 1):
        before = float(np.median(rr[i - 5 : i]))
        if rr[i] < 0.8 * before and float(np.median(rr[i : i + 5])) < 0.85 * before:
            return True
    return False


def _atrial_wave(
    run: I64,
    p_wave: Callable[[I64], bool] | None,
    atrial: Callable[[I64], float] | None,
    consistency: float,
    p_beats: int = 0,
) -> bool:
    """Whether a run's beats have an organised atrial wave before them: a P wave in the
    median beat of a run of more than ``p_beats`` beats, or atrial windows that correlate
    at least ``consistency`` (NaN, too few whole windows, is no evidence of one); False
    without the signal.

    AF is judged with ``p_beats`` = ``af_window``: the median beat of a shorter run shows
    a P wave that is not there as readily as a 10-s record's (a paroxysm of 20 beats was
    kept out so), and the atrial windows judge those alone.
    """
    if len(run) > p_beats and p_wave is not None and p_wave(run):
        return True
    return atrial is not None and atrial(run) >= consistency


def _sinus(
    rr: F64, usable: npt.NDArray[np.bool_], sym: npt.NDArray[np.str_], conf: RhythmConfig
) -> bool:
    """Regular and narrow: the shape of sinus tachycardia, once its P waves are seen.

    Regular between the run's ``N`` beats (``usable``: the intervals that follow an ``N``
    beat): an atrial premature beat and the pause after it break a sinus rhythm's
    intervals without making it another rhythm.
    """
    regular = irregular_run(rr, usable & (sym == "N"), conf) is False
    return regular and float(np.mean(np.isin(sym, ["N", "A"]))) >= conf.sinus_normal_fraction


def irregular_run(rr: F64, usable: npt.NDArray[np.bool_], conf: RhythmConfig) -> bool | None:
    """Whether a run's successive intervals between supraventricular beats differ by more
    than ``af_irregularity`` of its median RR (None: no such pair).

    Measured on the run itself (as :func:`irregularity` measures it), so that a run
    shorter than the AF window (a 10-s record, a short paroxysm) is judged too.
    """
    ok = usable[1:] & usable[:-1]
    if not ok.any():
        return None
    jumps = np.abs(np.diff(rr))[ok]
    return float(np.median(jumps)) > conf.af_irregularity * float(np.median(rr[usable]))


def episodes_from_aux(
    samples: npt.ArrayLike, aux: list[str], n_samples: int
) -> list[RhythmEpisode]:
    """Rhythm episodes from WFDB rhythm annotations (``+`` with an aux label).

    Parameters
    ----------
    samples : array_like of int
        Positions of the rhythm-change annotations, samples.
    aux : list of str
        Their aux notes (trailing NULs, as wfdb reads them, are removed).
    n_samples : int
        Record length; the last rhythm lasts to the end.
    """
    s = np.asarray(samples, dtype=np.int64)
    labels = [a.rstrip("\x00").strip() for a in aux]
    out = []
    for i, (a, label) in enumerate(zip(s.tolist(), labels, strict=True)):
        end = int(s[i + 1]) if i + 1 < len(s) else n_samples
        out.append(RhythmEpisode(a, end, label))
    return out


def overlap_samples(a: list[RhythmEpisode], b: list[RhythmEpisode], label: str) -> int:
    """How long two episode lists agree on one label.

    Parameters
    ----------
    a, b : list of RhythmEpisode
        Episodes, samples (within each list, episodes of one label do not overlap).
    label : str
        The rhythm label to compare.

    Returns
    -------
    int
        Samples labelled ``label`` in both lists.
    """
    total = 0
    for x in (e for e in a if e.label == label):
        for y in (e for e in b if e.label == label):
            total += max(0, min(x.end, y.end) - max(x.start, y.start))
    return total
