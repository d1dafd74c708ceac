"""Everything on an ECG that is not the heart.

Components, per recorded lead (derived limb leads inherit theirs from I and II):

* baseline wander: a respiration-locked part plus a random drift, both
  slow, computed on a coarse grid and interpolated;
* instrument and muscle noise: slices of a pre-filtered noise bank at
  random offsets, so that streaming a day costs one addition per sample;
* mains interference at a low level;
* artefact episodes of the spec (EMG bursts, electrode motion, rhythmic
  movement that mimics VT), each drawn from its own seed when first needed
  and forgotten once passed, so memory does not grow with the record.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt
from scipy.signal import butter, sosfiltfilt

from .rhythm import Drivers
from .spec import Episode, RecordSpec

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
BANK_LEN = 1 << 17
KNOT_S = 4.0  # seconds between baseline-drift knots


def child_rng(seed: np.random.SeedSequence, *key: int) -> np.random.Generator:
    """A generator for one named piece of the record (a chunk, an episode):
    the same key always gives the same numbers, whatever was drawn before."""
    return np.random.default_rng(
        np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, *key))
    )


def _hash(key: int, index: int, n: int) -> npt.NDArray[np.uint64]:
    """``n`` pseudo-random 64-bit integers for (key, index): splitmix64.

    Cheaper than a seeded generator per chunk (a few microseconds instead of
    ~150) and just as reproducible.
    """
    golden = np.uint64(0x9E3779B97F4A7C15)
    counters = np.uint64(index) * np.uint64(1 << 20) + np.arange(1, n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(key) + counters * golden
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return np.asarray(z ^ (z >> np.uint64(31)), dtype=np.uint64)


def resp_wave(phase: F64) -> F64:
    """Respiration as a function of its phase: quicker inspiration than
    expiration, range -1..1, rising from phase 0."""
    return np.asarray(-np.cos(phase - 0.45 * np.sin(phase)), dtype=np.float64)


def _band_noise(rng: np.random.Generator, n: int, fs: float, lo: float, hi: float) -> F64:
    """Unit-RMS Gaussian noise band-limited to ``lo``..``hi`` Hz."""
    hi = min(hi, 0.45 * fs)
    sos = butter(2, [lo, hi], btype="bandpass", fs=fs, output="sos")
    x = np.asarray(sosfiltfilt(sos, rng.standard_normal(n)), dtype=np.float64)
    return x / max(float(x.std()), 1e-12)


def _smooth_window(t: F64, start: float, end: float, ramp: float) -> F64:
    up = np.clip((t - start) / ramp, 0, 1)
    down = np.clip((end - t) / ramp, 0, 1)
    x = np.minimum(up, down)
    return np.asarray(x * x * (3 - 2 * x), dtype=np.float64)


class EcgNoise:
    """Noise and artefacts for the recorded leads of one record.

    Parameters
    ----------
    spec : RecordSpec
        Noise scale, mains frequency, artefact episodes.
    n_leads : int
        Number of recorded (projected) leads.
    drivers : Drivers
        Respiration, for the respiration-locked wander.
    seed : numpy.random.SeedSequence
        Root of this component's random streams.
    """

    def __init__(
        self, spec: RecordSpec, n_leads: int, drivers: Drivers, seed: np.random.SeedSequence
    ) -> None:
        self.fs = spec.fs
        self.n_leads = n_leads
        self.drivers = drivers
        self.level = spec.noise
        self.mains_hz = spec.mains_hz
        self._seed = seed
        self._key = int(seed.generate_state(1, np.uint64)[0])
        rng = np.random.default_rng(seed.spawn(1)[0])
        # Broadband (instrument + low-level muscle) noise, 5 Hz to ~150 Hz.
        self.bank = _band_noise(rng, BANK_LEN, spec.fs, 5.0, 150.0).astype(np.float32)
        lv = spec.noise
        self.instrument = (rng.uniform(0.006, 0.014, n_leads) * lv).astype(np.float32)
        sign = rng.choice([-1.0, 1.0], n_leads)
        self.resp_amp = (rng.uniform(0.01, 0.06, n_leads) * sign * lv).astype(np.float32)
        self.mains_amp = (rng.uniform(0.002, 0.012, n_leads) * lv).astype(np.float32)
        if spec.fs < 2.5 * spec.mains_hz:
            self.mains_amp[:] = 0  # the recorder's anti-alias filter removes it
        self.mains_phase = float(rng.uniform(0, 2 * np.pi))
        # Mains is periodic in samples whenever mains_hz / fs is a small
        # fraction (50/500 -> 10 samples, 50/360 -> 36): then one table
        # serves every chunk.
        ratio = Fraction(spec.mains_hz / spec.fs).limit_denominator(1000)
        exact = abs(float(ratio) - spec.mains_hz / spec.fs) < 1e-12
        self._mains_period = ratio.denominator if exact else 0
        self._mains_table: F32 | None = None
        n_knots = int(np.ceil(spec.duration / KNOT_S)) + 3
        self.knots = (rng.normal(0.0, 0.05 * lv, (n_leads, n_knots))).astype(np.float32)
        self.episodes: list[tuple[int, Episode]] = [
            (i, e)
            for i, e in enumerate(spec.episodes)
            if e.kind in ("emg", "motion", "vt_artefact")
        ]
        self._cache: dict[int, tuple[int, F32]] = {}

    # -- slow part -----------------------------------------------------------

    def baseline(self, t: F64) -> F32:
        """Baseline wander in mV at times ``t`` (s), shape (n_leads, len(t))."""
        resp = resp_wave(self.drivers.phase_at(t)).astype(np.float32)
        pos = t / KNOT_S
        i = np.minimum(pos.astype(np.int64), self.knots.shape[1] - 2)
        f = (pos - i).astype(np.float32)
        f = f * f * (3 - 2 * f)  # smoothstep: no corners at the knots
        k0 = self.knots[:, i]
        out = k0 + (self.knots[:, i + 1] - k0) * f
        out += self.resp_amp[:, None] * resp
        return np.asarray(out, dtype=np.float32)

    # -- fast part -----------------------------------------------------------

    def add_fast(self, leads: F32, start: int, chunk_index: int) -> None:
        """Add instrument noise, mains and artefacts to ``leads`` (in place).

        ``leads`` has shape (n_leads, n) and covers samples ``start`` to
        ``start + n``; ``chunk_index`` keys the noise-bank offsets so that the
        result does not depend on what was rendered before.
        """
        n = leads.shape[1]
        offsets = _hash(self._key, chunk_index, self.n_leads) % np.uint64(BANK_LEN - n)
        for j in range(self.n_leads):
            o = int(offsets[j])
            leads[j] += self.bank[o : o + n] * self.instrument[j]
        if self.mains_amp.any():
            mains = self._mains(start, n)
            leads += self.mains_amp[:, None] * mains
        for idx, ep in self.episodes:
            a = round(ep.start * self.fs)
            b = round(ep.end * self.fs)
            if b <= start or a >= start + n:
                continue
            a0, sig = self._episode(idx, ep)
            lo = max(start, a0)
            hi = min(start + n, a0 + sig.shape[1])
            leads[:, lo - start : hi - start] += sig[:, lo - a0 : hi - a0]
        self._forget_before(start)

    def _mains(self, start: int, n: int) -> F32:
        """Unit mains sinusoid for samples ``start`` to ``start + n``."""
        period = self._mains_period
        if period:
            if self._mains_table is None or len(self._mains_table) < n + period:
                self._mains_table = self._mains_exact(0, n + period)
            o = start % period
            return self._mains_table[o : o + n]
        return self._mains_exact(start, n)

    def _mains_exact(self, start: int, n: int) -> F32:
        cycles = (np.arange(start, start + n, dtype=np.float64) * (self.mains_hz / self.fs)) % 1.0
        return np.sin(2 * np.pi * cycles + self.mains_phase).astype(np.float32)

    def _forget_before(self, sample: int) -> None:
        for idx in [k for k, (a0, s) in self._cache.items() if a0 + s.shape[1] <= sample]:
            del self._cache[idx]

    def _episode(self, idx: int, ep: Episode) -> tuple[int, F32]:
        hit = self._cache.get(idx)
        if hit is None:
            rng = child_rng(self._seed, 2, idx)
            a0 = round(ep.start * self.fs)
            n = max(1, round(ep.end * self.fs) - a0)
            t = np.arange(n) / self.fs
            maker = {"emg": _emg, "motion": _motion, "vt_artefact": _vt_artefact}[ep.kind]
            hit = (a0, maker(rng, t, ep, self.n_leads, self.fs).astype(np.float32))
            self._cache[idx] = hit
        return hit


def _emg(rng: np.random.Generator, t: F64, ep: Episode, n_leads: int, fs: float) -> F64:
    """Muscle noise: broadband bursts whose strength follows the contraction."""
    n = len(t)
    env = _smooth_window(t, 0.0, ep.duration, min(0.5, ep.duration / 4))
    contraction = 0.6 + 0.4 * np.abs(_band_noise(rng, n, fs, 0.2, 2.0))
    # Limb leads pick up arm and shoulder muscles more than chest leads.
    weights = rng.uniform(0.3, 1.0, n_leads) * 0.08 * ep.level
    out = np.empty((n_leads, n))
    for j in range(n_leads):
        out[j] = _band_noise(rng, n, fs, 20.0, 200.0) * env * contraction * weights[j]
    return out


def _motion(rng: np.random.Generator, t: F64, ep: Episode, n_leads: int, fs: float) -> F64:
    """Electrode motion: baseline jumps that relax back, plus 0.5-8 Hz wobble.

    An electrode that moves changes its half-cell potential abruptly; the
    potential then relaxes over a second or so. The jump hits every lead
    that uses that electrode, with lead-specific sign and size.
    """
    n = len(t)
    env = _smooth_window(t, 0.0, ep.duration, min(1.0, ep.duration / 4))
    jumps = np.zeros(n)
    n_jumps = max(1, rng.poisson(ep.duration * 0.8))
    kernel_t = np.arange(int(3 * fs)) / fs
    tau = rng.uniform(0.3, 1.0)
    kernel = (1 - np.exp(-kernel_t / 0.03)) * np.exp(-kernel_t / tau)
    for pos in rng.integers(0, n, n_jumps):
        seg = kernel[: n - pos]
        jumps[pos : pos + len(seg)] += rng.normal(0, 1) * seg
    wobble = _band_noise(rng, n, fs, 0.5, 8.0)
    out = np.empty((n_leads, n))
    for j in range(n_leads):
        w = rng.normal(0, 1, 2)
        out[j] = (0.5 * w[0] * jumps + 0.25 * w[1] * wobble) * env * ep.level
    return out


def _vt_artefact(rng: np.random.Generator, t: F64, ep: Episode, n_leads: int, fs: float) -> F64:
    """Rhythmic movement (tremor, chest physiotherapy, brushing teeth): broad,
    fast, regular deflections that an arrhythmia detector takes for VT.

    Each movement cycle gives a skewed biphasic deflection of ~1-2 mV whose
    shape and polarity differ between leads. The QRS complexes underneath
    keep their own rhythm, which is how a reviewer recognises the artefact.
    """
    n = len(t)
    rate = (ep.rate or 200.0) / 60.0
    freq = rate * np.exp(0.04 * _band_noise(rng, n, fs, 0.05, 0.5))
    phase = 2 * np.pi * np.cumsum(freq) / fs + rng.uniform(0, 2 * np.pi)
    env = _smooth_window(t, 0.0, ep.duration, min(1.5, ep.duration / 5))
    amp = 1 + 0.25 * _band_noise(rng, n, fs, 0.1, 1.0)
    out = np.empty((n_leads, n))
    for j in range(n_leads):
        skew = rng.uniform(0.4, 0.9)
        wave = np.sin(phase + skew * np.sin(phase)) + 0.35 * np.sin(2 * phase + rng.uniform(0, 6))
        w = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.3) * ep.level
        out[j] = w * wave * amp * env + 0.15 * ep.level * _band_noise(rng, n, fs, 1.0, 30.0) * env
    return out
