"""What a synthetic record should contain: the declarative part of the generator.

A :class:`RecordSpec` is a small frozen value (a few numbers and a list of
:class:`Episode`) from which :func:`wavetag.signal.synth.synthesize` builds the
samples and the reference annotations. The same spec and seed always give the
same record, sample for sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Literal

EpisodeKind = Literal[
    "afib",  # atrial fibrillation: irregular RR, no P waves, f-waves
    "aflutter",  # atrial flutter: saw-tooth F waves, variable 2:1 to 4:1 conduction
    "vt",  # ventricular tachycardia run
    "pause",  # sinus arrest: one RR interval of ``duration`` seconds
    "bigeminy",  # ventricular bigeminy: N V N V ...
    "tachy",  # sinus tachycardia from exertion (heart rate raised to ``rate``)
    "pvc",  # one premature ventricular beat near ``start`` (duration ignored)
    "pac",  # one premature atrial beat near ``start`` (duration ignored)
    "emg",  # muscle noise burst
    "motion",  # electrode-motion artefact (baseline jumps, 0.5-8 Hz)
    "vt_artefact",  # rhythmic movement artefact at VT-like rates (false alarms)
]
RHYTHM_KINDS: frozenset[str] = frozenset({"afib", "aflutter", "vt", "pause", "bigeminy", "tachy"})
NOISE_KINDS: frozenset[str] = frozenset({"emg", "motion", "vt_artefact"})

ExtraSignal = Literal["ABP", "PLETH", "RESP"]
SignalFormat = Literal["16", "212"]

STANDARD_12 = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")


@dataclass(frozen=True)
class Episode:
    """A stretch of a record with a rhythm disturbance or an artefact.

    Attributes
    ----------
    kind : EpisodeKind
        What happens (see the literal's values).
    start : float
        Onset, seconds from the start of the record.
    duration : float
        Length in seconds. For ``"pause"`` it is the length of the pause
        itself (the RR interval, at least 2 s to count as a pause).
    rate : float
        Heart rate in beats per minute for ``"vt"``, ``"afib"`` (mean
        ventricular rate) and ``"tachy"``; the atrial (F-wave) rate for
        ``"aflutter"``; frequency in movements per minute for ``"vt_artefact"``.
        0 picks a plausible default.
    level : float
        Amplitude scale of an artefact (1 = typical). Ignored by rhythms.
    """

    kind: EpisodeKind
    start: float
    duration: float
    rate: float = 0.0
    level: float = 1.0

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class Alarm:
    """A bedside-monitor alarm, as in the PhysioNet/CinC Challenge 2015.

    Attributes
    ----------
    time : float
        When the alarm fired, seconds from the start of the record.
    label : str
        Alarm type as the Challenge spells it (``Ventricular_Tachycardia``,
        ``Asystole``, ``Bradycardia``, ``Tachycardia``, ``Ventricular_Flutter_Fib``).
    true_alarm : bool
        Whether the alarm was real (the answer a reviewer should reach).
    """

    time: float
    label: str
    true_alarm: bool


@dataclass(frozen=True)
class RecordSpec:
    """Everything needed to synthesise one record.

    Attributes
    ----------
    name : str
        Record name (file stem of the WFDB files).
    duration : float
        Length in seconds.
    fs : float
        Sampling frequency in Hz (one frequency for all channels).
    ecg_leads : tuple of str
        ECG lead names in record order: the 12 standard names, ``MLII``
        (modified lead II), ``MCL1``, ``V`` (a chest lead of a bedside monitor).
    extra : tuple of {"ABP", "PLETH", "RESP"}
        Non-ECG channels, after the ECG leads.
    seed : int
        Seed of every random choice; also picks the patient's morphology.
    heart_rate : float
        Resting sinus rate in beats per minute.
    pvc_per_hour, pac_per_hour : float
        Mean rate of isolated premature ventricular / atrial beats.
    episodes : tuple of Episode
        Rhythm disturbances and artefacts, in any order. Rhythm episodes must
        not overlap one another; artefacts may overlap anything.
    noise : float
        Scale of the always-present noise (mains, baseline wander,
        instrument noise); 0 gives an unrealistically clean record.
    ecg_gain : float
        ECG gain in ADC units per mV (200 as in MIT-BIH, 1000 as in PTB-XL).
    fmt : {"16", "212"}
        WFDB signal file format.
    comments : tuple of str
        Header comment lines, written without the leading ``#``.
    base_time, base_date : datetime.time, datetime.date or None
        Clock time and date of the first sample (header fields). A 24-h
        record's circadian heart-rate swing follows ``base_time``.
    alarm : Alarm or None
        The monitor alarm this record is about, if any.
    mains_hz : float
        Power-line frequency (50 in Europe, 60 in North America).
    """

    name: str
    duration: float
    fs: float
    ecg_leads: tuple[str, ...]
    extra: tuple[ExtraSignal, ...] = ()
    seed: int = 0
    heart_rate: float = 70.0
    pvc_per_hour: float = 0.0
    pac_per_hour: float = 0.0
    episodes: tuple[Episode, ...] = ()
    noise: float = 1.0
    ecg_gain: float = 1000.0
    fmt: SignalFormat = "16"
    comments: tuple[str, ...] = ()
    base_time: time | None = None
    base_date: date | None = None
    alarm: Alarm | None = None
    mains_hz: float = 50.0

    @property
    def n_samples(self) -> int:
        return round(self.duration * self.fs)

    @property
    def signal_names(self) -> tuple[str, ...]:
        return self.ecg_leads + tuple(self.extra)

    def validate(self) -> None:
        """Raise ValueError when the spec cannot be synthesised."""
        if not self.fs > 0 or not self.duration > 0:
            raise ValueError("fs and duration must be positive")
        if not self.ecg_leads:
            raise ValueError("a record needs at least one ECG lead")
        if not 20 <= self.heart_rate <= 220:
            raise ValueError(f"heart_rate {self.heart_rate} bpm is not plausible")
        rhythms = sorted(
            (e for e in self.episodes if e.kind in RHYTHM_KINDS), key=lambda e: e.start
        )
        for a, b in zip(rhythms, rhythms[1:], strict=False):
            if b.start < a.end:
                raise ValueError(f"rhythm episodes overlap: {a} and {b}")
        for e in self.episodes:
            if e.start < 0 or (e.duration <= 0 and e.kind not in ("pvc", "pac")):
                raise ValueError(f"episode outside the record: {e}")
            if e.kind == "pause" and e.duration < 2.0:
                raise ValueError("a sinus pause lasts at least 2 s")
