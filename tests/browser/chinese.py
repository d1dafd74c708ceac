"""What a page still says in English when it is shown in Chinese.

Every text node of the page (hidden ones too: menus and dialogs open later) and the
attributes a reader meets (title, aria-label, placeholder, alt, a button's value) are
split into Latin words; words that Chinese clinical text writes in Latin letters too
(units, lead names, ECG abbreviations, file formats) are allowed. Data is not text to
translate: record, channel, user and project names are marked ``translate="no"`` (the
HTML attribute for it), as are ``<code>``, ``<kbd>`` and ``<samp>``, and are skipped.
"""

from __future__ import annotations

import re
from typing import Any

# Written in Latin letters in Chinese ECG reports and software as well (keys as the keyboard
# labels them: a shortcut in a tooltip cannot be marked as <kbd>).
ALLOWED = set(
    """
    ECG EKG QRS QT QTc QTcB QTcF PR RR ST P T U J Hz kHz mV uV µV mm ms s min h bpm mmHg
    KB kB MB GB TB
    I II III aVR aVL aVF V1 V2 V3 V4 V5 V6 MLI MLII MLIII ABP PLETH PPG RESP SpO2 ICU
    N V A F Q S L R E j e a x f
    API JSON CSV EDF BDF WFDB PhysioNet DICOM SCP ECG HL7 aECG ISHNE SNOMED CT PDF PNG SVG
    ZIP URL ID IANA UTC GMT wavetag Enter Esc Tab Shift Ctrl Alt Space PgUp PgDn Home End
    Bearer Authorization Token OK CSRF AF AFIB AFL SVTA IVR LBBB RBBB LVH AV
    Del b c g l p C Z
    Se P OpenAPI
    kappa Kappa alpha Cohen Fleiss Krippendorff Dawid Skene bxb PAC PVC VT MLII B C
    """.split()
)

_COLLECT = r"""
([skipSelector, within]) => {
  const root = within ? document.querySelector(within) : document.body;
  if (!root) throw new Error("no element matches " + within);
  const tags = new Set(
    ["SCRIPT", "STYLE", "NOSCRIPT", "CODE", "KBD", "SAMP", "PRE", "TEMPLATE", "svg"]);
  const out = [];
  function data(el) {
    for (let e = el; e; e = e.parentElement) {
      if (tags.has(e.tagName) || e.getAttribute("translate") === "no") return true;
      if (skipSelector && e.matches(skipSelector)) return true;
    }
    return false;
  }
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim() || data(n.parentElement)) continue;
    out.push([n.parentElement.tagName.toLowerCase(), n.textContent.trim()]);
  }
  const named = "[title],[aria-label],[placeholder],[alt],input[type=submit],input[type=button]";
  for (const el of root.querySelectorAll(named)) {
    if (data(el)) continue;
    for (const a of ["title", "aria-label", "placeholder", "alt"]) {
      const v = el.getAttribute(a);
      if (v && v.trim()) out.push([el.tagName.toLowerCase() + "@" + a, v.trim()]);
    }
    // A button's value is its text; a box's value ("on") is never shown.
    if (el.matches("input[type=submit],input[type=button]") && el.value)
      out.push(["input@value", el.value]);
  }
  if (!within) out.push(["title", document.title]);
  return out;
}
"""

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")


def english_left(page: Any, skip: str | None = None, within: str | None = None) -> list[str]:
    """``where: text`` for each piece of text holding a Latin word not in ALLOWED; ``skip``
    leaves out elements matching a CSS selector (and what they hold), ``within`` looks only
    inside the first element matching one."""
    left = []
    for where, text in page.evaluate(_COLLECT, [skip, within]):
        words = [
            w for w in WORD.findall(text) if w not in ALLOWED and w.strip("'’-") not in ALLOWED
        ]
        if words:
            left.append(f"{where}: {text[:120]!r} ({', '.join(words[:6])})")
    return left


def assert_chinese(
    page: Any, what: str, skip: str | None = None, within: str | None = None
) -> None:
    left = english_left(page, skip=skip, within=within)
    assert not left, f"{what} in Chinese still shows English:\n" + "\n".join(left[:40])
