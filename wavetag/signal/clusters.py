"""Morphology clusters of beat windows: incremental templates, then one matrix product.

The windows of a 72-h Holter are hundreds of megabytes: they are normalised in place and
every per-cluster sum is taken a block of beats at a time, so no step copies them whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .beats import BeatConfig

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def normalise(w: F32) -> tuple[F32, F32]:
    """Zero-mean unit-norm rows (correlation becomes a dot product) and row amplitudes."""
    w = w - w.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(w, axis=1)
    # In place: a Holter's windows are hundreds of megabytes; one copy is enough.
    w /= np.maximum(norm, 1e-9)[:, None]
    return w, norm.astype(np.float32)


def normalise_in_place(w: F32) -> tuple[F32, F32, F32]:
    """:func:`normalise` overwriting ``w`` (a Holter's windows are hundreds of megabytes),
    with each row's mean, so that the windows can be rebuilt (``z * amp + mean``)."""
    mean = w.mean(axis=1, keepdims=True)
    amp = np.empty(len(w), dtype=np.float32)
    for a in range(0, len(w), 20000):
        block = w[a : a + 20000]
        block -= mean[a : a + 20000]
        norm = np.linalg.norm(block, axis=1)
        block /= np.maximum(norm, 1e-9)[:, None]
        amp[a : a + 20000] = norm
    return w, amp, mean[:, 0]


def cluster_means(z: F32, amp: F32, mean: F32, clusters: I64, n_cl: int) -> list[F32]:
    """Mean window of each cluster, from the normalised rows, a block of beats at a time."""
    sums = np.zeros((n_cl, z.shape[1]))
    for a in range(0, len(z), 20000):
        cb = clusters[a : a + 20000]
        raw = z[a : a + 20000] * amp[a : a + 20000, None] + mean[a : a + 20000, None]
        for k in np.unique(cb).tolist():
            sums[k] += raw[cb == k].sum(axis=0, dtype=np.float64)
    counts = np.maximum(np.bincount(clusters, minlength=n_cl), 1)
    return list((sums / counts[:, None]).astype(np.float32))


def _grow(
    z: F32, amp: F32, order: I64, templates: list[F32], tamps: list[float], conf: BeatConfig
) -> None:
    """Incremental clustering over ``order``: join the best template or start one."""
    counts = [1] * len(templates)
    sums = [t.copy() for t in templates]
    for i in order.tolist():
        if templates:
            c = np.stack(templates) @ z[i]
            k = int(np.argmax(c))
            ratio = amp[i] / max(tamps[k], 1e-9)
            if c[k] >= conf.cluster_corr and 1 / conf.cluster_amp <= ratio <= conf.cluster_amp:
                counts[k] += 1
                sums[k] += z[i]
                templates[k] = sums[k] / max(float(np.linalg.norm(sums[k])), 1e-9)
                tamps[k] += (float(amp[i]) - tamps[k]) / counts[k]
                continue
            if len(templates) >= conf.max_clusters:
                continue
        templates.append(z[i].copy())
        sums.append(z[i].copy())
        tamps.append(float(amp[i]))
        counts.append(1)


def _assign(z: F32, amp: F32, templates: list[F32], tamps: list[float], conf: BeatConfig) -> I64:
    """Best template per beat (chunked matrix products); -1 where none fits."""
    t = np.stack(templates)
    ta = np.asarray(tamps, dtype=np.float32)
    out = np.empty(len(z), dtype=np.int64)
    for a in range(0, len(z), 20000):
        c = z[a : a + 20000] @ t.T
        ratio = amp[a : a + 20000, None] / np.maximum(ta[None, :], 1e-9)
        ok = (
            (c >= conf.cluster_corr) & (ratio >= 1 / conf.cluster_amp) & (ratio <= conf.cluster_amp)
        )
        c = np.where(ok, c, -np.inf)
        best = np.argmax(c, axis=1)
        out[a : a + 20000] = np.where(np.isfinite(c[np.arange(len(c)), best]), best, -1)
    return out


def cluster_beats(z: F32, amp: F32, conf: BeatConfig) -> I64:
    """Morphology cluster per beat, numbered by size (0 = largest).

    Parameters
    ----------
    z : ndarray of float32
        Beat windows, zero-mean and unit-norm rows, shape (beats, features).
    amp : ndarray of float32
        Norm of each window before normalisation, mV.
    conf : BeatConfig
        ``cluster_corr``, ``cluster_amp``, ``seed_beats``, ``max_clusters``.

    Returns
    -------
    ndarray of int64
        Cluster per beat.

    Notes
    -----
    1. Grow templates incrementally on ``seed_beats`` beats spread evenly.
    2. Assign every beat to its best template at once.
    3. Grow again on the beats nothing fitted, then assign those.
    4. Beats still unmatched (the cluster cap was reached) join the nearest template.
    """
    n = len(z)
    templates: list[F32] = []
    tamps: list[float] = []
    seed = np.unique(np.linspace(0, n - 1, min(n, conf.seed_beats)).astype(np.int64))
    _grow(z, amp, seed, templates, tamps, conf)
    labels = _assign(z, amp, templates, tamps, conf)
    miss = np.flatnonzero(labels < 0)
    if len(miss):
        _grow(z, amp, miss, templates, tamps, conf)
        labels[miss] = _assign(z[miss], amp[miss], templates, tamps, conf)
        left = miss[labels[miss] < 0]
        if len(left):
            labels[left] = np.argmax(z[left] @ np.stack(templates).T, axis=1)
    sizes = np.bincount(labels, minlength=len(templates))
    rank = np.empty(len(sizes), dtype=np.int64)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(len(sizes))
    return rank[labels]


def template_correlation(z: F32, clusters: I64) -> F32:
    """Correlation of each beat with its cluster's mean normalised window (renormalised)."""
    unit = _unit_templates(z, clusters)
    out = np.empty(len(z), dtype=np.float32)
    for a in range(0, len(z), 20000):
        t = unit[clusters[a : a + 20000]].astype(np.float32)
        out[a : a + 20000] = np.einsum("ij,ij->i", z[a : a + 20000], t)
    return out


def _unit_templates(z: F32, clusters: I64) -> F64:
    """Each cluster's mean of normalised windows, renormalised: one row per cluster."""
    n_cl = int(clusters.max()) + 1
    sums = np.zeros((n_cl, z.shape[1]))
    # In blocks of beats: a cluster's rows are never copied out whole.
    for a in range(0, len(z), 20000):
        zb, cb = z[a : a + 20000], clusters[a : a + 20000]
        for k in np.unique(cb).tolist():
            sums[k] += zb[cb == k].sum(axis=0, dtype=np.float64)
    sums /= np.maximum(np.linalg.norm(sums, axis=1), 1e-9)[:, None]
    return sums
