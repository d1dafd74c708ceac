"""QRS detection on one ECG channel, at any sampling rate and any length.

:func:`detect_qrs` finds the beats of a whole signal held in memory;
:func:`detect_qrs_chunked` reads a long record (a 24-h Holter) piece by piece
and returns the same beats in bounded memory. Both return the sample index of
the main QRS deflection (the R peak, or the deepest point of a negative QRS).

The detector follows the structure of Pan & Tompkins (1985) with the decision
rules of Hamilton & Tompkins (1986): a band-pass filter and a slope-energy
envelope make every QRS complex one smooth bump; each bump is then classified as
QRS or noise against adaptive levels, with a refractory period, a slope test for
T waves and a search-back for missed beats. The work is split in two so that
long records need little memory:

- :mod:`wavetag.signal.qrs_features` turns samples into *candidates* (one per
  envelope bump, a few per second) with vectorised numpy/scipy code; it can run
  on overlapping chunks.
- :func:`classify_candidates` (here) walks the candidates in time order. It
  is the only Python loop, and it loops over bumps, never over samples.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from wavetag.signal.qrs_features import Candidates, QRSConfig, extract_candidates, gap_starts

__all__ = [
    "Candidates",
    "QRSConfig",
    "classify_candidates",
    "detect_qrs",
    "detect_qrs_chunked",
]

FloatArray = npt.NDArray[np.floating]
BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.int64]


def detect_qrs(signal: FloatArray, fs: float, config: QRSConfig | None = None) -> IndexArray:
    """Detect the QRS complexes of one ECG channel.

    Parameters
    ----------
    signal : ndarray of float, shape (n,)
        One ECG channel in physical units (mV; any scale works, the thresholds
        are relative). NaN marks missing samples: no beat is reported inside a
        gap, and the levels are learnt again after it.
    fs : float
        Sampling frequency in Hz (samples per second), e.g. 125, 250, 360, 500
        or 1000. Every duration of the method is set in seconds and converted.
    config : QRSConfig, optional
        Tunables; :class:`QRSConfig` defaults when omitted.

    Returns
    -------
    ndarray of int64
        Sorted sample indices (0-based) of the main deflection of each QRS.

    Notes
    -----
    The steps, with the reasons for each choice:

    1. **Gaps.** NaN runs are bridged by straight lines so that the filters
       see no step; candidates inside a gap are dropped, and the levels are
       learnt again after it.
    2. **Band-pass** 5-15 Hz (zero-phase Butterworth): the band where QRS
       energy dominates P and T waves, baseline wander and muscle noise
       (Pan & Tompkins 1985; Thakor et al. 1984). Zero phase keeps the
       envelope centred on the complex at every sampling rate.
    3. **Slope envelope**: derivative, square, 150-ms moving mean, square root.
       The square emphasises steep slopes (QRS) over round ones (T waves); the
       root brings the envelope back to amplitude scale, so that a lead whose
       amplitude halves still clears half its usual threshold. Polarity does
       not matter: the envelope of ``-x`` is that of ``x``.
    4. **Candidates**: envelope maxima at least ``min_separation_s`` apart,
       each with its height, the steepest slope near it, its *prominence* (its
       height over the lower quartile of the envelope within ``floor_s``: the
       local noise floor) and its fiducial point, the largest absolute value of
       a 5-30 Hz band-passed copy within ``fiducial_s`` (wide enough to keep the
       peak where the eye puts it, narrow enough to ignore baseline wander and
       to flatten a pacing spike).
    5. **Classification** (:func:`classify_candidates`): a candidate is a QRS
       when it clears ``NL + k (QL - NL)``, where QL and NL are *medians* of the
       last eight QRS and noise heights (Hamilton & Tompkins: medians resist
       single artefacts better than running means), and stands
       ``min_prominence`` above the local floor. Within the refractory period
       only the larger bump is kept (a pacing spike and its captured complex
       are one beat), and the smaller one is not counted as noise either; up to
       ``t_wave_s`` after a beat a bump must be steep enough
       (``t_wave_slope_ratio`` of the median slope of recent beats) or it is a
       T wave. When no beat has come for ``searchback_rr`` mean RR intervals,
       the largest bump since the last beat that clears half the threshold
       (and ``searchback_prominence``) is taken back.
    6. **Noise gate**: no beat is taken unless ``train_count`` prominent bumps
       lie within ``train_s`` of it. Stationary noise of any colour passes
       ``min_prominence`` about once in a hundred bumps (every 10-20 s), so
       four within +-5 s are rare; any heart at 30/min or faster makes them.
       Counting bumps, rather than asking for one very prominent bump, keeps
       fast and noisy rhythms (a fetal ECG at 140/min, whose complexes stand
       only 3-5 times above the floor) while flat lines, lead-off stretches
       and pure noise get (almost) no beats.
    7. **Relearning**: at the start, after a gap, and when no beat has been
       found for ``relearn_s``, QL is set afresh from the largest bump of each
       of the next ``learn_s`` seconds, so that a lost lead leaves no stale
       threshold behind.
    8. **Extra beats**: where three successive beats span less than
       ``insertion_rr`` local RR intervals and one of them is weak (prominence
       under ``insertion_prominence``), one is too many; the one dropped is
       the one whose removal leaves the most regular rhythm. Strong complexes
       (ventricular runs, couplets) are never touched by this rule.

    What was chosen and why: the band, the 150-ms window, the 200-ms
    refractory period, the 360-ms T-wave window with its one-half slope ratio,
    the threshold coefficient 0.3125, the 1.66 RR search-back and the
    eight-beat memory are the published values (Pan & Tompkins 1985;
    Hamilton & Tompkins 1986), none refitted. The prominence limit comes from
    the statistics of noise passed through the same envelope (the 99th
    percentile of bump prominence is 2.6-2.9 for white, brown and
    muscle-like noise at 250-1000 Hz), not from ECG records. The remaining choices (amplitude-scale
    envelope, medians, gate, relearning) are generic robustness rules; no
    constant depends on a record, a lead or a sampling rate.

    Examples
    --------
    >>> import numpy as np
    >>> fs = 360.0
    >>> t = np.arange(int(10 * fs)) / fs
    >>> ecg = np.exp(-(((t % 1.0) - 0.5) ** 2) / (2 * 0.01**2))  # 60 bpm spikes
    >>> detect_qrs(ecg, fs)[:3]
    array([ 180,  540,  900])
    """
    config = config or QRSConfig()
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"signal must be one channel (1-D), not shape {x.shape}")
    _check_fs(fs)
    candidates = extract_candidates(x, fs, config, first=0, start=0, stop=len(x))
    return classify_candidates(candidates, fs, config)


def detect_qrs_chunked(
    read: Callable[[int, int], FloatArray],
    n_samples: int,
    fs: float,
    config: QRSConfig | None = None,
    *,
    chunk_s: float = 600.0,
    overlap_s: float = 20.0,
) -> IndexArray:
    """Detect QRS complexes of a long record, reading it chunk by chunk.

    Parameters
    ----------
    read : callable ``read(start, stop) -> ndarray``
        Returns samples ``start .. stop - 1`` of the channel, in physical units
        (mV), NaN for missing samples.
    n_samples : int
        Length of the channel, in samples.
    fs : float
        Sampling frequency in Hz.
    config : QRSConfig, optional
        Tunables, as for :func:`detect_qrs`.
    chunk_s : float
        Seconds of signal whose candidates one read produces (default 10 min:
        about 0.2 M samples at 360 Hz, a few MB of work arrays).
    overlap_s : float
        Seconds read on each side of a chunk and discarded, so that filter
        transients never reach the kept part (at least 10 s).

    Returns
    -------
    ndarray of int64
        The same beats as :func:`detect_qrs` on the whole signal.

    Notes
    -----
    1. Each chunk is read with ``overlap_s`` of context on both sides, filtered,
       and only the candidates whose envelope peak lies inside the chunk proper
       are kept; chunk borders therefore neither lose nor double a beat.
    2. The candidates of all chunks (a few per second, about 50 bytes each)
       are classified in one pass, exactly as for the whole signal.
    """
    config = config or QRSConfig()
    _check_fs(fs)
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, not {n_samples}")
    chunk = max(int(round(chunk_s * fs)), 1)
    pad = int(round(max(overlap_s, 10.0) * fs))
    parts: list[Candidates] = []
    gaps = 0
    for start in range(0, n_samples, chunk):
        stop = min(start + chunk, n_samples)
        first = max(start - pad, 0)
        last = min(stop + pad, n_samples)
        x = np.asarray(read(first, last), dtype=np.float64)
        if x.shape != (last - first,):
            raise ValueError(
                f"read({first}, {last}) returned shape {x.shape}, expected ({last - first},)"
            )
        parts.append(
            extract_candidates(x, fs, config, first=first, start=start, stop=stop, gap_offset=gaps)
        )
        gaps += len(gap_starts(x, first=first, start=start, stop=stop))
    return classify_candidates(Candidates.concatenate(parts), fs, config)


def _check_fs(fs: float) -> None:
    if not (np.isfinite(fs) and fs > 0):
        raise ValueError(f"fs must be a positive number of Hz, not {fs}")


class _Levels:
    """Median levels of the last QRS and noise heights (Hamilton & Tompkins).

    The threshold and the mean RR are cached: the loop asks for them far more
    often than a level changes.
    """

    def __init__(self, qrs: list[float], rr: list[float], k: float, memory: int) -> None:
        self.qrs = qrs
        self.noise: list[float] = []
        self.rr = rr
        self._k = k
        self._memory = memory
        self._threshold: float | None = None
        self._rr_mean: float | None = None

    def push_qrs(self, value: float) -> None:
        _push(self.qrs, value, self._memory)
        self._threshold = None

    def pop_qrs(self) -> None:
        self.qrs.pop()
        self._threshold = None

    def push_noise(self, value: float) -> None:
        _push(self.noise, value, self._memory)
        self._threshold = None

    def push_rr(self, value: float) -> None:
        _push(self.rr, value, self._memory)
        self._rr_mean = None

    def threshold(self) -> float:
        if self._threshold is None:
            q = _median(self.qrs) if self.qrs else 0.0
            n = _median(self.noise) if self.noise else 0.0
            self._threshold = n + self._k * max(q - n, 0.0)
        return self._threshold

    def rr_mean(self) -> float | None:
        if self._rr_mean is None and self.rr:
            self._rr_mean = sum(self.rr) / len(self.rr)
        return self._rr_mean


def _median(values: list[float]) -> float:
    # Plain Python: on eight numbers this is ten times faster than np.median.
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


def _push(values: list[float], value: float, size: int) -> None:
    values.append(value)
    if len(values) > size:
        del values[0]


def classify_candidates(candidates: Candidates, fs: float, config: QRSConfig) -> IndexArray:
    """Decide which candidates are QRS complexes (step 5 of :func:`detect_qrs`).

    Parameters
    ----------
    candidates : Candidates
        Envelope bumps of the whole record in time order, from
        :func:`~wavetag.signal.qrs_features.extract_candidates`.
    fs : float
        Sampling frequency in Hz.
    config : QRSConfig
        Tunables.

    Returns
    -------
    ndarray of int64
        Sorted fiducial sample indices of the accepted complexes.

    Notes
    -----
    1. Learn: QL = the median of the largest height in each of the next
       ``learn_s`` seconds, NL empty (so the first threshold is ``k * QL``).
       Learn again after a gap, or when no beat came for ``relearn_s``.
    2. For each candidate in time order: when the last beat is older than
       ``searchback_rr`` mean RR, first search back (the largest bump since
       the last beat, outside the refractory periods, not a T wave, above
       half the threshold).
    3. Within ``refractory_s`` of the last beat, a larger prominent bump
       replaces it; a smaller one is ignored.
    4. A bump that is not prominent, outside a beat train (noise gate) or
       below the threshold is noise; within ``t_wave_s`` of the last beat, one
       whose slope is below ``t_wave_slope_ratio`` of the recent beats' is a
       T wave (noise too); any other is a QRS.
    5. Update QL, NL and the RR list (intervals outside 0.5-1.7 times the mean
       are left out once eight are known, so that ectopic pairs and pauses do
       not bend the search-back limit).
    6. Resolve the triples of beats that hold one beat too many
       (step 8 of :func:`detect_qrs`).
    """
    n = len(candidates)
    # Python lists: indexing them in the loop is much faster than numpy scalars.
    peak: list[int] = candidates.peak.tolist()
    height: list[float] = candidates.height.tolist()
    slope: list[float] = candidates.slope.tolist()
    valid: list[bool] = candidates.valid.tolist()
    prominence: list[float] = candidates.prominence.tolist()
    ecg_like: list[bool] = _in_beat_train(candidates, fs, config).tolist()
    min_prominence = config.min_prominence
    sb_prominence = config.searchback_prominence
    gaps: list[int] = candidates.gaps.tolist()
    refractory = config.refractory_s * fs
    t_wave = config.t_wave_s * fs
    relearn = config.relearn_s * fs
    learn = config.learn_s * fs
    memory = config.memory
    k = config.threshold
    t_ratio = config.t_wave_slope_ratio

    beats: list[int] = []  # candidate indices
    beat_slopes: list[float] = []
    noise_since: list[int] = []  # noise candidates after the last beat
    levels = _Levels([], [], k, memory)
    learnt_at = 0.0  # peak sample where the current levels were learnt
    last_gap_beat = 0  # beats before this index lie before the latest gap

    def relearn_from(i: int) -> None:
        nonlocal levels, learnt_at
        t0 = peak[i]
        j = bisect.bisect_left(peak, t0 + learn)
        per_second: dict[int, float] = {}
        for p, h, ok in zip(peak[i:j], height[i:j], valid[i:j], strict=True):
            if ok:
                b = int((p - t0) // fs)
                per_second[b] = max(per_second.get(b, 0.0), h)
        qrs = [_median(list(per_second.values()))] if per_second else [height[i]]
        levels = _Levels(qrs, levels.rr, k, memory)
        learnt_at = t0

    def accept(i: int) -> None:
        if len(beats) > last_gap_beat:
            rr = peak[i] - peak[beats[-1]]
            mean = levels.rr_mean()
            if mean is None or len(levels.rr) < memory or 0.5 * mean < rr < 1.7 * mean:
                levels.push_rr(rr)
        beats.append(i)
        _push(beat_slopes, slope[i], memory)
        levels.push_qrs(height[i])
        noise_since.clear()

    def is_t_wave(i: int, last: int) -> bool:
        if peak[i] - peak[last] >= t_wave:
            return False
        # Against the median slope of recent beats, not the last one alone, so
        # that one steep artefact taken for a beat cannot hide the next beats.
        ref = min(slope[last], _median(beat_slopes)) if beat_slopes else slope[last]
        return slope[i] < t_ratio * ref

    def noise(i: int) -> None:
        levels.push_noise(height[i])
        noise_since.append(i)

    previous = -1
    for i in range(n):
        if not valid[i]:
            continue
        t = peak[i]
        after_gap = previous < 0 or gaps[i] != gaps[previous]
        previous = i
        since_beat = t - peak[beats[-1]] if beats else t - learnt_at
        if after_gap or (since_beat > relearn and t - learnt_at > relearn):
            relearn_from(i)
            if after_gap:
                # Nothing before a gap may be searched back, nor count as an RR interval.
                noise_since.clear()
                last_gap_beat = len(beats)
        # Step 2: search back over the bumps since the last beat.
        while len(beats) > last_gap_beat and noise_since:
            mean = levels.rr_mean()
            if mean is None or t - peak[beats[-1]] <= config.searchback_rr * mean:
                break
            prior = beats[-1]
            eligible = [
                j
                for j in noise_since
                if prominence[j] >= sb_prominence
                and ecg_like[j]
                and peak[j] - peak[prior] >= refractory
                and t - peak[j] >= refractory
                and not is_t_wave(j, prior)
            ]
            if not eligible:
                break
            best = max(eligible, key=lambda j: height[j])
            if height[best] < 0.5 * levels.threshold():
                break
            later = [j for j in noise_since if j > best]
            accept(best)
            noise_since.extend(later)
        threshold = levels.threshold()
        last = beats[-1] if beats else None
        # Step 3: refractory period. Bumps inside it belong to the complex
        # (a pacing spike, filter side lobes) and do not count as noise.
        if last is not None and t - peak[last] < refractory:
            if height[i] > height[last] and prominence[i] >= min_prominence:
                beats.pop()
                beat_slopes.pop()
                levels.pop_qrs()
                accept(i)
            continue
        if prominence[i] < min_prominence or not ecg_like[i]:
            noise(i)
            continue
        if height[i] < threshold:
            noise(i)
            continue
        # Step 4: T wave or QRS.
        if last is not None and is_t_wave(i, last):
            noise(i)
            continue
        accept(i)
    kept = _drop_insertions(np.asarray(beats, dtype=np.int64), candidates, fs, config)
    return np.unique(candidates.fiducial[kept]).astype(np.int64)


def _in_beat_train(candidates: Candidates, fs: float, config: QRSConfig) -> BoolArray:
    """True for candidates with ``train_count`` prominent bumps within ``train_s``.

    In stationary noise a bump clears ``min_prominence`` about once in a
    hundred (one every 10-20 s), so several of them within a few seconds are
    rare; a heart beating at 30/min or faster puts four within +-5 s. The test
    counts bumps, so it does not depend on how prominent a fast or noisy
    rhythm's complexes are.
    """
    strong = candidates.peak[(candidates.prominence >= config.min_prominence) & candidates.valid]
    reach = config.train_s * fs
    count = np.searchsorted(strong, candidates.peak + reach, side="right") - np.searchsorted(
        strong, candidates.peak - reach, side="left"
    )
    return np.asarray(count >= config.train_count, dtype=bool)


def _drop_insertions(
    beats: IndexArray, candidates: Candidates, fs: float, config: QRSConfig
) -> IndexArray:
    """Resolve beats that split one normal RR interval in two (step 8 of :func:`detect_qrs`).

    1. The local RR is the median of the ``2 * memory + 1`` intervals around
       each beat (robust while fewer than half of them are wrong).
    2. Three successive beats a, b, c spanning less than ``insertion_rr``
       local RRs hold one beat too many: a real premature beat is followed by
       a pause, so its two intervals add up to at least about one and a half
       RR, and an interpolated one is rare.
    3. Of a, b and c, the one dropped is the one whose removal leaves the
       intervals around them closest to the local RR; between equally regular
       choices the weaker bump (``insertion_height``) goes.
    """
    if len(beats) < 3 or config.insertion_rr <= 0:
        return beats
    t = candidates.peak[beats].astype(np.float64)
    h = candidates.height[beats]
    prom = candidates.prominence[beats]
    rr = np.diff(t)
    half = config.memory
    padded = np.pad(rr, half, mode="edge")
    local = np.median(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1), axis=1)
    span = t[2:] - t[:-2]
    weakest = np.minimum(np.minimum(prom[2:], prom[:-2]), prom[1:-1])
    suspects = (
        np.flatnonzero(
            (span < config.insertion_rr * np.minimum(local[:-1], local[1:]))
            & (weakest < config.insertion_prominence)
        )
        + 1
    )
    if len(suspects) == 0:
        return beats
    keep = np.ones(len(beats), dtype=bool)
    times: list[float] = t.tolist()
    heights: list[float] = h.tolist()
    rr_local: list[float] = local.tolist()
    for b in suspects.tolist():
        alive = [j for j in range(max(b - 2, 0), min(b + 3, len(times))) if keep[j]]
        if b not in alive or alive.index(b) in (0, len(alive) - 1):
            continue
        pos = alive.index(b)
        a, c = alive[pos - 1], alive[pos + 1]
        ref = rr_local[min(b, len(rr_local) - 1)]
        if times[c] - times[a] >= config.insertion_rr * ref:
            continue
        best, best_cost = -1, np.inf
        for x in (a, b, c):
            rest = [times[j] for j in alive if j != x]
            cost = sum(abs(q - p - ref) for p, q in zip(rest, rest[1:], strict=False)) / ref
            # A bump much weaker than the others is the likelier extra.
            cost += config.insertion_height * heights[x] / max(heights[a], heights[b], heights[c])
            if cost < best_cost:
                best, best_cost = x, cost
        keep[best] = False
    return beats[keep]
