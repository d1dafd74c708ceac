"""Deciding which QRS candidates are beats: the sequential half of :mod:`wavetag.signal.qrs`.

:class:`Classifier` walks the candidates in time order, as they come: chunk after
chunk of a long record, or all at once. It keeps only what the rules look at
(the levels, the last beats, the bumps since the last beat, and the candidates
of the last and next few seconds), so its memory does not grow with the
record; only the list of beats found does.
"""

from __future__ import annotations

import bisect
from array import array
from collections import deque
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from wavetag.signal.qrs_features import Candidates, QRSConfig, empty_candidates
from wavetag.signal.robust import median, median_rows

IndexArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class _Bump(NamedTuple):
    peak: int
    height: float
    slope: float
    prominence: float
    in_train: bool
    fiducial: int


class _BeatLog:
    """The beats found so far: compact columns, and the last few as bumps."""

    def __init__(self) -> None:
        self.peak = array("q")
        self.height = array("d")
        self.prominence = array("d")
        self.fiducial = array("q")
        self.count = 0
        self.recent: deque[_Bump] = deque(maxlen=4)  # the last beats, newest last

    def append(self, bump: _Bump) -> None:
        self.peak.append(bump.peak)
        self.height.append(bump.height)
        self.prominence.append(bump.prominence)
        self.fiducial.append(bump.fiducial)
        self.recent.append(bump)
        self.count += 1

    def pop(self) -> None:
        for column in (self.peak, self.height, self.prominence, self.fiducial):
            column.pop()
        self.recent.pop()
        self.count -= 1


class _Levels:
    """Median levels of the last QRS and noise heights (Hamilton & Tompkins).

    The mean RR and the QRS heights' median are cached: the loop asks for them far
    more often than an interval or a beat comes. The noise median is not: a noise
    height is pushed before nearly every time the threshold is asked for, and the
    push is the commonest step of the loop (the classifier appends to :attr:`noise`
    itself).
    """

    def __init__(self, qrs: list[float], rr: deque[float], k: float, memory: int) -> None:
        # Bounded deques: the oldest value drops out as a new one comes, without a
        # Python-level call per push (the loop pushes millions of heights on a Holter).
        self.qrs: deque[float] = deque(qrs, maxlen=memory)
        self.noise: deque[float] = deque(maxlen=memory)
        self.rr = rr
        self._k = k
        self._memory = memory
        self._rr_mean: float | None = None
        self._qrs_median: float | None = None

    def push_qrs(self, value: float) -> None:
        self.qrs.append(value)
        self._qrs_median = None

    def pop_qrs(self) -> None:
        self.qrs.pop()
        self._qrs_median = None

    def push_noise(self, value: float) -> None:
        self.noise.append(value)

    def push_rr(self, value: float) -> None:
        self.rr.append(value)
        self._rr_mean = None

    def threshold(self) -> float:
        if self._qrs_median is None:
            self._qrs_median = median(self.qrs) if self.qrs else 0.0
        q = self._qrs_median
        n = median(self.noise) if self.noise else 0.0
        return n + self._k * max(q - n, 0.0)

    def rr_mean(self) -> float | None:
        if self._rr_mean is None and self.rr:
            self._rr_mean = sum(self.rr) / len(self.rr)
        return self._rr_mean


def in_beat_train(
    candidates: Candidates, first: int, stop: int, fs: float, config: QRSConfig
) -> BoolArray:
    """Noise gate for candidates ``first .. stop - 1``: ``train_count`` prominent bumps nearby.

    In stationary noise a bump clears ``min_prominence`` about once in a
    hundred (one every 10-20 s), so several of them within a few seconds are
    rare; a heart beating at 30/min or faster puts four within +-``train_s``.
    The test counts bumps, so it does not depend on how prominent a fast or
    noisy rhythm's complexes are. ``candidates`` must hold every candidate
    within ``train_s`` of those asked about.
    """
    strong = candidates.peak[(candidates.prominence >= config.min_prominence) & candidates.valid]
    at = candidates.peak[first:stop]
    reach = config.train_s * fs
    count = np.searchsorted(strong, at + reach, side="right") - np.searchsorted(
        strong, at - reach, side="left"
    )
    return np.asarray(count >= config.train_count, dtype=bool)


class Classifier:
    """Classifies candidates fed in time order (steps 5-8 of ``detect_qrs``).

    Parameters
    ----------
    fs : float
        Sampling frequency, Hz.
    config : QRSConfig
        Tunables.

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
    6. At the end, resolve the triples of beats that hold one beat too many
       (:func:`drop_insertions`).

    A candidate is decided once every candidate up to ``max(learn_s, train_s)``
    after it is known; the candidates older than ``train_s`` before the next
    undecided one are forgotten.
    """

    def __init__(self, fs: float, config: QRSConfig) -> None:
        self.fs = fs
        self.config = config
        self._buffer = empty_candidates()
        self._next = 0  # index in the buffer of the first undecided candidate
        self._lookahead = max(config.learn_s, config.train_s) * fs
        self._history = config.train_s * fs
        self._levels = _Levels([], deque(maxlen=config.memory), config.threshold, config.memory)
        self._learnt_at = 0.0  # peak sample where the current levels were learnt
        self._previous_gaps: int | None = None
        self._last_gap_beat = 0  # beats before this index lie before the latest gap
        self._noise_since: list[_Bump] = []  # noise bumps after the last beat
        self._beat_slopes: deque[float] = deque(maxlen=config.memory)
        self._beats = _BeatLog()
        self.evidence = 0.0

    def feed(self, candidates: Candidates, complete_until: float | None) -> None:
        """Add the next candidates and decide those whose context is complete.

        Parameters
        ----------
        candidates : Candidates
            Candidates later than every one fed before, in time order.
        complete_until : float or None
            Every candidate with a peak before this sample has now been fed;
            None when all have (the end of the record).
        """
        if len(candidates):
            self._buffer = Candidates.concatenate([self._buffer, candidates])
        peaks = self._buffer.peak
        if complete_until is None:
            end = len(peaks)
        else:
            end = int(np.searchsorted(peaks, complete_until - self._lookahead, side="left"))
        if end > self._next:
            self._decide(self._next, end)
            self._next = end
        # Forget what no later decision can look at.
        if self._next < len(peaks):
            horizon = peaks[self._next] - self._history
        elif len(peaks):
            horizon = peaks[-1] - self._history
        else:
            return
        drop = int(np.searchsorted(peaks, horizon, side="left"))
        if drop > 0:
            self._buffer = self._buffer.slice(drop, len(peaks))
            self._next -= drop

    def finish(self) -> IndexArray:
        """Decide the rest and return the sorted fiducial samples of the beats.

        Also sets :attr:`evidence`, the summed prominence of the beats kept:
        how much the beats found stand out from the noise, all told.
        """
        self.feed(empty_candidates(), None)
        beats = self._beats
        self.evidence = 0.0
        if not beats.count:
            return np.zeros(0, dtype=np.int64)
        t = np.frombuffer(beats.peak, dtype=np.int64).astype(np.float64)
        h = np.frombuffer(beats.height, dtype=np.float64)
        prom = np.frombuffer(beats.prominence, dtype=np.float64)
        fid = np.frombuffer(beats.fiducial, dtype=np.int64)
        keep = drop_insertions(t, h, prom, self.config)
        self.evidence = float(prom[keep].sum())
        return np.unique(fid[keep]).astype(np.int64)

    def _decide(self, start: int, end: int) -> None:
        c = self._buffer
        config = self.config
        fs = self.fs
        # Python lists: indexing them in the loop is much faster than numpy scalars.
        peak: list[int] = c.peak.tolist()
        height: list[float] = c.height.tolist()
        slope: list[float] = c.slope.tolist()
        valid: list[bool] = c.valid.tolist()
        prominence: list[float] = c.prominence.tolist()
        fiducial: list[int] = c.fiducial.tolist()
        gaps: list[int] = c.gaps.tolist()
        train: list[bool] = in_beat_train(c, start, end, fs, config).tolist()
        min_prominence = config.min_prominence
        sb_prominence = config.searchback_prominence
        refractory = config.refractory_s * fs
        t_wave = config.t_wave_s * fs
        relearn = config.relearn_s * fs
        learn = config.learn_s * fs
        memory = config.memory
        t_ratio = config.t_wave_slope_ratio
        beats = self._beats
        beat_slopes = self._beat_slopes
        noise_since = self._noise_since

        def relearn_from(i: int) -> None:
            t0 = peak[i]
            j = bisect.bisect_left(peak, t0 + learn)
            per_second: dict[int, float] = {}
            for p, h, ok in zip(peak[i:j], height[i:j], valid[i:j], strict=True):
                if ok:
                    b = int((p - t0) // fs)
                    per_second[b] = max(per_second.get(b, 0.0), h)
            qrs = [median(list(per_second.values()))] if per_second else [height[i]]
            self._levels = _Levels(qrs, self._levels.rr, config.threshold, memory)
            self._learnt_at = t0

        def accept(bump: _Bump) -> None:
            levels = self._levels
            if beats.count > self._last_gap_beat:
                rr = bump.peak - beats.recent[-1].peak
                mean = levels.rr_mean()
                if mean is None or len(levels.rr) < memory or 0.5 * mean < rr < 1.7 * mean:
                    levels.push_rr(rr)
            beats.append(bump)
            beat_slopes.append(bump.slope)
            levels.push_qrs(bump.height)
            noise_since.clear()

        def is_t_wave(bump: _Bump, last: _Bump) -> bool:
            if bump.peak - last.peak >= t_wave:
                return False
            # Against the median slope of recent beats, not the last one alone, so
            # that one steep artefact taken for a beat cannot hide the next beats.
            ref = min(last.slope, median(beat_slopes)) if beat_slopes else last.slope
            return bump.slope < t_ratio * ref

        # Noise bumps are kept for the search-back only when it may take them (prominent
        # enough, in a beat train): most are not, and the list stays short.
        def noise(bump: _Bump) -> None:
            self._levels.push_noise(bump.height)
            if bump.prominence >= sb_prominence and bump.in_train:
                noise_since.append(bump)

        # Locals, not attributes, in the loop: it runs once per candidate (two million on
        # a 72-h record), and most of them are noise decided in a few comparisons.
        recent = beats.recent
        searchback_rr = config.searchback_rr
        new_bump = tuple.__new__  # the named tuple's own constructor is a Python function
        previous_gaps = self._previous_gaps
        # Both change only when the levels are learnt again (below).
        learnt_at = self._learnt_at
        levels = self._levels
        push_noise = levels.noise.append  # no method call for the commonest step
        columns = (peak, height, prominence, valid, gaps)
        for i, t, h, p, ok, g, in_train in zip(
            range(start, end), *(c[start:end] for c in columns), train, strict=True
        ):
            if not ok:
                continue
            after_gap = previous_gaps is None or g != previous_gaps
            previous_gaps = g
            last = recent[-1] if beats.count else None
            since_beat = t - (learnt_at if last is None else last.peak)
            if after_gap or (since_beat > relearn and t - learnt_at > relearn):
                relearn_from(i)
                learnt_at = self._learnt_at
                levels = self._levels
                push_noise = levels.noise.append
                if after_gap:
                    # Nothing before a gap may be searched back, nor count as an RR interval.
                    noise_since.clear()
                    self._last_gap_beat = beats.count
            # Step 2: search back over the bumps since the last beat.
            searched = bool(noise_since)
            while noise_since and beats.count > self._last_gap_beat:
                mean = levels._rr_mean
                if mean is None:
                    mean = levels.rr_mean()
                if mean is None or t - recent[-1].peak <= searchback_rr * mean:
                    break
                prior = recent[-1]
                eligible = [
                    n
                    for n in noise_since
                    if n.prominence >= sb_prominence
                    and n.in_train
                    and n.peak - prior.peak >= refractory
                    and t - n.peak >= refractory
                    and not is_t_wave(n, prior)
                ]
                if not eligible:
                    break
                best = max(eligible, key=lambda n: n.height)
                if best.height < 0.5 * levels.threshold():
                    break
                later = [n for n in noise_since if n.peak > best.peak]
                accept(best)
                noise_since.extend(later)
            if searched:
                last = recent[-1] if beats.count else None
            # Step 3: refractory period. Bumps inside it belong to the complex
            # (a pacing spike, filter side lobes) and do not count as noise.
            if last is not None and t - last.peak < refractory:
                if h > last.height and p >= min_prominence:
                    beats.pop()
                    beat_slopes.pop()
                    levels.pop_qrs()
                    accept(new_bump(_Bump, (t, h, slope[i], p, in_train, fiducial[i])))
                continue
            if p < min_prominence or not in_train or h < levels.threshold():
                # Most candidates end here: the bump is built only when the search-back
                # may ever take it (see noise()).
                push_noise(h)
                if p >= sb_prominence and in_train:
                    noise_since.append(new_bump(_Bump, (t, h, slope[i], p, in_train, fiducial[i])))
                continue
            bump = new_bump(_Bump, (t, h, slope[i], p, in_train, fiducial[i]))
            # Step 4: T wave or QRS.
            if last is not None and is_t_wave(bump, last):
                noise(bump)
                continue
            accept(bump)
        self._previous_gaps = previous_gaps


def classify_candidates(candidates: Candidates, fs: float, config: QRSConfig) -> IndexArray:
    """Decide which candidates of a whole record are QRS complexes.

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
    """
    classifier = Classifier(fs, config)
    classifier.feed(candidates, None)
    return classifier.finish()


def drop_insertions(
    t: npt.NDArray[np.float64],
    h: npt.NDArray[np.float64],
    prom: npt.NDArray[np.float64],
    config: QRSConfig,
) -> BoolArray:
    """Which beats to keep where three beats share one RR interval (step 8 of ``detect_qrs``).

    Parameters
    ----------
    t : ndarray of float64
        Envelope peaks of the beats, samples, increasing.
    h, prom : ndarray of float64
        Their envelope heights and prominences.
    config : QRSConfig
        Tunables.

    Returns
    -------
    ndarray of bool
        True for the beats kept.

    Notes
    -----
    1. The local RR is the median of the ``2 * memory + 1`` intervals around
       each beat (robust while fewer than half of them are wrong).
    2. Three successive beats a, b, c spanning less than ``insertion_rr``
       local RRs hold one beat too many when one of them is weak (prominence
       below ``insertion_prominence``): a real premature beat is followed by a
       pause, so its two intervals add up to at least about one and a half RR,
       and strong complexes (ventricular runs) are left alone.
    3. Of a, b and c, the one dropped is the one whose removal leaves the
       intervals around them closest to the local RR; between equally regular
       choices the weaker bump (``insertion_height``) goes.
    """
    keep = np.ones(len(t), dtype=bool)
    if len(t) < 3 or config.insertion_rr <= 0:
        return keep
    rr = np.diff(t)
    half = config.memory
    padded = np.pad(rr, half, mode="edge")
    local = median_rows(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1))
    span = t[2:] - t[:-2]
    weakest = np.minimum(np.minimum(prom[2:], prom[:-2]), prom[1:-1])
    suspects = (
        np.flatnonzero(
            (span < config.insertion_rr * np.minimum(local[:-1], local[1:]))
            & (weakest < config.insertion_prominence)
        )
        + 1
    )
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
    return keep
