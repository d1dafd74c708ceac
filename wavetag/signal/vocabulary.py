"""The WFDB vocabulary, written out once: beat codes, rhythm labels, their names and colours,
and the fiducial-point convention.

Every app imports it from here and the viewer receives it in its configuration
(:func:`for_viewer`), so that a code added here is known to the importer, the editor, the
analysis, the exports and the browser at once. Codes follow PhysioNet's ``ecgcodes`` (the
``symbol`` of an annotation) and the rhythm strings of MIT-BIH's aux notes.
"""

from __future__ import annotations

from typing import Any, Final

# Beat codes (the symbol of a beat annotation) and their names, after PhysioNet's ecgcodes.
BEAT_NAMES: Final[dict[str, str]] = {
    "N": "Normal beat",
    "L": "Left bundle branch block beat",
    "R": "Right bundle branch block beat",
    "B": "Bundle branch block beat (unspecified)",
    "A": "Atrial premature beat",
    "a": "Aberrated atrial premature beat",
    "J": "Nodal (junctional) premature beat",
    "S": "Supraventricular premature or ectopic beat",
    "V": "Premature ventricular contraction",
    "r": "R-on-T premature ventricular contraction",
    "F": "Fusion of ventricular and normal beat",
    "e": "Atrial escape beat",
    "j": "Nodal (junctional) escape beat",
    "n": "Supraventricular escape beat",
    "E": "Ventricular escape beat",
    "/": "Paced beat",
    "f": "Fusion of paced and normal beat",
    "Q": "Unclassifiable beat",
    "?": "Beat not classified during learning",
}
# Codes an editor may put on a beat: the beats above, plus the two marks MIT-BIH places on
# the beat stream (``x`` a non-conducted P wave, ``|`` an isolated QRS-like artifact).
BEAT_CODES: Final[frozenset[str]] = frozenset([*BEAT_NAMES, "x", "|"])
# Beats of normal conduction: a reader skips them when jumping between events.
NORMAL_BEATS: Final[frozenset[str]] = frozenset("NLRej")

# The codes the automatic beat classifier gives (N normal, V ventricular, A supraventricular,
# / paced, Q unclassifiable), and what the findings call each.
CLASSIFIER_CODES: Final[tuple[str, ...]] = ("N", "V", "A", "/", "Q")
CLASSIFIER_NAMES: Final[dict[str, str]] = {
    "N": "N",
    "V": "V",
    "A": "A",
    "/": "paced",
    "Q": "unknown",
}

# Rhythm labels (aux notes of a rhythm change), in the order an editor offers them.
RHYTHM_NAMES: Final[dict[str, str]] = {
    "(N": "sinus rhythm",
    "(AFIB": "atrial fibrillation",
    "(AFL": "atrial flutter",
    "(SVTA": "supraventricular tachyarrhythmia",
    "(VT": "ventricular tachycardia",
    "(B": "ventricular bigeminy",
    "(T": "ventricular trigeminy",
    "(SBR": "sinus bradycardia",
    "(BII": "2° heart block",
    "(NOD": "nodal (A-V junctional) rhythm",
    "(IVR": "idioventricular rhythm",
    "(VFL": "ventricular flutter",
    "(PREX": "pre-excitation (WPW)",
    "(P": "paced rhythm",
    "(AB": "atrial bigeminy",
    "(BI": "1° heart block",
    "(PR": "pacemaker rhythm",
    "noise": "noise",
}
RHYTHMS: Final[tuple[str, ...]] = tuple(RHYTHM_NAMES)
# The few labels a segment editor lists first; any label of RHYTHMS is accepted.
COMMON_RHYTHMS: Final[tuple[str, ...]] = (
    "(N",
    "(AFIB",
    "(AFL",
    "(SVTA",
    "(VT",
    "(B",
    "(T",
    "(SBR",
    "(BII",
    "noise",
)
# Not a rhythm but reported beside them by the analysis: a gap between beats.
PAUSE: Final = "PAUSE"
EVENT_NAMES: Final[dict[str, str]] = {**RHYTHM_NAMES, PAUSE: "pause"}

# The symbol of a rhythm change: its aux note is the rhythm.
RHYTHM_CHANGE: Final = "+"

# Rhythm colours on the trace; a label without one gets a colour made from its text.
RHYTHM_COLORS: Final[dict[str, str]] = {
    "(N": "#7a8699",
    "(AFIB": "#e07b00",
    "(AFL": "#d35400",
    "(VT": "#c62828",
    "(VFL": "#8e0000",
    "(SVTA": "#ad1457",
    "(B": "#6a1b9a",
    "(T": "#4527a0",
    "(BII": "#283593",
    "(P": "#00838f",
}

# kind -> (WFDB symbol, num): the wave-boundary convention of ecgpuwave.
FIDUCIALS: Final[dict[str, tuple[str, int]]] = {
    "P_on": ("(", 0),
    "P_off": (")", 0),
    "QRS_on": ("(", 1),
    "QRS_off": (")", 1),
    "T_peak": ("t", 2),
    "T_end": (")", 2),
}
FIDUCIAL_KIND: Final[dict[tuple[str, int], str]] = {v: k for k, v in FIDUCIALS.items()}
# A fiducial point lies this close to its beat (seconds): P onset to T end.
FIDUCIAL_REACH: Final = 0.8


def for_viewer() -> dict[str, Any]:
    """The vocabulary as the viewer's configuration carries it (JSON-ready)."""
    return {
        "beats": BEAT_NAMES,
        "beat_codes": sorted(BEAT_CODES),
        "normal_beats": sorted(NORMAL_BEATS),
        "rhythms": RHYTHM_NAMES,
        "common_rhythms": list(COMMON_RHYTHMS),
        "rhythm_colors": RHYTHM_COLORS,
        "rhythm_change": RHYTHM_CHANGE,
        "fiducials": {kind: list(code) for kind, code in FIDUCIALS.items()},
    }
