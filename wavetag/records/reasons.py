"""Why a file could not be read, in the reader's language.

The readers of the signal core (``wavetag.signal.io``) never import Django: they word
their reasons in English (``RecordError``), and a page or the API shows them inside a
translated sentence ("无法读取 100.hea：..."). Every reason the readers give is looked
up here, when shown, as the analysis texts are (:mod:`wavetag.analysis.shown`); a reason
not in the table (a new one) is shown as the reader worded it.
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


# Why a file name is refused (``wavetag.signal.io.paths.plain_name_problem``, and the
# RECORDS file's own reasons).
PROBLEMS = {
    "is empty": gettext_noop("is empty"),
    "is not a file name": gettext_noop("is not a file name"),
    "contains a path separator": gettext_noop("contains a path separator"),
    "is an absolute path": gettext_noop("is an absolute path"),
    "contains control characters": gettext_noop("contains control characters"),
    "is hidden": gettext_noop("is hidden"),
    "an absolute path": gettext_noop("an absolute path"),
    "it leads out of the folder": gettext_noop("it leads out of the folder"),
}
# The files a WFDB header names (``wavetag.signal.io.paths.member_path``).
MEMBERS = {
    "signal file": gettext_noop("signal file"),
    "layout header": gettext_noop("layout header"),
    "segment header": gettext_noop("segment header"),
}
# The numbers a DICOM channel or an aECG lead gives.
QUANTITIES = {
    "sensitivity": gettext_noop("sensitivity"),
    "correction factor": gettext_noop("correction factor"),
    "baseline": gettext_noop("baseline"),
    "scale": gettext_noop("scale"),
    "origin": gettext_noop("origin"),
}


def _field(name: str) -> str:
    return gettext(FIELDS[name]) if name in FIELDS else name


def problem_shown(text: str) -> str:
    return gettext(PROBLEMS[text]) if text in PROBLEMS else text


def _member(text: str) -> str:
    return gettext(MEMBERS[text]) if text in MEMBERS else text


def _quantity(text: str) -> str:
    return gettext(QUANTITIES[text]) if text in QUANTITIES else text


def _one_of(names: dict[str, str]) -> str:
    return "(?:" + "|".join(re.escape(name) for name in names) + ")"


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
        # the importer
        gettext_noop("dataset %(name)s is the tutorial's; choose another name"),
        # folders and RECORDS files
        gettext_noop("is a folder, not a record; list its records with find_records"),
        gettext_noop("no WFDB, EDF, DICOM, SCP-ECG, ISHNE, aECG or CSV records in this folder"),
        gettext_noop(
            "is not a WFDB header (.hea), an EDF/BDF, DICOM (.dcm), SCP-ECG (.scp), ISHNE "
            "(.ecg), aECG (.xml) or CSV file, a record or a folder"
        ),
        gettext_noop("is a signal file; name its header %(header)s instead"),
        gettext_noop("cannot be listed (%(error)s)"),
        gettext_noop("cannot be read (%(error)s)"),
        gettext_noop("RECORDS file is larger than 16 MiB"),
        gettext_noop("RECORDS file is not UTF-8 text"),
        gettext_noop("%(entry)s is not a record path (%(problem)s)"),
        gettext_noop("%(entry)s lies outside the folder"),
        gettext_noop("record %(entry)s is listed but not found"),
        gettext_noop(
            "%(what)s name %(name)s %(problem)s; it must be a plain name in the record's folder"
        ),
        gettext_noop("%(what)s %(name)s lies outside the imported folder"),
        # WFDB headers and signal files
        gettext_noop("cannot read header (%(error)s)"),
        gettext_noop("line %(number)s holds non-text characters; this is not a WFDB header"),
        gettext_noop("record line has no number of signals"),
        gettext_noop("unexpected text %(text)s in record line"),
        gettext_noop("samples per frame must be at least 1"),
        gettext_noop("gain %(value)s is not a finite number"),
        gettext_noop("the header names record %(name)s but its file is %(file)s"),
        gettext_noop("the header gives no number of samples and %(files)s holds none"),
        gettext_noop(
            "the header gives no number of samples, and the compressed %(file)s cannot tell it"
        ),
        gettext_noop(
            "the header claims %(samples)s samples per signal, far more than %(file)s "
            "(%(size)s bytes) can hold"
        ),
        gettext_noop("records without a signal file ('~') are not supported"),
        gettext_noop("signal file %(file)s is a header, not a signal file"),
        gettext_noop("signals in %(file)s use different formats (%(formats)s)"),
        gettext_noop("format %(value)s is not decoded with numpy"),
        gettext_noop("signal file ended after %(size)s bytes"),
        gettext_noop("format 8 signal files can only be read in order"),
        gettext_noop("block length must be a positive number of seconds, not %(value)s"),
        # WFDB multi-segment records
        gettext_noop("number of segments %(value)s is not valid"),
        gettext_noop("header declares %(declared)s segment(s) but has %(found)s segment line(s)"),
        gettext_noop("segment line must be 'NAME LENGTH'"),
        gettext_noop("layout header %(name)s.hea not found"),
        gettext_noop(
            "the header declares %(declared)s signals, its layout %(layout)s lists %(found)s"
        ),
        gettext_noop("the header declares %(declared)s signals, the segments hold %(found)s"),
        gettext_noop("the header gives %(declared)s samples but its segments add up to %(total)s"),
        gettext_noop("a fixed-layout record cannot have gaps ('~')"),
        gettext_noop("segment %(segment)s not found (%(file)s)"),
        gettext_noop("segment %(segment)s is not a single-segment record"),
        gettext_noop("segment %(segment)s is at %(fs)s Hz, the record at %(master)s"),
        gettext_noop(
            "segment %(segment)s has %(count)s samples, the master header says %(expected)s"
        ),
        gettext_noop("segment %(segment)s holds signal %(signal)s, which the layout does not list"),
        gettext_noop("segment %(segment)s holds %(found)s, not the %(names)s of a fixed layout"),
        gettext_noop("segment %(segment)s: %(reason)s"),
        gettext_noop("no segment holds any samples"),
        gettext_noop("two signals share a name; segments cannot be matched to them"),
        gettext_noop(
            "signal %(signal)s changes gain, baseline or samples per frame in segment "
            "%(segment)s; such records are not supported"
        ),
        # WFDB annotation files
        gettext_noop("annotation file is larger than 256 MiB"),
        gettext_noop("annotation at negative sample %(sample)s"),
        gettext_noop(
            "annotation at sample %(sample)s (%(time)s s) lies beyond the end of the record "
            "(%(duration)s s)"
        ),
        gettext_noop("cannot be read as a WFDB annotation file (%(error)s)"),
        # EDF and BDF
        gettext_noop("file ended while its header was read"),
        gettext_noop("file ended early (was it changed while read?)"),
        gettext_noop(
            "%(kind)s (discontinuous) files are not supported; convert it to continuous "
            "pieces first"
        ),
        gettext_noop("header declares %(count)s signals"),
        gettext_noop(
            "header size is given as %(size)s bytes but %(signals)s signals need %(needed)s"
        ),
        gettext_noop("number of data records is -1 (unknown): the recording was not closed"),
        gettext_noop("file holds %(count)s data records"),
        gettext_noop("data records last %(seconds)s s; EDF signals need a positive duration"),
        gettext_noop("signal %(number)s (%(label)s) has %(count)s samples per data record"),
        gettext_noop("signal %(number)s (%(label)s) has equal physical minimum and maximum"),
        gettext_noop("signal %(number)s (%(label)s) has a digital minimum not below its maximum"),
        gettext_noop(
            "signal %(number)s (%(label)s) has digital limits beyond what %(bits)s-bit "
            "samples can hold"
        ),
        gettext_noop(
            "data record %(number)s starts at %(onset)s s instead of %(expected)s s: the file"
            " is discontinuous, which EDF+C does not allow"
        ),
        gettext_noop("holds no EDF+ annotations"),
        gettext_noop("an annotation starts %(seconds)s s before the recording"),
        gettext_noop(
            "an annotation at %(time)s s lies beyond the end of the recording (%(duration)s s)"
        ),
        gettext_noop("malformed annotation in data record %(number)s: %(reason)s"),
        gettext_noop("onset %(value)s is not a signed number of seconds"),
        gettext_noop("duration %(value)s is not a number of seconds"),
        # DICOM
        gettext_noop("is not a DICOM file (no DICM marker at byte 128)"),
        gettext_noop("is not a valid DICOM file (%(error)s)"),
        gettext_noop("DICOM file is truncated or malformed (%(error)s)"),
        gettext_noop("is truncated or malformed: no file meta information"),
        gettext_noop("is truncated: element %(tag)s ends at byte %(end)s, the file has %(size)s"),
        gettext_noop(
            "is truncated: multiplex group %(group)s needs %(needed)s bytes, the file has %(size)s"
        ),
        gettext_noop("transfer syntax %(syntax)s is not supported (little endian only)"),
        gettext_noop("is a DICOM file without a waveform (no WaveformSequence)"),
        gettext_noop("SOP class %(sop)s is not a 12-lead, general or ambulatory ECG"),
        gettext_noop("has no original waveform data (only derived groups)"),
        gettext_noop("waveform data of group %(group)s is truncated"),
        gettext_noop("multiplex group %(group)s has no channels or no samples"),
        gettext_noop("multiplex group %(group)s: sampling frequency must be positive"),
        gettext_noop("multiplex group %(group)s: sampling frequency is not a number (%(value)s)"),
        gettext_noop(
            "multiplex group %(group)s: sampling frequency is not a finite number (%(value)s)"
        ),
        gettext_noop(
            "multiplex group %(group)s: %(bits)s-bit samples of interpretation "
            "%(interpretation)s are not supported (8-bit SB/UB, 16-bit SS/US and 32-bit SL are)"
        ),
        gettext_noop(
            "multiplex group %(group)s declares %(declared)s channels but defines %(defined)s"
        ),
        gettext_noop("multiplex group %(group)s has no waveform data"),
        gettext_noop("multiplex group %(group)s: waveform data cannot be located in the file"),
        gettext_noop(
            "multiplex group %(group)s: waveform data holds %(length)s bytes, fewer than the "
            "%(needed)s that %(channels)s channels of %(samples)s samples need"
        ),
        gettext_noop("multiplex group %(group)s, channel %(channel)s: sensitivity is zero"),
        gettext_noop(
            "multiplex group %(group)s, channel %(channel)s: %(quantity)s is not a number "
            "(%(value)s)"
        ),
        gettext_noop(
            "multiplex group %(group)s, channel %(channel)s: %(quantity)s is not a finite "
            "number (%(value)s)"
        ),
        # SCP-ECG
        gettext_noop("is too short (%(size)s bytes) to be an SCP-ECG file"),
        gettext_noop("is not an SCP-ECG file (no section 0 with 'SCPECG' at byte 16)"),
        gettext_noop("is truncated"),
        gettext_noop("is truncated: the file declares %(declared)s bytes and has %(size)s"),
        gettext_noop("declares %(declared)s bytes but has %(size)s"),
        gettext_noop("fails the CRC check of the whole file (corrupted)"),
        gettext_noop("section %(number)s starts beyond the end of the file (truncated?)"),
        gettext_noop("section %(number)s is not where section 0 points (found %(found)s)"),
        gettext_noop("section %(number)s has an inconsistent length (%(declared)s bytes)"),
        gettext_noop(
            "section %(number)s runs past the end of the file (truncated: it needs %(needed)s"
            " bytes, the file has %(size)s)"
        ),
        gettext_noop("section %(number)s fails its CRC check (corrupted)"),
        gettext_noop("section 0 holds an invalid pointer (section %(number)s)"),
        gettext_noop("has no section 3 (lead definition)"),
        gettext_noop("has no section 6 (rhythm data)"),
        gettext_noop(
            "rhythm data coded with custom Huffman tables (section 2) is not supported yet"
        ),
        gettext_noop("section 3 is empty"),
        gettext_noop("reference-beat-subtracted rhythm data is not supported yet"),
        gettext_noop("section 3 is too short for its %(count)s lead(s)"),
        gettext_noop("leads that do not share one span of samples are not supported"),
        gettext_noop("section 6 is too short for its lead table"),
        gettext_noop("bimodally compressed rhythm data is not supported yet"),
        gettext_noop("section 6: difference encoding %(value)s is not valid"),
        gettext_noop("section 6: amplitude multiplier or sample interval is zero"),
        gettext_noop(
            "section 6: lead %(lead)s holds %(count)s bytes, not the %(needed)s of "
            "%(samples)s uncompressed samples"
        ),
        gettext_noop("section 6: Huffman data of lead %(lead)s ends before its samples"),
        gettext_noop("section 6 is shorter than its leads' data"),
        gettext_noop("rhythm data is truncated"),
        # ISHNE
        gettext_noop("is not an ISHNE Holter file (no ISHNE1.0 magic number)"),
        gettext_noop("ISHNE header is truncated"),
        gettext_noop("ISHNE variable header is truncated"),
        gettext_noop("variable header size %(size)s is impossible"),
        gettext_noop("variable header offset is %(offset)s, not %(expected)s"),
        gettext_noop("header checksum (CRC) is %(found)s but the header gives %(computed)s"),
        gettext_noop("number of leads is %(count)s, not 1 to %(maximum)s"),
        gettext_noop("sampling rate %(fs)s Hz is not a positive rate up to %(maximum)s Hz"),
        gettext_noop("ECG data offset %(offset)s lies inside the header"),
        gettext_noop("number of samples per lead is %(count)s"),
        gettext_noop("lead %(lead)s: resolution %(value)s nV is not positive"),
        gettext_noop(
            "file is truncated: %(samples)s samples x %(leads)s leads need %(needed)s bytes, "
            "the file has %(size)s"
        ),
        # HL7 aECG
        gettext_noop("XML file is larger than %(size)s MiB"),
        gettext_noop("XML with a document type declaration (DTD) is refused for safety"),
        gettext_noop("is not well-formed XML"),
        gettext_noop("is not well-formed XML (%(error)s)"),
        gettext_noop("is not an HL7 aECG file (root element %(tag)s)"),
        gettext_noop("has no rhythm waveforms (no series/component/sequenceSet)"),
        gettext_noop("has no TIME_ABSOLUTE or TIME_RELATIVE sequence"),
        gettext_noop("has no lead waveforms"),
        gettext_noop("leads have unequal numbers of samples (%(detail)s)"),
        gettext_noop("time increment is missing"),
        gettext_noop("time increment %(value)s is not a number"),
        gettext_noop("time increment %(value)s is not a finite number"),
        gettext_noop("time increment unit %(unit)s is not s, ms or us"),
        gettext_noop("time increment %(step)s %(unit)s is not a sampling interval"),
        gettext_noop("lead %(lead)s: no value"),
        gettext_noop("lead %(lead)s: no digits"),
        gettext_noop("lead %(lead)s: %(quantity)s is missing"),
        gettext_noop("lead %(lead)s: %(quantity)s %(value)s is not a number"),
        gettext_noop("lead %(lead)s: %(quantity)s %(value)s is not a finite number"),
        gettext_noop("lead %(lead)s: scale %(value)s is not positive"),
        gettext_noop("lead %(lead)s: unit %(unit)s is not a voltage (V, mV, uV, nV)"),
        gettext_noop("lead %(lead)s: digit %(digit)s is not an integer"),
        gettext_noop("lead %(lead)s: digits do not fit in 32 bits"),
        # CSV
        gettext_noop("is larger than 1 MiB"),
        gettext_noop("is not valid JSON (%(error)s)"),
        gettext_noop('must be a JSON object such as {"fs": 500}'),
        gettext_noop("unknown keys %(keys)s; only fs and units are read"),
        gettext_noop("fs %(value)s is not a number"),
        gettext_noop('units must be a string or {"column": "unit", ...}'),
        gettext_noop("has %(columns)s columns; at most %(maximum)s are read"),
        gettext_noop("is not valid CSV (%(error)s)"),
        gettext_noop("sampling rate %(fs)s Hz is not a positive rate up to %(maximum)s"),
        gettext_noop("has no numeric columns besides time"),
        gettext_noop("time column unit %(unit)s is not s or ms"),
        gettext_noop("no time column and no sampling rate: give --fs, or fs in NAME.csv.json"),
        gettext_noop("one row cannot give a sampling rate; give fs"),
        gettext_noop("time column gives %(derived)s Hz but the sampling rate given is %(fs)s Hz"),
        gettext_noop("time column gives a rate of %(fs)s Hz"),
        gettext_noop("column %(column)s (%(name)s): values too large"),
        gettext_noop("file changed while read (row count differs)"),
        gettext_noop("file changed while read (a cell is no number)"),
        gettext_noop("row %(row)s has %(cells)s cells where the first row has %(columns)s"),
        gettext_noop("row %(row)s, column %(column)s (%(name)s): %(value)s is no finite number"),
        gettext_noop("row %(row)s, column %(column)s (%(name)s): %(value)s is no number"),
        gettext_noop("row %(row)s, column %(column)s (%(name)s): %(value)s is no time"),
        gettext_noop(
            "row %(row)s: time %(value)s does not increase (column %(column)s); without a "
            "time column give the sampling rate (--fs, or fs in NAME.csv.json)"
        ),
        gettext_noop("row %(row)s: time %(value)s does not increase (column %(column)s)"),
        gettext_noop(
            "row %(row)s: irregular sampling, time steps by %(step)s s after steps of %(first)s s"
        ),
    ],
    {
        "field": "(?:" + "|".join(FIELDS) + "|'[^']*')",
        # a name the reader quotes (``repr``): it holds no ": " that could be a place
        "entry": r"""(?:'[^']*'|"[^"]*")""",
        "kind": r"[EB]DF\+D",
        "what": _one_of(MEMBERS),
        "quantity": _one_of(QUANTITIES),
    },
    {
        "field": _field,
        "problem": problem_shown,
        "what": _member,
        "quantity": _quantity,
        "reason": lambda text: reason_shown(text),
    },
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
