"""A synthetic record: reference annotations up front, samples streamed in chunks.

:func:`synthesize` draws everything that is small (the patient's morphology,
every beat, the rhythm labels, the pulse parameters) and returns a
:class:`SyntheticRecord`; the samples are only rendered when iterated, one
fixed-size chunk at a time, so a 24-h 12-lead record never sits in memory.
Chunk boundaries are fixed by the sampling rate alone and every chunk draws
its noise from a generator keyed by its index, so the samples depend on
nothing but the spec.

The record also satisfies :class:`wavetag.signal.recording.RecordingSource`,
so the store can ingest a demo record without a detour through files.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time

import numpy as np
import numpy.typing as npt

from ..recording import AnnotationSetData, ChannelInfo
from .haemo import Haemodynamics
from .morphology import (
    DERIVED_LIMB,
    KNOWN_LEADS,
    TemplateBank,
    derive_limb_leads,
    projection,
    random_morphology,
    recorded_lead,
)
from .noise import EcgNoise
from .rhythm import KIND_SYMBOL, Drivers, generate_beats
from .spec import NOISE_KINDS, RecordSpec

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I16 = npt.NDArray[np.int16]

SLOW_HZ = 50.0  # rate of the baseline-wander grid
SLOW_PER_CHUNK = 1024
UNITS = {"ABP": "mmHg", "PLETH": "NU", "RESP": "NU"}
# ADC units per physical unit of the non-ECG channels, per signal format;
# chosen so that the physiological range fits the format with margin.
EXTRA_GAIN = {
    ("ABP", "16"): 100.0,
    ("ABP", "212"): 5.0,
    ("PLETH", "16"): 1000.0,
    ("PLETH", "212"): 400.0,
    ("RESP", "16"): 1000.0,
    ("RESP", "212"): 1000.0,
}
# Largest magnitude stored; one below the format's limit, which WFDB reserves
# for "invalid sample".
DIGITAL_MAX = {"16": 32767, "212": 2047}
NOISE_AUX = {"emg": "EMG", "motion": "MOTION", "vt_artefact": "MOVEMENT"}


class SyntheticRecord:
    """A record generated from a :class:`RecordSpec`.

    Attributes
    ----------
    spec : RecordSpec
        What was asked for.
    channels : list of ChannelInfo
        ECG leads first (in ``spec.ecg_leads`` order), then the extras.
    beats : BeatTrain
        Ground truth: every beat, its type, the rhythm labels.
    annotation_sets : list of AnnotationSetData
        One set, ``atr``: beats, rhythm changes, signal-quality changes,
        pauses and the alarm, as a reference annotator would mark them.
    chunk_len : int
        Samples per rendered chunk.
    """

    format = "synthetic"

    def __init__(self, spec: RecordSpec) -> None:
        spec.validate()
        unknown = [n for n in spec.ecg_leads if n not in KNOWN_LEADS]
        if unknown:
            raise ValueError(f"unknown ECG lead names: {unknown}")
        self.spec = spec
        self.name = spec.name
        self.path = ""
        self.fs = spec.fs
        self.n_samples = spec.n_samples
        self.comments = list(spec.comments)
        self.start_time: time | None = spec.base_time
        self.start_date: datetime | None = None
        self.patient_info: dict[str, str] = {}
        self.warnings: list[str] = []
        self.files: list[str] = []
        root = np.random.SeedSequence(spec.seed)
        s_morph, s_rhythm, s_noise, s_haemo, s_beat = root.spawn(5)
        self.morphology = random_morphology(np.random.default_rng(s_morph))
        rng = np.random.default_rng(s_rhythm)
        self.drivers = Drivers(spec, rng)
        self.beats = generate_beats(spec, self.drivers, rng)
        self.bank = TemplateBank(self.morphology, spec.fs)

        self.k_slow = max(1, round(spec.fs / SLOW_HZ))
        self.chunk_len = self.k_slow * SLOW_PER_CHUNK
        self._wk = (np.arange(self.k_slow) / self.k_slow).astype(np.float32)

        # Project only the leads a recorder measures; derive the rest.
        needs_limb = any(n in DERIVED_LIMB for n in spec.ecg_leads)
        recorded: list[str] = ["I", "II"] if needs_limb else []
        for n in spec.ecg_leads:
            if n not in DERIVED_LIMB and recorded_lead(n) not in recorded:
                recorded.append(recorded_lead(n))
        self._recorded = tuple(recorded)
        self._proj = projection(self._recorded)
        self._sources = [
            n if n in DERIVED_LIMB else recorded.index(recorded_lead(n)) for n in spec.ecg_leads
        ]
        self.noise = EcgNoise(spec, len(recorded), self.drivers, s_noise)
        self.haemo = Haemodynamics(spec, self.beats, self.drivers, s_haemo) if spec.extra else None
        self._beat_setup(np.random.default_rng(s_beat))
        self.channels = self._channel_infos()
        self.annotation_sets = [self._annotations()]

    # -- setup ---------------------------------------------------------------

    def _beat_setup(self, rng: np.random.Generator) -> None:
        b = self.beats
        self._samples = np.round(b.time * self.fs).astype(np.int64)
        # Breathing swings the electrical axis in the frontal plane and the
        # amplitude (the heart moves against the electrodes).
        phase = self.drivers.phase_at(b.time)
        theta = 0.06 * np.sin(phase) + rng.normal(0, 0.01, len(b))
        amp = 1 + 0.05 * np.cos(phase) + rng.normal(0, 0.012, len(b))
        c, s = np.cos(theta) * amp, np.sin(theta) * amp
        mats = np.zeros((len(b), 3, 3), dtype=np.float32)
        mats[:, 0, 0], mats[:, 0, 1], mats[:, 1, 0], mats[:, 1, 1] = c, -s, s, c
        mats[:, 2, 2] = amp
        self._mats = mats
        self._kinds = b.kind.tolist()
        self._bins = self.bank.key(b.rr).tolist()
        # Widest reach of any template around its fiducial point.
        self._pre = int(np.ceil(0.8 * self.fs))
        self._post = int(np.ceil(1.6 * self.fs))
        f = rng.uniform(4.5, 7.0)
        self._af = (
            f,
            rng.uniform(0.04, 0.10),  # amplitude, mV
            rng.uniform(0, 2 * np.pi, 3),
            np.array([-0.25, 0.55, -1.0], dtype=np.float32) * rng.uniform(0.8, 1.2),
        )
        # Drawn last, and only for flutter: records without it stay sample for sample.
        self._flutter = rng.uniform(0.10, 0.18) if self.beats.flutter_spans else 0.0

    def _channel_infos(self) -> list[ChannelInfo]:
        spec = self.spec
        out = []
        for i, name in enumerate(spec.signal_names):
            units = UNITS.get(name, "mV")
            gain = spec.ecg_gain if units == "mV" else EXTRA_GAIN[(name, spec.fmt)]
            out.append(
                ChannelInfo(
                    index=i,
                    name=name,
                    units=units,
                    fs=spec.fs,
                    gain=gain,
                    baseline=0,
                    n_samples=self.n_samples,
                    adc_resolution=16 if spec.fmt == "16" else 12,
                    dtype="int16",
                    invalid=-DIGITAL_MAX[spec.fmt] - 1,
                )
            )
        return out

    def _annotations(self) -> AnnotationSetData:
        spec, fs, n = self.spec, self.fs, self.n_samples
        rows: list[tuple[int, int, str, int, str]] = []  # sample, order, symbol, subtype, aux

        def add(t: float, order: int, symbol: str, subtype: int = 0, aux: str = "") -> None:
            s = round(t * fs)
            if 0 <= s < n:
                rows.append((s, order, symbol, subtype, aux))

        for t, aux in self.beats.rhythm:
            add(t, 1, "+", 0, aux)
        for s, k in zip(self._samples.tolist(), self._kinds, strict=True):
            if s < n:
                rows.append((s, 2, KIND_SYMBOL[k], 0, ""))
        for t, text in self.beats.notes:
            add(t, 3, '"', 0, text)
        # Signal-quality changes: subtype bit i marks signal i as noisy.
        ecg_bits = sum(1 << i for i in range(min(4, len(spec.ecg_leads))))
        for ep in spec.episodes:
            if ep.kind in NOISE_KINDS:
                add(ep.start, 0, "~", ecg_bits, NOISE_AUX[ep.kind])
                add(ep.end, 0, "~", 0, "")
        if spec.alarm is not None:
            # An alarm at the very end of a record is marked on its last sample.
            add(min(spec.alarm.time, (n - 1) / fs), 3, '"', 0, f"ALARM {spec.alarm.label}")
        rows.sort(key=lambda r: (r[0], r[1]))
        sample = np.array([r[0] for r in rows], dtype=np.int64)
        return AnnotationSetData(
            name="atr",
            origin="reference",
            source=f"{spec.name}.atr",
            fs=fs,
            time=sample / fs,
            sample=sample,
            symbol=[r[2] for r in rows],
            aux_note=[r[4] for r in rows],
            duration=np.zeros(len(rows)),
            subtype=np.array([r[3] for r in rows], dtype=np.int64),
            chan=np.zeros(len(rows), dtype=np.int64),
            num=np.zeros(len(rows), dtype=np.int64),
        )

    # -- rendering -----------------------------------------------------------

    @property
    def duration(self) -> float:
        return self.n_samples / self.fs

    @property
    def n_chunks(self) -> int:
        return -(-self.n_samples // self.chunk_len)

    def _dipole(self, start: int, n: int) -> F32:
        """Cardiac dipole (3, n) in mV for samples ``start`` to ``start + n``."""
        dip = np.zeros((3, n), dtype=np.float32)
        lo = int(np.searchsorted(self._samples, start - self._post))
        hi = int(np.searchsorted(self._samples, start + n + self._pre))
        samples = self._samples
        for b in range(lo, hi):
            tm, off = self.bank.get(self._kinds[b], self._bins[b])
            a = int(samples[b]) - off - start
            ia, ie = max(a, 0), min(a + tm.shape[1], n)
            if ia < ie:
                dip[:, ia:ie] += self._mats[b] @ tm[:, ia - a : ie - a]
        for a_s, b_s in self.beats.af_spans:
            a = max(start, round(a_s * self.fs))
            b = min(start + n, round(b_s * self.fs))
            if a < b:
                dip[:, a - start : b - start] += self._fwaves(np.arange(a, b) / self.fs, a_s, b_s)
        for a_s, b_s, t0, cycle in self.beats.flutter_spans:
            a = max(start, round(a_s * self.fs))
            b = min(start + n, round(b_s * self.fs))
            if a < b:
                t = np.arange(a, b) / self.fs
                dip[:, a - start : b - start] += self._flutter_waves(t, a_s, b_s, t0, cycle)
        return dip

    def _flutter_waves(self, t: F64, a_s: float, b_s: float, t0: float, cycle: float) -> F32:
        """Flutter waves: a saw-tooth at one fixed rate (the re-entry circuit's), slow
        descent and quick rise, largest in the inferior leads."""
        phase = 2 * np.pi * (t - t0) / cycle
        wave = sum(np.sin(k * phase) / k for k in range(1, 6))
        env = self._flutter * np.clip(np.minimum(t - a_s, b_s - t) / 0.3, 0, 1)
        vec = -np.array([-0.25, 0.55, -1.0], dtype=np.float32)
        return np.outer(vec, wave * env).astype(np.float32)

    def _fwaves(self, t: F64, a_s: float, b_s: float) -> F32:
        """Fibrillatory waves: 4.5-7 Hz, frequency and amplitude wandering."""
        f, amp, ph, vec = self._af
        phase = 2 * np.pi * f * t + 2.0 * np.sin(2 * np.pi * 0.13 * t + ph[0])
        phase += 1.2 * np.sin(2 * np.pi * 0.41 * t + ph[1])
        env = amp * (1 + 0.4 * np.sin(2 * np.pi * 0.21 * t + ph[2]))
        env *= np.clip(np.minimum(t - a_s, b_s - t) / 0.3, 0, 1)
        wave = (np.sin(phase) + 0.3 * np.sin(2 * phase + 1.1)) * env
        return np.outer(vec, wave).astype(np.float32)

    def render_chunk(self, index: int) -> I16:
        """Digital samples of chunk ``index``, shape (n, n_channels), int16."""
        spec = self.spec
        length = self.chunk_len
        start = index * length
        n = min(length, self.n_samples - start)
        if n <= 0:
            raise IndexError(f"chunk {index} is past the end of the record")
        leads = self._proj @ self._dipole(start, length)
        m, k = SLOW_PER_CHUNK, self.k_slow
        base = self.noise.baseline((start + k * np.arange(m + 1)) / self.fs)
        view = leads.reshape(len(self._recorded), m, k)
        view += base[:, :-1, None]
        view += (base[:, 1:] - base[:, :-1])[:, :, None] * self._wk
        self.noise.add_fast(leads, start, index)

        leads *= np.float32(spec.ecg_gain)
        np.rint(leads, out=leads)
        lim = DIGITAL_MAX[spec.fmt]
        out = np.empty((n, len(self.channels)), dtype=np.int16)
        for j, src in enumerate(self._sources):
            if isinstance(src, str):
                x = derive_limb_leads(leads[0, :n], leads[1, :n], src)
            else:
                x = leads[src, :n]
            out[:, j] = np.clip(x, -lim, lim)
        if self.haemo is not None:
            t = (start + np.arange(n)) / self.fs
            for j, name in enumerate(spec.extra, start=len(spec.ecg_leads)):
                x64 = np.rint(self.haemo.render(name, t, index) * self.channels[j].gain)
                out[:, j] = np.clip(x64, -lim, lim)
        return out

    def iter_chunks(self) -> Iterator[tuple[int, I16]]:
        """Yield ``(first_sample, frames)`` for every chunk, in order."""
        for i in range(self.n_chunks):
            yield i * self.chunk_len, self.render_chunk(i)

    def iter_blocks(self, seconds: float = 60.0) -> Iterator[list[npt.NDArray[np.integer]]]:
        """Yield blocks of ``seconds`` of digital samples, one array per channel.

        Same contract as :meth:`wavetag.signal.recording.RecordingSource.iter_blocks`.
        """
        size = max(1, round(seconds * self.fs))
        pending: list[I16] = []
        have = 0
        for _, frames in self.iter_chunks():
            pending.append(frames)
            have += len(frames)
            while have >= size:
                buf = np.concatenate(pending) if len(pending) > 1 else pending[0]
                yield [np.ascontiguousarray(buf[:size, j]) for j in range(buf.shape[1])]
                pending, have = [buf[size:]], have - size
        if have:
            buf = np.concatenate(pending)
            yield [np.ascontiguousarray(buf[:, j]) for j in range(buf.shape[1])]

    def read(self, start: int = 0, stop: int | None = None) -> I16:
        """Digital samples ``start:stop`` as one (n, n_channels) array.

        Renders only the chunks involved; meant for short records and tests.
        """
        stop = self.n_samples if stop is None else min(stop, self.n_samples)
        first, last = start // self.chunk_len, max(start, stop - 1) // self.chunk_len
        parts = [self.render_chunk(i) for i in range(first, last + 1)]
        buf = np.concatenate(parts)
        off = first * self.chunk_len
        return buf[start - off : stop - off]

    def physical(self, start: int = 0, stop: int | None = None) -> F64:
        """Like :meth:`read`, in physical units (mV, mmHg, NU)."""
        gains = np.array([c.gain for c in self.channels])
        return np.asarray(self.read(start, stop) / gains, dtype=np.float64)


def synthesize(spec: RecordSpec) -> SyntheticRecord:
    """Build a synthetic record from its spec (samples are rendered lazily).

    Examples
    --------
    >>> from wavetag.signal.synth import RecordSpec, STANDARD_12, synthesize
    >>> rec = synthesize(RecordSpec("demo", duration=10, fs=500, ecg_leads=STANDARD_12))
    >>> rec.read().shape
    (5000, 12)
    """
    return SyntheticRecord(spec)
