"""The automatic analysis's words in the reader's language.

The signal core (``wavetag.signal``) says what it found in English and must not import
Django; its statement texts, rhythm names and the fixed phrases of its evidence are
marked here (``gettext_noop``) and looked up when a page shows them. Numbers, units and
lead names pass through unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext, gettext_noop

# wavetag.signal.statements.TEXTS, by code (a test keeps the two in step).
STATEMENTS = {
    "sinus-rhythm": gettext_noop("Sinus rhythm"),
    "sinus-tachycardia": gettext_noop("Sinus tachycardia"),
    "sinus-bradycardia": gettext_noop("Sinus bradycardia"),
    "atrial-fibrillation": gettext_noop("Atrial fibrillation"),
    "atrial-flutter": gettext_noop("Atrial flutter"),
    "paced-rhythm": gettext_noop("Paced rhythm"),
    "left-axis-deviation": gettext_noop("Left axis deviation"),
    "right-axis-deviation": gettext_noop("Right axis deviation"),
    "extreme-axis": gettext_noop("Extreme (northwest) axis"),
    "av-block-1": gettext_noop("1st-degree AV block"),
    "rbbb": gettext_noop("Right bundle branch block"),
    "incomplete-rbbb": gettext_noop("Incomplete right bundle branch block"),
    "lbbb": gettext_noop("Left bundle branch block"),
    "ivcd": gettext_noop("Wide QRS, neither right nor left bundle branch block shape"),
    "lvh": gettext_noop("Left ventricular hypertrophy by voltage"),
    "st-elevation": gettext_noop("ST elevation"),
    "st-depression": gettext_noop("ST depression"),
    "long-qtc": gettext_noop("Long QTc"),
    "low-voltage": gettext_noop("Low QRS voltage"),
}

# wavetag.signal.vocabulary.EVENT_NAMES, by label.
RHYTHMS = {
    "(N": gettext_noop("sinus rhythm"),
    "(AFIB": gettext_noop("atrial fibrillation"),
    "(AFL": gettext_noop("atrial flutter"),
    "(SVTA": gettext_noop("supraventricular tachyarrhythmia"),
    "(VT": gettext_noop("ventricular tachycardia"),
    "(B": gettext_noop("ventricular bigeminy"),
    "(T": gettext_noop("ventricular trigeminy"),
    "(SBR": gettext_noop("sinus bradycardia"),
    "(BII": gettext_noop("2° heart block"),
    "(NOD": gettext_noop("nodal (A-V junctional) rhythm"),
    "(IVR": gettext_noop("idioventricular rhythm"),
    "(VFL": gettext_noop("ventricular flutter"),
    "(PREX": gettext_noop("pre-excitation (WPW)"),
    "(P": gettext_noop("paced rhythm"),
    "(AB": gettext_noop("atrial bigeminy"),
    "(BI": gettext_noop("1° heart block"),
    "(PR": gettext_noop("pacemaker rhythm"),
    "noise": gettext_noop("noise"),
    "PAUSE": gettext_noop("pause"),
}

# The fixed words of the statements' evidence and of the ST groups, longest first when
# replaced, so that a phrase wins over a word inside it.
PHRASES = [
    gettext_noop("irregular rhythm without P waves"),
    gettext_noop("flutter waves"),
    gettext_noop("paced beats"),
    gettext_noop("no P wave measured"),
    gettext_noop("largest q in"),
    gettext_noop("largest QRS"),
    gettext_noop("QRS axis"),
    gettext_noop("limb leads"),
    gettext_noop("precordial leads"),
    gettext_noop("terminal"),
    gettext_noop("rate"),
    gettext_noop("limit"),
    gettext_noop("ST at"),
    gettext_noop("inferior"),
    gettext_noop("lateral"),
    gettext_noop("anterior"),
    gettext_noop("and"),
]
_PHRASE = re.compile(
    r"\b(" + "|".join(re.escape(p) for p in sorted(PHRASES, key=len, reverse=True)) + r")\b"
)


def phrases(text: str) -> str:
    """``text`` with each known phrase translated; numbers, units and leads unchanged."""
    return _PHRASE.sub(lambda m: gettext(m.group(1)), text)


def statement(item: dict[str, Any]) -> str:
    """A stored statement's text (``{"code", "text", ...}``); an ST statement carries its
    lead groups after the text ("ST elevation, inferior and lateral")."""
    code = item.get("code", "")
    text = str(item.get("text", ""))
    if code not in STATEMENTS:
        return text
    english = STATEMENTS[code]
    rest = text[len(english) :] if text.startswith(english) else ""
    return gettext(english) + phrases(rest)


def rhythm(label: str, name: str = "") -> str:
    """A rhythm label's name (``"(AFIB"``); an unknown label keeps the name it came with."""
    return gettext(RHYTHMS[label]) if label in RHYTHMS else (name or label)
