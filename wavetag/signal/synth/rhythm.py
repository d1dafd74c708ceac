"""Beat times and beat types: the rhythm half of the ECG model.

Two slow "autonomic" drivers are drawn first, on a coarse time grid: heart
rate (resting rate x circadian swing x a wandering random factor x exertion)
and respiration (rate and phase). Sinus beats follow the heart rate, with
respiratory sinus arrhythmia (the RR interval shortens on inspiration).
Ectopic beats and the rhythm episodes of the spec are then woven in beat by
beat, with the timing rules a cardiologist expects: a PVC is followed by a
fully compensatory pause (the sinus node is not reset), a PAC resets the
sinus node, atrial fibrillation is irregularly irregular, a VT run is fast
and nearly regular and ends with a pause before sinus rhythm resumes.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from .morphology import KIND_A, KIND_F, KIND_N, KIND_V
from .spec import Episode, RecordSpec

F64 = npt.NDArray[np.float64]
GRID_FS = 2.0  # Hz; the drivers change over seconds, not milliseconds

KIND_SYMBOL = {KIND_N: "N", KIND_A: "A", KIND_V: "V", KIND_F: "N"}


@dataclass
class BeatTrain:
    """Every beat of a record plus the rhythm labels.

    Attributes
    ----------
    time : ndarray of float64
        Fiducial (R peak) times in seconds.
    kind : ndarray of int8
        Template kind per beat (``KIND_N``, ``KIND_A``, ``KIND_V``, ``KIND_F``).
    rr : ndarray of float64
        Interval from the previous beat in seconds (the first beat gets the
        resting interval).
    rhythm : list of (float, str)
        Rhythm changes: time in seconds and the WFDB aux label (``"(N"``...).
    notes : list of (float, str)
        Free-text events (sinus pauses), time in seconds.
    af_spans : list of (float, float)
        Intervals (seconds) with fibrillatory atrial activity.
    flutter_spans : list of (float, float, float, float)
        Intervals (seconds) with flutter waves: start, end, the time of one F wave and
        the flutter cycle, s (the waves are locked to the beats they conduct).
    """

    time: F64
    kind: npt.NDArray[np.int8]
    rr: F64
    rhythm: list[tuple[float, str]] = field(default_factory=list)
    notes: list[tuple[float, str]] = field(default_factory=list)
    af_spans: list[tuple[float, float]] = field(default_factory=list)
    flutter_spans: list[tuple[float, float, float, float]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.time)

    @property
    def symbols(self) -> list[str]:
        return [KIND_SYMBOL[int(k)] for k in self.kind]


def _smooth_noise(rng: np.random.Generator, n: int, tau: float, sd: float) -> F64:
    """Stationary AR(1) noise on the grid: time constant ``tau`` s, std ``sd``."""
    a = float(np.exp(-1.0 / (tau * GRID_FS)))
    x = lfilter([np.sqrt(1 - a * a) * sd], [1.0, -a], rng.standard_normal(n))
    # Start from the stationary distribution rather than from zero.
    x += rng.normal(0.0, sd) * a ** np.arange(n)
    return np.asarray(x, dtype=np.float64)


def _ramp(t: F64, ep: Episode) -> F64:
    """0 outside the episode, 1 inside, with smooth ramps of a quarter of it
    (at most a minute)."""
    r = min(60.0, ep.duration / 4)
    up = np.clip((t - ep.start) / r, 0, 1)
    down = np.clip((ep.end - t) / r, 0, 1)
    x = np.minimum(up, down)
    return np.asarray(x * x * (3 - 2 * x), dtype=np.float64)


class Drivers:
    """Heart rate and respiration over the whole record, on a 2 Hz grid.

    Parameters
    ----------
    spec : RecordSpec
        The record; uses duration, heart rate, ``tachy`` episodes, base time.
    rng : numpy.random.Generator
        Source of the random wander.
    """

    def __init__(self, spec: RecordSpec, rng: np.random.Generator) -> None:
        # Margin: beats just past the end still ask for the sinus rate.
        n = int(np.ceil(spec.duration * GRID_FS)) + 20
        self.t = np.arange(n) / GRID_FS
        clock_h = 10.0
        if spec.base_time is not None:
            bt = spec.base_time
            clock_h = bt.hour + bt.minute / 60 + bt.second / 3600
        hours = clock_h + self.t / 3600
        # Lowest around 3 a.m., highest in the afternoon: about +-8 %.
        circadian = 1 + 0.08 * np.cos(2 * np.pi * (hours - 15) / 24)
        wander = np.exp(_smooth_noise(rng, n, 90.0, 0.045) + _smooth_noise(rng, n, 900.0, 0.05))
        hr = spec.heart_rate * circadian * wander
        breaths = rng.uniform(12, 18) / 60 * np.exp(_smooth_noise(rng, n, 120.0, 0.08))
        for ep in spec.episodes:
            if ep.kind == "tachy":
                w = _ramp(self.t, ep)
                target = ep.rate or 120.0
                hr = hr * (1 - w) + target * np.exp(_smooth_noise(rng, n, 30.0, 0.02)) * w
                breaths = breaths * (1 + 0.6 * w)
        self.hr: F64 = np.clip(hr, 30, 200)
        self.resp_hz: F64 = breaths
        self.resp_phase: F64 = (
            2 * np.pi * np.concatenate([[rng.random()], np.cumsum(breaths[:-1]) / GRID_FS])
        )
        # Respiratory sinus arrhythmia, as a fraction of RR; less with tachycardia.
        self.rsa = float(rng.uniform(0.025, 0.06))
        # array.array: Python-float indexing (fast in the beat loop) at
        # 8 bytes an entry, a tenth of what a list of floats costs.
        self._hr_list = array("d", self.hr.tobytes())
        self._ph_list = array("d", self.resp_phase.tobytes())

    def phase_at(self, t: F64) -> F64:
        """Respiratory phase (radians, increasing) at times ``t`` in seconds."""
        return np.asarray(np.interp(t, self.t, self.resp_phase), dtype=np.float64)

    def sinus_rr(self, t: float) -> float:
        """The sinus node's current cycle length in seconds."""
        i = int(t * GRID_FS)
        frac = t * GRID_FS - i
        hr = self._hr_list[i] + (self._hr_list[i + 1] - self._hr_list[i]) * frac
        ph = self._ph_list[i] + (self._ph_list[i + 1] - self._ph_list[i]) * frac
        rsa = self.rsa * min(1.0, 75.0 / hr)
        return 60.0 / hr * (1.0 - rsa * math.sin(ph))


class _Builder:
    """Beats and labels collected while walking through the record."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.kinds: list[int] = []
        self.rhythm: list[tuple[float, str]] = [(0.0, "(N")]
        self.notes: list[tuple[float, str]] = []
        self.af_spans: list[tuple[float, float]] = []
        self.flutter_spans: list[tuple[float, float, float, float]] = []

    @property
    def last(self) -> float:
        return self.times[-1] if self.times else 0.0

    def emit(self, t: float, kind: int) -> None:
        self.times.append(t)
        self.kinds.append(kind)

    def label(self, t_first: float, aux: str) -> None:
        # Between the previous beat and the first beat of the new rhythm, as
        # in the MIT-BIH reference files.
        prev = self.last
        self.rhythm.append((max(prev, t_first - min(0.15, 0.4 * (t_first - prev))), aux))


def generate_beats(spec: RecordSpec, drivers: Drivers, rng: np.random.Generator) -> BeatTrain:
    """Place every beat of the record.

    Parameters
    ----------
    spec : RecordSpec
        Ectopy rates and rhythm episodes.
    drivers : Drivers
        Heart rate and respiration.
    rng : numpy.random.Generator
        Source of ectopy and of RR irregularity.

    Returns
    -------
    BeatTrain
        Beats up to ``spec.duration``.

    Notes
    -----
    The loop walks beat to beat:

    1. If a rhythm episode has begun, its own generator emits its beats and
       returns when the next (sinus) beat is due.
    2. Otherwise emit a sinus beat. If the next sinus beat would fall after
       the start of the next episode, go to 1.
    3. Otherwise, by chance, insert a PVC (then skip one sinus beat: the
       compensatory pause) or a PAC (then restart the sinus cycle from it).
    """
    end = spec.duration
    episodes = sorted(
        (e for e in spec.episodes if e.kind in ("afib", "aflutter", "vt", "pause", "bigeminy")),
        key=lambda e: e.start,
    )
    out = _Builder()
    per_beat_v = spec.pvc_per_hour / 3600 * 60 / spec.heart_rate
    per_beat_a = spec.pac_per_hour / 3600 * 60 / spec.heart_rate
    v_coupling = float(rng.uniform(0.5, 0.65))  # unifocal PVCs: fixed coupling
    forced = sorted((e.start, e.kind) for e in spec.episodes if e.kind in ("pvc", "pac"))

    t = float(rng.uniform(0.15, 0.9)) * drivers.sinus_rr(0.0)
    ep_i = f_i = 0
    while t < end:
        ep = episodes[ep_i] if ep_i < len(episodes) else None
        if ep is not None and t >= ep.start:
            ep_i += 1
            t = _run_episode(ep, t, drivers, rng, out, v_coupling, end)
            continue
        out.emit(t, KIND_N)
        rr = drivers.sinus_rr(t)
        nxt = t + rr
        if ep is not None and nxt >= ep.start:
            t = nxt
            continue
        u = rng.random()
        ectopic = "pvc" if u < per_beat_v else "pac" if u < per_beat_v + per_beat_a else ""
        # An ectopic beat asked for at a given time follows the sinus beat
        # before it; those that fall inside an episode are dropped.
        while f_i < len(forced) and forced[f_i][0] < t:
            f_i += 1
        if f_i < len(forced) and forced[f_i][0] < nxt:
            ectopic = forced[f_i][1]
            f_i += 1
        if ectopic == "pvc":
            tv = t + rr * (v_coupling + rng.normal(0, 0.015))
            if tv < end:
                out.emit(tv, KIND_V)
            # The sinus beat due during the PVC is blocked: compensatory pause.
            nxt = t + 2 * rr
        elif ectopic == "pac":
            ta = t + rr * float(rng.uniform(0.6, 0.8))
            if ta < end:
                out.emit(ta, KIND_A)
            # The ectopic impulse resets the sinus node.
            nxt = ta + drivers.sinus_rr(ta) * 1.05
        t = nxt
    tarr = np.asarray(out.times, dtype=np.float64)
    # A label with no beat before the next label (an episode at the very
    # start, a rhythm that would resume after the end) labels nothing.
    bounds = [t for t, _ in out.rhythm[1:]] + [np.inf]
    out.rhythm = [
        r
        for r, nxt in zip(out.rhythm, bounds, strict=True)
        if np.any((tarr >= r[0]) & (tarr < nxt) & (tarr < end))
    ]
    first_rr = 60.0 / spec.heart_rate
    rr_arr = np.diff(tarr, prepend=tarr[0] - first_rr) if len(tarr) else tarr
    return BeatTrain(
        time=tarr,
        kind=np.asarray(out.kinds, dtype=np.int8),
        rr=rr_arr,
        rhythm=out.rhythm,
        notes=out.notes,
        af_spans=out.af_spans,
        flutter_spans=out.flutter_spans,
    )


def _run_episode(
    ep: Episode,
    t: float,
    drivers: Drivers,
    rng: np.random.Generator,
    out: _Builder,
    v_coupling: float,
    end: float,
) -> float:
    """Emit the beats of one rhythm episode; return the time of the next beat.

    ``t`` is when the next sinus beat would have come (at or after the
    episode's start).
    """
    prev = out.last
    if ep.kind == "pause":
        out.notes.append((prev + ep.duration / 2, f"PAUSE {ep.duration:.1f}s"))
        return prev + ep.duration
    if ep.kind == "vt":
        rate = ep.rate or 170.0
        tv = max(ep.start, prev + 0.3)
        out.label(tv, "(VT")
        n = 0
        while (tv < ep.end or n < 3) and tv < end:
            out.emit(tv, KIND_V)
            n += 1
            tv += 60.0 / rate * (1 + rng.normal(0, 0.025))
        # Overdrive suppression: the sinus node takes a while to fire again.
        nxt = out.last + drivers.sinus_rr(out.last) * 1.4
        out.label(nxt, "(N")
        return nxt
    if ep.kind == "afib":
        rate = ep.rate or 105.0
        ta = max(ep.start, prev + 0.35)
        out.label(ta, "(AFIB")
        start = ta
        while ta < ep.end and ta < end:
            out.emit(ta, KIND_F)
            # Irregularly irregular: independent lognormal draws (CV ~ 0.25),
            # never shorter than the AV node's refractory period.
            ta += max(0.32, 60.0 / rate * float(np.exp(rng.normal(-0.03, 0.25))))
        # The sinus node needs a moment to recover after conversion.
        nxt = out.last + drivers.sinus_rr(out.last) * 1.3
        out.af_spans.append((start - 0.3, nxt - 0.25))
        out.label(nxt, "(N")
        return nxt
    if ep.kind == "aflutter":
        cycle = 60.0 / (ep.rate or 300.0)
        # The AV node conducts every second to fourth F wave (variable block), each
        # after the same FR delay: intervals that are whole multiples of the cycle.
        fr = 0.26
        ta = max(ep.start, prev + 0.35)
        out.label(ta, "(AFL")
        start = ta
        while ta < ep.end and ta < end:
            out.emit(ta + float(rng.normal(0, 0.003)), KIND_F)
            ta += cycle * int(rng.choice([2, 3, 4], p=[0.4, 0.35, 0.25]))
        nxt = out.last + drivers.sinus_rr(out.last) * 1.3
        out.flutter_spans.append((start - 0.3, nxt - 0.25, start - fr, cycle))
        out.label(nxt, "(N")
        return nxt
    # Ventricular bigeminy: every sinus beat followed by a coupled PVC.
    tn = t
    out.label(tn, "(B")
    while tn < ep.end and tn < end:
        out.emit(tn, KIND_N)
        rr = drivers.sinus_rr(tn)
        tv = tn + rr * (v_coupling + rng.normal(0, 0.015))
        if tv >= end:
            return tv
        out.emit(tv, KIND_V)
        tn += 2 * rr
    out.label(tn, "(N")
    return tn
