"""What kind of signal a channel carries, from its name and units.

The viewer draws ECG channels on calibrated paper (mm/mV) and auto-scales the
others in their own units, so the guess errs towards "other" when unsure.
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["ecg", "abp", "ppg", "resp", "other"]

_ECG_NAMES = re.compile(
    r"^(ecg|ekg|mlii|mli|mliii|ml[iv]+|mcl\d?|i{1,3}|avr|avl|avf|-?v\d?|v[1-9]r?|[xyz]|"
    r"v[xyz]|d\d|lead.*|ecg.*|.*ecg|direct_\d|abdomen_\d)$",
    re.IGNORECASE,
)
_ECG_UNITS = {"mv", "uv", "µv", "μv", "v"}


def channel_kind(name: str, units: str) -> Kind:
    """Classify a channel.

    Examples
    --------
    >>> channel_kind("MLII", "mV"), channel_kind("ABP", "mmHg"), channel_kind("PLETH", "NU")
    ('ecg', 'abp', 'ppg')
    """
    n = name.strip().lower().replace(" ", "")
    u = units.strip().lower()
    if n.startswith("resp") or n in {"imp", "co2", "etco2", "flow", "thorax", "abdo", "abd"}:
        return "resp"
    if u == "mmhg" or n in {"abp", "art", "bp", "ap", "pap", "cvp", "icp"} or n.startswith("abp"):
        return "abp"
    if n in {"pleth", "ppg", "spo2wave", "pulse"} or n.startswith("pleth"):
        return "ppg"
    if u in _ECG_UNITS and (_ECG_NAMES.match(n) or u in {"mv", "uv", "µv", "μv"}):
        return "ecg"
    return "other"
