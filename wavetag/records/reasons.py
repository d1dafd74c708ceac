"""Why a file could not be read, in the reader's language.

The readers of the signal core (``wavetag.signal.io``) never import Django: they word
their reasons in English (``RecordError``), and a page or the API shows them inside a
translated sentence ("无法读取 100.hea：..."). The common reasons are looked up here,
when shown, as the analysis texts are (:mod:`wavetag.analysis.shown`); a reason not in
the table is shown as the reader worded it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext, gettext_noop

from wavetag.stored_texts import Texts

# The names of header fields the WFDB reader puts in its reasons.
FIELDS = {
    "number of signals": gettext_noop("number of signals"),
    "number of samples": gettext_noop("number of samples"),
    "ADC resolution": gettext_noop("ADC resolution"),
    "ADC zero": gettext_noop("ADC zero"),
    "initial value": gettext_noop("initial value"),
    "checksum": gettext_noop("checksum"),
    "block size": gettext_noop("block size"),
}


def _field(name: str) -> str:
    return gettext(FIELDS[name]) if name in FIELDS else name


REASONS = Texts(
    [
        gettext_noop("file not found"),
        gettext_noop("permission denied"),
        gettext_noop("could not be read (%(error)s)"),
        gettext_noop("lies outside the imported folder"),
        gettext_noop("no such file, folder or record"),
        gettext_noop("could not be stored: %(error)s"),
        # WFDB headers and signal files
        gettext_noop("header file is empty"),
        gettext_noop("header holds binary data; this is not a WFDB header"),
        gettext_noop("header is larger than 1 MiB; this is not a WFDB header"),
        gettext_noop("header has no record line (only comments)"),
        gettext_noop("record has no signals"),
        gettext_noop("header declares %(declared)s signal(s) but has %(found)s signal line(s)"),
        gettext_noop("%(field)s %(value)s is not a whole number"),
        gettext_noop("%(field)s %(value)s must be at least %(minimum)s"),
        gettext_noop("sampling frequency %(value)s is not a number"),
        gettext_noop("sampling frequency %(value)s Hz must be positive"),
        gettext_noop("gain %(value)s is not a number"),
        gettext_noop("format %(value)s is not a WFDB format"),
        gettext_noop("signal file format %(value)s is unknown or not supported"),
        gettext_noop("signal line has no format"),
        gettext_noop("multi-segment records are not supported; import the segments one by one"),
        gettext_noop("signal file %(file)s not found"),
        gettext_noop(
            "signal file %(file)s is too short: the header promises %(samples)s samples per "
            "signal (%(needed)s bytes) but the file has %(size)s bytes (truncated file, or "
            "wrong length in the header)"
        ),
        gettext_noop(
            "checksum mismatch for signal %(signals)s: %(file)s does not hold the samples "
            "the header describes"
        ),
        gettext_noop(
            "checksum mismatch for signals %(signals)s: %(file)s does not hold the samples "
            "the header describes"
        ),
        # WFDB annotation files
        gettext_noop("annotation file is empty"),
        gettext_noop("annotation file is truncated or not a WFDB annotation file (odd length)"),
        gettext_noop("annotation file is truncated or not a WFDB annotation file (no end marker)"),
        # EDF and BDF
        gettext_noop("not an EDF or BDF file (version field %(value)s)"),
        gettext_noop(
            "file is truncated: the header promises %(records)s data records (%(needed)s "
            "bytes) but the file has %(size)s bytes"
        ),
        gettext_noop("file is %(size)s bytes long, too short for an EDF header"),
        gettext_noop("file is truncated inside the signal headers (%(size)s bytes)"),
        gettext_noop("file holds annotations only, no signals"),
        gettext_noop("header field %(field)s is %(value)s, not a number"),
        gettext_noop("header field %(field)s is %(value)s, not a whole number"),
        # CSV
        gettext_noop("file is empty"),
        gettext_noop("is not UTF-8 text"),
        gettext_noop("has no data rows"),
    ],
    {"field": "(?:" + "|".join(FIELDS) + "|'[^']*')"},
    {"field": _field},
)
# A reason about one line of a header.
_LINE = re.compile(r"line (\d+)\Z")


def reason_shown(text: str) -> str:
    """A reader's reason (``text``, English) in the active language; as worded when it
    is not a common one."""
    return with_where(REASONS.find, text)


def with_where(find: Callable[[str], str | None], text: str) -> str:
    """``text`` as ``find`` shows it; when it finds nothing, a text naming where it
    applies first (``line 3: ...``, ``100.atr: ...``) keeps that part and the rest is
    looked up. As stored when nothing is found."""
    found = find(text or "")
    if found is not None:
        return found
    where, colon, rest = (text or "").partition(": ")
    if colon:
        inner = with_where(find, rest)
        if inner != rest:
            line = _LINE.match(where)
            if line is not None:
                return gettext("line %(line)s: %(reason)s") % {
                    "line": line.group(1),
                    "reason": inner,
                }
            return gettext("%(where)s: %(reason)s") % {"where": where, "reason": inner}
    return text
