"""Arterial pressure, plethysmogram and respiration channels of an ICU record.

The pulse of each beat is modelled as in a two-element Windkessel: the
ventricle ejects for ``lvet`` seconds (upstroke, systolic peak, dicrotic
notch at aortic valve closure, dicrotic wave), then pressure runs off
exponentially towards a floor until the next beat's ejection starts. The
pressure at each pulse foot is carried from the previous beat, so long RR
intervals give low diastolic pressures and fast rhythms pile pulses up.

Stroke volume follows ventricular filling time (Frank-Starling): a premature
beat ejects little, the beat after a compensatory pause ejects more, and a
fast VT run barely perfuses, which is what makes a true VT alarm visible on
the pressure trace. Ventricular beats eject less still (dyssynchrony).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .morphology import KIND_V
from .noise import child_rng, resp_wave
from .rhythm import BeatTrain, Drivers
from .spec import RecordSpec

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PulseShape:
    """Shape of one pulse.

    Attributes
    ----------
    delay : float
        Seconds from the R peak to the pulse foot (pulse arrival time).
    tau : float
        Diastolic run-off time constant in seconds.
    notch : float
        Pressure at the dicrotic notch, as a fraction of the pulse.
    dicrotic : float
        Height of the dicrotic wave, as a fraction of the pulse.
    rise : float
        Exponent of the upstroke: smaller values give an earlier, sharper peak.
    """

    delay: float
    tau: float
    notch: float
    dicrotic: float
    rise: float


ABP_SHAPE = PulseShape(delay=0.20, tau=1.4, notch=0.58, dicrotic=0.09, rise=0.65)
# A finger plethysmogram arrives later and is smoother: the vascular bed
# low-pass filters the pressure wave.
PPG_SHAPE = PulseShape(delay=0.27, tau=0.7, notch=0.62, dicrotic=0.04, rise=0.95)


def pulse(tau: F64, lvet: F64, shape: PulseShape) -> F64:
    """Pulse waveform ``tau`` seconds after its foot, 0 at the foot, peak ~1.

    Parameters
    ----------
    tau : ndarray
        Seconds since the foot (>= 0).
    lvet : ndarray or float
        Left-ventricular ejection time of the beat in seconds.
    shape : PulseShape
        Shape parameters.
    """
    u = np.clip(tau / lvet, 0.0, 1.0)
    ramp = np.clip(u / 0.3, 0.0, 1.0)
    systole = (
        shape.notch * ramp * ramp * (3 - 2 * ramp)
        + (1 - shape.notch) * np.sin(np.pi * u**shape.rise) ** 1.5
    )
    x = np.maximum(tau - lvet, 0.0)
    xp = 0.05  # dicrotic wave peaks 50 ms after the notch
    diastole = shape.notch * np.exp(-x / shape.tau) + shape.dicrotic * (x / xp) * np.exp(1 - x / xp)
    return np.asarray(np.where(tau < lvet, systole, diastole), dtype=np.float64)


class PulseTrain:
    """The pulses of every beat, evaluated at any time.

    Parameters
    ----------
    beats : BeatTrain
        Beat times, kinds and RR intervals.
    shape : PulseShape
        Pulse shape.
    systolic, diastolic : float
        Targets at the resting heart rate (mmHg, or any unit).
    resting_rr : float
        RR interval in seconds at which the targets hold.
    drivers : Drivers
        Respiration, which modulates the pulse size slightly.
    """

    def __init__(
        self,
        beats: BeatTrain,
        shape: PulseShape,
        systolic: float,
        diastolic: float,
        resting_rr: float,
        drivers: Drivers,
    ) -> None:
        self.shape = shape
        # Stroke volume from filling time, relative to rest.
        fill = np.clip((beats.rr - 0.22) / (resting_rr - 0.22), 0.03, 1.35) ** 0.8
        fill = np.where(beats.kind == KIND_V, 0.55 * fill, fill)
        # Pulsus paradoxus in miniature: a few % smaller on inspiration.
        fill *= 1 + 0.04 * np.cos(drivers.phase_at(beats.time))
        hr = 60.0 / np.clip(beats.rr, 0.25, 3.0)
        self.lvet = np.clip(0.413 - 0.0017 * hr, 0.15, 0.36)
        self.feet = beats.time + shape.delay
        rest_lvet = float(np.clip(0.413 - 0.0017 * 60 / resting_rr, 0.15, 0.36))
        floor, pp = self._calibrate(systolic, diastolic, resting_rr, rest_lvet)
        self.floor = floor
        self.pp = pp * fill
        d = np.empty(len(self.feet) + 1)
        a = np.exp(-resting_rr / shape.tau)
        d[0] = floor + pp * float(
            pulse(np.array([resting_rr]), np.array([rest_lvet]), shape)[0]
        ) / (1 - a)
        gaps = np.diff(self.feet, append=self.feet[-1] + 10.0) if len(self.feet) else self.feet
        ends = pulse(gaps, self.lvet, shape)
        decay = np.exp(-gaps / shape.tau)
        for i in range(len(self.feet)):
            d[i + 1] = floor + (d[i] - floor) * decay[i] + self.pp[i] * ends[i]
        self.d = d  # d[i]: pressure at foot i; d[-1]: after the last pulse

    def _calibrate(
        self, systolic: float, diastolic: float, rr: float, lvet: float
    ) -> tuple[float, float]:
        """Floor and pulse size that give ``systolic/diastolic`` at steady ``rr``.

        At steady state the foot pressure D satisfies
        D = floor + pp * k with k = pulse(rr) / (1 - exp(-rr/tau)); the peak
        is floor + pp * max(k * exp(-t/tau) + pulse(t)). Both are linear in
        (floor, pp).
        """
        k = float(pulse(np.array([rr]), np.array([lvet]), self.shape)[0]) / (
            1 - np.exp(-rr / self.shape.tau)
        )
        t = np.linspace(0, lvet, 200)
        peak = float(
            np.max(k * np.exp(-t / self.shape.tau) + pulse(t, np.full_like(t, lvet), self.shape))
        )
        pp = (systolic - diastolic) / (peak - k)
        return diastolic - pp * k, pp

    def __call__(self, t: F64) -> F64:
        """Pressure at times ``t`` (seconds)."""
        i = np.searchsorted(self.feet, t, side="right") - 1
        before = i < 0
        j = np.maximum(i, 0)
        tau = t - self.feet[j] if len(self.feet) else np.full_like(t, 1e3)
        p = self.floor + (self.d[j] - self.floor) * np.exp(-tau / self.shape.tau)
        p += self.pp[j] * pulse(tau, self.lvet[j], self.shape) if len(self.feet) else 0.0
        if before.any():
            p[before] = self.d[0]
        return np.asarray(p, dtype=np.float64)


class Haemodynamics:
    """ABP (mmHg), PLETH (NU) and RESP (NU) for one record.

    Parameters
    ----------
    spec : RecordSpec
        Heart rate, artefact episodes, noise level.
    beats : BeatTrain
        The ECG's beats, which the pulses follow.
    drivers : Drivers
        Respiration.
    seed : numpy.random.SeedSequence
        Root of this component's random streams.
    """

    def __init__(
        self, spec: RecordSpec, beats: BeatTrain, drivers: Drivers, seed: np.random.SeedSequence
    ) -> None:
        rng = child_rng(seed, 0)
        self.seed = seed
        self.drivers = drivers
        self.noise = spec.noise
        # Calibrate at the RR the patient actually has, not the nominal rate.
        sinus = beats.rr[beats.kind != KIND_V]
        rest = float(np.median(sinus)) if len(sinus) else 60.0 / spec.heart_rate
        sbp = float(np.clip(rng.normal(122, 9), 100, 150))
        dbp = float(np.clip(rng.normal(76, 6), 58, 92))
        self.abp = PulseTrain(beats, ABP_SHAPE, sbp, dbp, rest, drivers)
        self.ppg = PulseTrain(beats, PPG_SHAPE, 1.0, 0.0, rest, drivers)
        self.ppg_offset = float(rng.uniform(1.5, 2.5))
        self.resp_amp = float(rng.uniform(0.25, 0.5))
        # No two breaths are equally deep: one random depth per breath.
        n_breaths = int(drivers.resp_phase[-1] / (2 * np.pi)) + 2
        self.depth = np.exp(rng.normal(0, 0.15, n_breaths))
        self.artefacts = [e for e in spec.episodes if e.kind in ("vt_artefact", "motion")]

    def render(self, name: str, t: F64, chunk_index: int) -> F64:
        """Physical values of channel ``name`` at times ``t`` (seconds)."""
        rng = child_rng(self.seed, 1, chunk_index, len(name))
        if name == "ABP":
            return self.abp(t) + rng.normal(0, 0.25 * self.noise, len(t))
        phase = self.drivers.phase_at(t)
        resp = resp_wave(phase)
        if name == "PLETH":
            # Respiration modulates both the baseline and the pulse amplitude.
            pleth = self.ppg(t) * (1 + 0.08 * resp) + 0.12 * resp + self.ppg_offset
            return np.asarray(pleth + rng.normal(0, 0.004 * self.noise, len(t)), dtype=np.float64)
        if name == "RESP":
            # Impedance also swings a little with each heartbeat (cardiogenic
            # oscillation) and a lot with body movement.
            cycles = phase / (2 * np.pi)
            k = np.minimum(cycles.astype(np.int64), len(self.depth) - 2)
            f = cycles - k
            depth = self.depth[k] + (self.depth[k + 1] - self.depth[k]) * f
            out = self.resp_amp * depth * resp + 0.03 * self.ppg(t)
            for ep in self.artefacts:
                if ep.end > t[0] and ep.start < t[-1]:
                    inside = (t >= ep.start) & (t < ep.end)
                    rate = (ep.rate or 200.0) / 60 if ep.kind == "vt_artefact" else 1.5
                    out[inside] += (
                        0.4 * self.resp_amp * ep.level * np.sin(2 * np.pi * rate * t[inside])
                    )
            return np.asarray(out + rng.normal(0, 0.003 * self.noise, len(t)), dtype=np.float64)
        raise ValueError(f"unknown channel {name}")
