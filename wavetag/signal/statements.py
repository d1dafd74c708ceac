"""Diagnostic statements of a resting ECG (12 leads or fewer), each with its measurement.

The statements are made from the median beat of every lead and from the intervals and
rhythm the analysis measured (:mod:`wavetag.signal.intervals`, :mod:`~wavetag.signal.rhythm`):
rate and rhythm, frontal QRS axis, first-degree AV block, right and left bundle branch
block (complete and incomplete right), a wide QRS of neither shape, LVH by voltage, ST
elevation and depression by lead group, long QTc and low QRS voltage. Leads are known by
name (``I``, ``II``, ``III``, ``aVR``, ``aVL``, ``aVF``, ``V1`` .. ``V6``, any case); a
statement whose leads the record lacks is not made, never guessed from other leads.

These are suggestions for a reader, with the numbers behind each one so that the reader
can check them; they are not a diagnosis. Thresholds follow the AHA/ACCF/HRS
recommendations for the standardisation and interpretation of the ECG (2009) where those
give one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import numpy.typing as npt

from .intervals import IntervalConfig, Intervals, median_beat

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

LIMB = ("I", "II", "III", "AVR", "AVL", "AVF")
PRECORDIAL = ("V1", "V2", "V3", "V4", "V5", "V6")
# ST groups, each lead with its neighbours: a change is stated when two contiguous leads
# show it, as an infarct or ischaemia shows in adjacent leads, not in scattered ones.
ST_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "inferior": (("II", "AVF"), ("III", "AVF")),
    "lateral": (("I", "AVL"), ("V5", "V6"), ("I", "V6")),
    "anterior": (("V1", "V2"), ("V2", "V3"), ("V3", "V4")),
}
# Rhythm labels under which a P wave before each QRS makes a sinus rhythm.
SINUS_LABELS = frozenset({"(N", "(SBR"})
PACED_LABELS = frozenset({"(P", "(PR"})

# Statement codes, and their text.
TEXTS: dict[str, str] = {
    "sinus-rhythm": "Sinus rhythm",
    "sinus-tachycardia": "Sinus tachycardia",
    "sinus-bradycardia": "Sinus bradycardia",
    "atrial-fibrillation": "Atrial fibrillation",
    "atrial-flutter": "Atrial flutter",
    "paced-rhythm": "Paced rhythm",
    "left-axis-deviation": "Left axis deviation",
    "right-axis-deviation": "Right axis deviation",
    "extreme-axis": "Extreme (northwest) axis",
    "av-block-1": "1st-degree AV block",
    "rbbb": "Right bundle branch block",
    "incomplete-rbbb": "Incomplete right bundle branch block",
    "lbbb": "Left bundle branch block",
    "ivcd": "Wide QRS, neither right nor left bundle branch block shape",
    "lvh": "Left ventricular hypertrophy by voltage",
    "st-elevation": "ST elevation",
    "st-depression": "ST depression",
    "long-qtc": "Long QTc",
    "low-voltage": "Low QRS voltage",
}


@dataclass(frozen=True)
class StatementConfig:
    """Tunables of :func:`make_statements`.

    Attributes
    ----------
    tachy_bpm, brady_bpm : float
        Sinus rate limits, bpm.
    axis_normal_deg : (float, float)
        Normal frontal QRS axis, degrees (-30 to +90).
    pr_long_ms : float
        First-degree AV block above this PR, ms.
    qrs_wide_ms, qrs_incomplete_ms : float
        Complete bundle branch block from this QRS duration, ms; incomplete right bundle
        branch block from the second up to the first.
    terminal_ms : float
        The terminal part of the QRS whose polarity tells RBBB from LBBB, ms.
    rsr_terminal_mv : float
        Mean height of V1's terminal QRS for a terminal R (the R' of rsR'), mV.
    s_terminal_mv : float
        Mean depth of the terminal QRS in I or V6 for a wide, slurred S, mV.
    lbbb_q_mv : float
        Largest q wave in I, V5, V6 that LBBB allows (septal activation reversed), mV.
    sokolow_mv : float
        SV1 + max(RV5, RV6) from this, mV.
    cornell_mv : (float, float)
        RaVL + SV3 above this, men and women, mV; the men's when the sex is unknown.
    st_ms : float
        ST level measured this long after the J point (QRS offset), ms.
    st_elevation_mv, st_elevation_v2v3_mv : float
        ST elevation from this in two contiguous leads; in V2 and V3 the second, mV.
    st_depression_mv : float
        ST depression from this in two contiguous leads, mV.
    qtc_long_ms : (float, float, float)
        Long QTc above this for men, women and unknown sex, ms.
    low_limb_mv, low_precordial_mv : float
        Low voltage when every limb (precordial) lead's QRS peak-to-peak is below this, mV.
    """

    tachy_bpm: float = 100.0
    brady_bpm: float = 60.0
    axis_normal_deg: tuple[float, float] = (-30.0, 90.0)
    pr_long_ms: float = 200.0
    qrs_wide_ms: float = 120.0
    qrs_incomplete_ms: float = 110.0
    terminal_ms: float = 40.0
    rsr_terminal_mv: float = 0.1
    s_terminal_mv: float = 0.05
    lbbb_q_mv: float = 0.1
    sokolow_mv: float = 3.5
    cornell_mv: tuple[float, float] = (2.8, 2.0)
    st_ms: float = 60.0
    st_elevation_mv: float = 0.1
    st_elevation_v2v3_mv: float = 0.2
    st_depression_mv: float = 0.1
    qtc_long_ms: tuple[float, float, float] = (450.0, 460.0, 460.0)
    low_limb_mv: float = 0.5
    low_precordial_mv: float = 1.0


@dataclass
class Statement:
    """One diagnostic statement and the measurement behind it.

    Attributes
    ----------
    code : str
        Key of :data:`TEXTS` (``"rbbb"``...).
    text : str
        What it says, for people.
    evidence : str
        The measurement that made it, for people (``"QRS 148 ms; V1 terminal R ..."``).
    values : dict of str -> float
        The same numbers, machine-readable (ms, mV, degrees, bpm).
    """

    code: str
    text: str
    evidence: str
    values: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class LeadMeasures:
    """QRS and ST of one lead's median beat, relative to its isoelectric level (mV).

    Attributes
    ----------
    q, r, s : float
        Depth of the negative deflection before the R peak, height of the R peak, depth
        of the negative deflection after it (all >= 0).
    ptp : float
        QRS peak to peak.
    net : float
        Mean of the QRS (its area over its duration): the sign says which way it points.
    terminal : float
        Mean of the last ``terminal_ms`` of the QRS.
    st : float
        Level ``st_ms`` after the J point.
    """

    q: float
    r: float
    s: float
    ptp: float
    net: float
    terminal: float
    st: float


def lead_key(name: str) -> str | None:
    """The standard lead a channel name denotes (``"AVF"``, ``"V1"``...), else None."""
    key = name.strip().replace(" ", "").upper()
    key = key.removeprefix("LEAD")
    return key if key in LIMB or key in PRECORDIAL else None


def lead_measures(
    median: F64, centre: int, fs: float, iv: Intervals, conf: StatementConfig
) -> list[LeadMeasures] | None:
    """:class:`LeadMeasures` of every column of ``median`` (None without a QRS onset and
    offset).

    Parameters
    ----------
    median : ndarray of float64
        Median beat, mV, shape (samples, leads), R peak at ``centre``.
    centre : int
        Index of the R peak.
    fs : float
        Sampling frequency, Hz.
    iv : Intervals
        Fiducials of the same median beat, ms from the R peak (``qrs_on``, ``qrs_off``).
    conf : StatementConfig
    """
    if iv.qrs_on is None or iv.qrs_off is None:
        return None
    on = centre + round(iv.qrs_on * fs / 1000.0)
    off = centre + round(iv.qrs_off * fs / 1000.0)
    if not 0 < on < off < len(median):
        return None
    # The isoelectric level: the PR segment just before QRS onset, as delineate takes it.
    iso = np.median(median[max(0, on - round(0.02 * fs)) : on + 1], axis=0)
    y = median - iso
    term = max(1, round(conf.terminal_ms * fs / 1000.0))
    j60 = min(len(y) - 1, off + round(conf.st_ms * fs / 1000.0))
    out = []
    for k in range(y.shape[1]):
        qrs = y[on : off + 1, k]
        pk = int(np.argmax(qrs))
        out.append(
            LeadMeasures(
                q=float(max(0.0, -qrs[: pk + 1].min())),
                r=float(max(0.0, qrs[pk])),
                s=float(max(0.0, -qrs[pk:].min())),
                ptp=float(qrs.max() - qrs.min()),
                net=float(qrs.mean()),
                terminal=float(qrs[-term:].mean()),
                st=float(y[j60, k]),
            )
        )
    return out


def make_statements(
    median: F64,
    centre: int,
    fs: float,
    names: Sequence[str],
    iv: Intervals,
    rhythm: str | None,
    sex: str | None = None,
    conf: StatementConfig | None = None,
) -> list[Statement]:
    """The statements that a median beat, its intervals and the rhythm support.

    Parameters
    ----------
    median : ndarray of float64
        Median beat in mV, shape (samples, leads), R peak at ``centre``
        (:func:`~wavetag.signal.intervals.median_beat`).
    centre : int
        Index of the R peak in ``median``.
    fs : float
        Sampling frequency, Hz.
    names : sequence of str
        Lead name of each column (``"V1"``, ``"aVF"``...); others are ignored.
    iv : Intervals
        Intervals measured on the same beats over all the leads
        (:func:`~wavetag.signal.intervals.delineate`).
    rhythm : str or None
        The analysis's rhythm label for these beats (``"(N"``, ``"(AFIB"``...).
    sex : {"M", "F"} or None
        Sets the QTc and Cornell limits; None takes the single (stricter) limit.
    conf : StatementConfig, optional

    Returns
    -------
    list of Statement
        Rhythm first, then conduction, axis, voltage, ST and QT.

    Notes
    -----
    1. **Rhythm**: under a sinus label of the analysis, sinus rhythm, tachycardia above
       ``tachy_bpm`` or bradycardia below ``brady_bpm`` (the median beat's RR), with the
       PR when a P wave was measured; atrial fibrillation, flutter and paced rhythm as the
       analysis says.
    2. **AV block**: PR above ``pr_long_ms`` in a sinus rhythm.
    3. **Bundle branch block** (QRS from ``qrs_wide_ms``): right when V1's terminal QRS
       is positive (R') and I or V6 ends in a wide S; left when V1 points down, I and V6
       point up without a terminal S and without a septal q in I, V5, V6; else a wide QRS
       of neither shape. From ``qrs_incomplete_ms``, the right shape is incomplete RBBB.
    4. **Axis**: the angle of the QRS mean vector from the net QRS of I and aVF
       (aVF from II and III by Einthoven's law when only they are named); not stated in a
       wide QRS of left bundle branch block shape, whose axis means little.
    5. **LVH**: Sokolow-Lyon SV1 + max(RV5, RV6), Cornell RaVL + SV3; not stated with a
       bundle branch block (the voltage criteria do not hold there).
    6. **ST** at J + ``st_ms`` per lead group, two contiguous leads beyond the limit; not
       stated in a wide QRS, whose repolarisation is secondary to it.
    7. **QTc** (Bazett, and Fridericia when the rate is above ``tachy_bpm``, as Bazett
       over-corrects fast rates) above the limit for ``sex``.
    8. **Low voltage**: every limb (precordial) lead's QRS peak to peak below the limit,
       all six leads of the group present.
    9. **Paced rhythm**: only the rhythm and QTc; a paced QRS's shape, axis, voltage and
       ST are the pacemaker's.
    """
    conf = conf or StatementConfig()
    out: list[Statement] = []
    keys = [lead_key(n) for n in names]
    m = lead_measures(median, centre, fs, iv, conf)
    lead: dict[str, LeadMeasures] = {}
    if m is not None:
        for key, meas in zip(keys, m, strict=True):
            if key is not None and key not in lead:
                lead[key] = meas

    out += _rhythm(iv, rhythm, conf)
    sinus = bool(out) and out[0].code.startswith("sinus")
    if sinus and iv.pr_ms is not None and iv.pr_ms > conf.pr_long_ms:
        out.append(_say("av-block-1", f"PR {iv.pr_ms:.0f} ms", pr_ms=iv.pr_ms))
    if rhythm in PACED_LABELS:
        # A paced QRS is wide and of left bundle branch block shape by construction: its
        # shape, axis, voltage and ST say nothing of the conduction system.
        return out + _qtc(iv, sex, conf)
    block = _bundle_branch(lead, iv, conf)
    out += block
    wide = any(s.code in ("rbbb", "lbbb", "ivcd") for s in block)
    if not any(s.code == "lbbb" for s in block):
        out += _axis(lead, conf)
    if not wide:
        out += _lvh(lead, sex, conf)
        out += _st(lead, conf)
    out += _qtc(iv, sex, conf)
    out += _low_voltage(lead, conf)
    return out


def _say(code: str, evidence: str, **values: float) -> Statement:
    return Statement(code, TEXTS[code], evidence, {k: round(v, 3) for k, v in values.items()})


def _rhythm(iv: Intervals, rhythm: str | None, conf: StatementConfig) -> list[Statement]:
    hr = iv.hr
    if rhythm == "(AFIB":
        return [_say("atrial-fibrillation", "irregular rhythm without P waves")]
    if rhythm == "(AFL":
        return [_say("atrial-flutter", "flutter waves")]
    if rhythm in PACED_LABELS:
        return [_say("paced-rhythm", "paced beats")]
    if rhythm not in SINUS_LABELS or hr is None:
        return []
    # The rhythm analysis has already called it sinus; a P wave the median beat does not
    # show (it hides in the T wave at fast rates) is said, not held against it.
    p = f"PR {iv.pr_ms:.0f} ms" if iv.pr_ms is not None else "no P wave measured"
    rate = f"rate {hr:.0f}/min, {p}"
    if hr > conf.tachy_bpm:
        return [_say("sinus-tachycardia", rate, hr=hr)]
    if hr < conf.brady_bpm:
        return [_say("sinus-bradycardia", rate, hr=hr)]
    return [_say("sinus-rhythm", rate, hr=hr)]


def _bundle_branch(
    lead: dict[str, LeadMeasures], iv: Intervals, conf: StatementConfig
) -> list[Statement]:
    qrs = iv.qrs_ms
    if qrs is None or qrs < conf.qrs_incomplete_ms or "V1" not in lead:
        return []
    v1 = lead["V1"]
    left = [lead[k] for k in ("I", "V6") if k in lead]
    if not left:
        return []
    ends_s = min(x.terminal for x in left) < -conf.s_terminal_mv
    right = v1.terminal > conf.rsr_terminal_mv and ends_s
    why = f"QRS {qrs:.0f} ms; V1 terminal {v1.terminal:+.2f} mV; " + ", ".join(
        f"{k} terminal {lead[k].terminal:+.2f} mV" for k in ("I", "V6") if k in lead
    )
    values = {"qrs_ms": qrs, "v1_terminal_mv": v1.terminal}
    if right:
        code = "rbbb" if qrs >= conf.qrs_wide_ms else "incomplete-rbbb"
        return [_say(code, why, **values)]
    if qrs < conf.qrs_wide_ms:
        return []
    septal_q = max((lead[k].q for k in ("I", "V5", "V6") if k in lead), default=0.0)
    leftward = all(x.net > 0 and x.terminal > -conf.s_terminal_mv for x in left)
    if v1.net < 0 and v1.terminal <= 0 and leftward and septal_q < conf.lbbb_q_mv:
        return [_say("lbbb", f"{why}; largest q in I, V5, V6 {septal_q:.2f} mV", **values)]
    return [_say("ivcd", why, **values)]


def _axis(lead: dict[str, LeadMeasures], conf: StatementConfig) -> list[Statement]:
    if "I" not in lead:
        return []
    if "AVF" in lead:
        avf = lead["AVF"].net
    elif "II" in lead and "III" in lead:
        avf = (lead["II"].net + lead["III"].net) / 2.0
    else:
        return []
    axis = float(np.degrees(np.arctan2(avf, lead["I"].net)))
    lo, hi = conf.axis_normal_deg
    why = f"QRS axis {axis:+.0f}°"
    if lo <= axis <= hi:
        return []
    if -90.0 <= axis < lo:
        return [_say("left-axis-deviation", why, axis_deg=axis)]
    if hi < axis <= 180.0:
        return [_say("right-axis-deviation", why, axis_deg=axis)]
    return [_say("extreme-axis", why, axis_deg=axis)]


def _lvh(lead: dict[str, LeadMeasures], sex: str | None, conf: StatementConfig) -> list[Statement]:
    found = []
    if "V1" in lead and ("V5" in lead or "V6" in lead):
        rv = max(lead[k].r for k in ("V5", "V6") if k in lead)
        sokolow = lead["V1"].s + rv
        if sokolow >= conf.sokolow_mv:
            found.append((f"Sokolow-Lyon SV1+RV5/6 {sokolow:.2f} mV", "sokolow_mv", sokolow))
    if "AVL" in lead and "V3" in lead:
        cornell = lead["AVL"].r + lead["V3"].s
        limit = conf.cornell_mv[1] if sex == "F" else conf.cornell_mv[0]
        if cornell > limit:
            found.append((f"Cornell RaVL+SV3 {cornell:.2f} mV", "cornell_mv", cornell))
    if not found:
        return []
    return [_say("lvh", "; ".join(f[0] for f in found), **{f[1]: f[2] for f in found})]


def _st(lead: dict[str, LeadMeasures], conf: StatementConfig) -> list[Statement]:
    out = []
    for kind in ("st-elevation", "st-depression"):
        groups = []
        worst: dict[str, float] = {}
        for group, pairs in ST_GROUPS.items():
            hit: set[str] = set()
            for pair in pairs:
                if not all(k in lead for k in pair):
                    continue
                if all(_st_beyond(k, lead[k].st, kind, conf) for k in pair):
                    hit.update(pair)
            if hit:
                groups.append(group)
                worst.update({k: lead[k].st for k in hit})
        if groups:
            where = ", ".join(f"{k} {v:+.2f}" for k, v in sorted(worst.items()))
            text = f"{' and '.join(groups)} (ST at J+{conf.st_ms:.0f} ms, mV: {where})"
            s = _say(kind, text, **{f"st_{k.lower()}_mv": v for k, v in worst.items()})
            s.text = f"{TEXTS[kind]}, {' and '.join(groups)}"
            out.append(s)
    return out


def _st_beyond(key: str, st: float, kind: str, conf: StatementConfig) -> bool:
    if kind == "st-depression":
        return st <= -conf.st_depression_mv
    # V2 and V3 show more ST elevation in health (most in young men): a higher limit there.
    limit = conf.st_elevation_v2v3_mv if key in ("V2", "V3") else conf.st_elevation_mv
    return st >= limit


def _qtc(iv: Intervals, sex: str | None, conf: StatementConfig) -> list[Statement]:
    b, f = iv.qtc_bazett_ms, iv.qtc_fridericia_ms
    if b is None or f is None or iv.hr is None:
        return []
    limit = {"M": conf.qtc_long_ms[0], "F": conf.qtc_long_ms[1]}.get(sex or "", conf.qtc_long_ms[2])
    # Bazett over-corrects fast rates: there Fridericia decides.
    qtc, how = (f, "Fridericia") if iv.hr > conf.tachy_bpm else (b, "Bazett")
    if qtc <= limit:
        return []
    return [
        _say(
            "long-qtc",
            f"QTc {qtc:.0f} ms ({how}; Bazett {b:.0f}, Fridericia {f:.0f}; limit {limit:.0f})",
            qtc_ms=qtc,
            qtc_bazett_ms=b,
            qtc_fridericia_ms=f,
        )
    ]


def _low_voltage(lead: dict[str, LeadMeasures], conf: StatementConfig) -> list[Statement]:
    where = []
    values: dict[str, float] = {}
    for group, keys, limit in (
        ("limb", LIMB, conf.low_limb_mv),
        ("precordial", PRECORDIAL, conf.low_precordial_mv),
    ):
        if all(k in lead for k in keys):
            top = max(lead[k].ptp for k in keys)
            if top < limit:
                where.append(f"{group} leads (largest QRS {top:.2f} mV < {limit:.1f})")
                values[f"{group}_max_mv"] = top
    if not where:
        return []
    s = _say("low-voltage", "; ".join(where), **values)
    return [s]


def record_statements(
    signal: npt.ArrayLike,
    fs: float,
    names: Sequence[str],
    beats: npt.ArrayLike,
    symbols: list[str] | None,
    iv: Intervals,
    rhythm: str | None,
    sex: str | None = None,
    conf: StatementConfig | None = None,
    interval_conf: IntervalConfig | None = None,
) -> list[Statement]:
    """Statements of a stretch of a record: its median beat, then :func:`make_statements`.

    Parameters
    ----------
    signal : array_like of float
        The stretch, mV, shape (samples, leads).
    fs : float
        Sampling frequency, Hz.
    names : sequence of str
        Lead name of each column.
    beats : array_like of int
        Beat positions in the stretch, samples.
    symbols : list of str or None
        Their codes (the median beat takes the dominant kind, as
        :func:`~wavetag.signal.intervals.median_beat` does).
    iv : Intervals
        :func:`~wavetag.signal.intervals.delineate` of the same stretch, beats and leads.
    rhythm : str or None
        The analysis's rhythm label over the stretch.
    sex : {"M", "F"} or None
    conf : StatementConfig, optional
    interval_conf : IntervalConfig, optional
        As given to ``delineate`` (the same beats must be averaged).

    Returns
    -------
    list of Statement
        Empty when there are too few beats for a median beat.
    """
    b = np.asarray(beats, dtype=np.int64)
    if len(b) < 3 or iv.n_beats == 0:
        return []
    med, _, centre, _ = median_beat(signal, fs, b, symbols, interval_conf)
    return make_statements(med, centre, fs, names, iv, rhythm, sex, conf)
