"""Beat morphology: a moving cardiac dipole seen through the standard leads.

Every wave (P, Q, R, S, T) is a Gaussian bump in time carrying a fixed 3-D
vector in Frank coordinates (X to the patient's left, Y to the feet, Z to the
back), after the sum-of-Gaussians models of McSharry et al. (ECGSYN, IEEE TBME
50:289, 2003) and Sameni et al. (EURASIP JASP 2007:43407). Successive QRS
bumps point in different directions, so the summed vector sweeps a loop like a
real vectorcardiogram. The leads are linear projections of that vector (the
Dower transform, Dower et al., J Electrocardiol 13:189, 1980), which is what
keeps them physiologically consistent: lead II is I + III, and the augmented
limb leads are derived from I and II exactly as an electrocardiograph does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

Vec3 = tuple[float, float, float]
F32 = npt.NDArray[np.float32]

# Rows of the Dower matrix: lead voltage = row . (X, Y, Z).
DOWER: dict[str, Vec3] = {
    "I": (0.632, -0.235, 0.059),
    "II": (0.235, 1.066, -0.132),
    "V1": (-0.515, 0.157, -0.917),
    "V2": (0.044, 0.164, -1.387),
    "V3": (0.882, 0.098, -1.277),
    "V4": (1.213, 0.127, -0.601),
    "V5": (1.125, 0.127, -0.086),
    "V6": (0.831, 0.076, 0.230),
}
# Monitoring leads named after the standard lead they imitate. A bedside
# monitor's single chest lead "V" is usually placed at V1 or V2.
ALIASES: dict[str, str] = {"MLII": "II", "MCL1": "V1", "V": "V2", "CM5": "V5"}
DERIVED_LIMB = ("III", "aVR", "aVL", "aVF")
KNOWN_LEADS = frozenset(DOWER) | frozenset(ALIASES) | frozenset(DERIVED_LIMB)


def recorded_lead(name: str) -> str:
    """Return the standard lead a lead name is projected from."""
    return ALIASES.get(name, name)


@dataclass(frozen=True)
class Wave:
    """One Gaussian component of a beat.

    Attributes
    ----------
    center : float
        Peak time in seconds, relative to the anchor of its group (see
        :class:`Morphology`).
    width : float
        Standard deviation in seconds.
    vector : tuple of float
        Peak dipole in mV along Frank X, Y, Z.
    """

    center: float
    width: float
    vector: Vec3


@dataclass(frozen=True)
class Morphology:
    """One patient's beat shapes.

    ``qrs`` waves are timed from the fiducial point (the R peak, where the
    beat annotation goes); ``p`` waves from the centre of the P wave, placed
    ``pr`` before QRS onset; ``t`` waves from the T peak, placed from the
    rate-corrected QT interval.

    Attributes
    ----------
    p, qrs, t : tuple of Wave
        The waves of a sinus beat.
    ectopic_p : tuple of Wave
        P wave of premature atrial beats (another focus, another vector).
    pvc_qrs, pvc_t : tuple of Wave
        Ventricular beats: wide QRS, discordant T.
    pr : float
        PR interval in seconds at 60 bpm (P onset to QRS onset).
    qrs_onset : float
        Seconds from QRS onset to the fiducial point.
    qtc : float
        Rate-corrected QT (Fridericia) in seconds, sinus beats.
    pvc_qtc : float
        Rate-corrected QT of ventricular beats.
    t_peak_to_end : float
        Seconds from the T peak to the end of the T wave.
    p_half : float
        Half the P-wave duration in seconds.
    """

    p: tuple[Wave, ...]
    qrs: tuple[Wave, ...]
    t: tuple[Wave, ...]
    ectopic_p: tuple[Wave, ...]
    pvc_qrs: tuple[Wave, ...]
    pvc_t: tuple[Wave, ...]
    pr: float = 0.160
    qrs_onset: float = 0.050
    qtc: float = 0.410
    pvc_qtc: float = 0.460
    t_peak_to_end: float = 0.085
    p_half: float = 0.050


def _scaled(v: Vec3, k: float) -> Vec3:
    return (v[0] * k, v[1] * k, v[2] * k)


NORMAL = Morphology(
    # Right atrium first (anterior, inferior), then left atrium (posterior,
    # leftward): the classic biphasic P of V1.
    p=(
        Wave(-0.016, 0.018, (0.04, 0.13, -0.08)),
        Wave(0.016, 0.019, (0.10, 0.07, 0.08)),
    ),
    # Septal forces to the right and front (q in I and V6, r in V1), the main
    # left-inferior-posterior R, then terminal posterior-superior forces.
    qrs=(
        Wave(-0.026, 0.0082, (-0.12, 0.00, -0.20)),
        Wave(-0.004, 0.0105, (0.95, 0.85, 0.02)),
        Wave(0.011, 0.0110, (0.55, 0.10, 0.75)),
        Wave(0.031, 0.0099, (-0.22, -0.16, 0.55)),
    ),
    # Slow rise, faster fall: two Gaussians make the asymmetric T.
    t=(
        Wave(-0.040, 0.060, (0.17, 0.13, -0.13)),
        Wave(0.004, 0.034, (0.18, 0.13, -0.12)),
    ),
    # A low-atrial focus: retrograde (superior) P, negative in II, III, aVF.
    ectopic_p=(Wave(0.0, 0.024, (0.05, -0.10, -0.03)),),
    # Right-ventricular outflow focus: broad, left-inferior, posterior (LBBB-like).
    pvc_qrs=(
        Wave(-0.038, 0.017, (0.25, 0.45, 0.35)),
        Wave(0.000, 0.022, (1.05, 1.15, 0.95)),
        Wave(0.042, 0.019, (0.30, -0.15, 0.55)),
    ),
    pvc_t=(
        Wave(-0.030, 0.070, (-0.22, -0.26, -0.22)),
        Wave(0.010, 0.040, (-0.18, -0.20, -0.18)),
    ),
)


def _rotation(about_x: float, about_y: float, about_z: float) -> npt.NDArray[np.float64]:
    """Rotation matrix for small angles (radians) about Frank X, Y and Z."""
    cx, sx = np.cos(about_x), np.sin(about_x)
    cy, sy = np.cos(about_y), np.sin(about_y)
    cz, sz = np.cos(about_z), np.sin(about_z)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return np.asarray(rz @ ry @ rx, dtype=np.float64)


def _transform(
    waves: tuple[Wave, ...], m: npt.NDArray[np.float64], time_k: float
) -> tuple[Wave, ...]:
    out = []
    for w in waves:
        v = m @ np.asarray(w.vector)
        out.append(
            Wave(w.center * time_k, w.width * time_k, (float(v[0]), float(v[1]), float(v[2])))
        )
    return tuple(out)


def random_morphology(rng: np.random.Generator) -> Morphology:
    """Draw one patient's morphology around :data:`NORMAL`.

    The frontal QRS axis varies by about +-20 degrees, the precordial
    transition by about +-15 degrees, amplitudes by about +-20 %, intervals
    within normal limits. The PVC focus is the right-ventricular outflow
    tract or, in a third of patients, the left ventricle (RBBB-like: positive
    in V1).
    """
    frontal = rng.normal(0.0, 0.17)  # about Z: swings the frontal axis
    horizontal = rng.normal(0.0, 0.13)  # about Y: moves the precordial transition
    gain = float(np.clip(rng.normal(1.0, 0.15), 0.7, 1.35))
    heart = _rotation(0.0, horizontal, frontal) * gain
    width_k = float(np.clip(rng.normal(1.0, 0.06), 0.88, 1.12))
    m = replace(
        NORMAL,
        p=_transform(NORMAL.p, heart * rng.uniform(0.8, 1.2), 1.0),
        qrs=_transform(NORMAL.qrs, heart, width_k),
        t=_transform(NORMAL.t, heart * rng.uniform(0.8, 1.25), 1.0),
        pr=float(np.clip(rng.normal(0.160, 0.014), 0.130, 0.195)),
        qtc=float(np.clip(rng.normal(0.410, 0.015), 0.380, 0.440)),
        qrs_onset=0.050 * width_k,
    )
    if rng.random() < 1 / 3:
        # Left-ventricular focus: anterior and rightward, upright in V1.
        lv = np.diag([-1.0, 1.0, -1.0])
        m = replace(
            m, pvc_qrs=_transform(NORMAL.pvc_qrs, lv, 1.0), pvc_t=_transform(NORMAL.pvc_t, lv, 1.0)
        )
    pvc_turn = _rotation(0.0, rng.normal(0.0, 0.25), rng.normal(0.0, 0.3))
    pvc_gain = float(np.clip(rng.normal(1.0, 0.15), 0.75, 1.3))
    return replace(
        m,
        pvc_qrs=_transform(m.pvc_qrs, pvc_turn * pvc_gain, float(rng.uniform(0.9, 1.15))),
        pvc_t=_transform(m.pvc_t, pvc_turn * pvc_gain, 1.0),
    )


# Template kinds. Sinus and ectopic-atrial beats conduct normally; "f" are
# sinus-shaped beats without a P wave (atrial fibrillation).
KIND_N, KIND_A, KIND_V, KIND_F = 0, 1, 2, 3


class TemplateBank:
    """Rendered 3-D beat templates, cached per beat kind and RR interval.

    The T wave and PR interval depend on heart rate, so templates are keyed
    by the preceding RR interval rounded to ``rr_step`` seconds; rendering a
    day of beats then needs only a few dozen distinct templates.

    Parameters
    ----------
    morphology : Morphology
        The patient's waves.
    fs : float
        Sampling frequency in Hz.
    rr_step : float
        RR quantisation in seconds.
    """

    def __init__(self, morphology: Morphology, fs: float, rr_step: float = 0.02) -> None:
        self.morphology = morphology
        self.fs = fs
        self.rr_step = rr_step
        self._cache: dict[tuple[int, int], tuple[F32, int]] = {}

    def key(self, rr: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """RR bins of many beats at once (what :meth:`get` rounds to)."""
        return np.round(np.clip(rr, 0.25, 2.5) / self.rr_step).astype(np.int64)

    def get(self, kind: int, rr_bin: int) -> tuple[F32, int]:
        """Return ``(template, offset)`` for a beat kind and RR bin (see
        :meth:`key`): a (3, L) float32 array in mV and the index of its
        fiducial sample."""
        hit = self._cache.get((kind, rr_bin))
        if hit is None:
            hit = self._render(kind, rr_bin * self.rr_step)
            self._cache[(kind, rr_bin)] = hit
        return hit

    def waves(self, kind: int, rr: float) -> list[Wave]:
        """All waves of one beat, centres relative to the fiducial point."""
        m = self.morphology
        # Fridericia's correction; ventricular beats have their own QT.
        qt = (m.pvc_qtc if kind == KIND_V else m.qtc) * rr ** (1 / 3)
        # T waves widen with QT and, at high rates, crowd into the next beat.
        tk = qt / 0.40
        qrs = m.pvc_qrs if kind == KIND_V else m.qrs
        onset = 0.065 if kind == KIND_V else m.qrs_onset
        t_peak = -onset + qt - m.t_peak_to_end * tk
        t_waves = m.pvc_t if kind == KIND_V else m.t
        out = list(qrs) + [Wave(t_peak + w.center * tk, w.width * tk, w.vector) for w in t_waves]
        if kind in (KIND_N, KIND_A):
            pr = m.pr * float(np.clip(rr, 0.4, 1.6)) ** 0.2
            p_waves = m.p if kind == KIND_N else m.ectopic_p
            p_centre = -onset - pr + m.p_half
            if kind == KIND_A:
                p_centre -= 0.015  # ectopic impulses take longer to reach the node
            out += [Wave(p_centre + w.center, w.width, w.vector) for w in p_waves]
        return out

    def _render(self, kind: int, rr: float) -> tuple[F32, int]:
        waves = self.waves(kind, rr)
        start = min(w.center - 4 * w.width for w in waves)
        stop = max(w.center + 4 * w.width for w in waves)
        offset = int(np.ceil(-start * self.fs))
        n = offset + int(np.ceil(stop * self.fs)) + 1
        t = (np.arange(n) - offset) / self.fs
        out = np.zeros((3, n))
        for w in waves:
            out += np.outer(w.vector, np.exp(-0.5 * ((t - w.center) / w.width) ** 2))
        return out.astype(np.float32), offset


def projection(leads: tuple[str, ...]) -> npt.NDArray[np.float32]:
    """(len(leads), 3) matrix that turns the dipole into the named leads.

    Only directly recorded leads are accepted; derive III, aVR, aVL and aVF
    with :func:`derive_limb_leads`.
    """
    return np.array([DOWER[recorded_lead(name)] for name in leads], dtype=np.float32)


def derive_limb_leads(
    lead_i: npt.NDArray[np.float32], lead_ii: npt.NDArray[np.float32], name: str
) -> npt.NDArray[np.float32]:
    """Compute a derived limb lead from *digital* leads I and II (Einthoven, Goldberger).

    Working on the quantised values keeps III = II - I exact; the augmented
    leads are rounded half to even.
    """
    if name == "III":
        out = lead_ii - lead_i
    elif name == "aVR":
        out = np.rint(-0.5 * (lead_i + lead_ii))
    elif name == "aVL":
        out = np.rint(lead_i - 0.5 * lead_ii)
    elif name == "aVF":
        out = np.rint(lead_ii - 0.5 * lead_i)
    else:
        raise ValueError(f"{name} is not a derived limb lead")
    return np.asarray(out, dtype=np.float32)
