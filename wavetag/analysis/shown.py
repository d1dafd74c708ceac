"""An analysis run's progress and error texts in the reader's language.

The worker writes them once, with no request and so no reader's language, and the signal
core that words the progress never imports Django: the row keeps the stable English text,
and it is looked up here, when a page or the API shows it. A text matching no pattern (a
new message, an exception's own words) is shown as stored."""

from __future__ import annotations

import re

from django.utils.translation import gettext, gettext_noop

# The steps of an analysis, as the worker names them in "failed in the ... step".
# English keeps the worker's word; a translation says what the step does.
STAGES = {
    "setup": gettext_noop("setup"),
    "qrs": gettext_noop("qrs"),
    "quality": gettext_noop("quality"),
    "beats": gettext_noop("beats"),
    "rhythm": gettext_noop("rhythm"),
    "intervals": gettext_noop("intervals"),
    "saving": gettext_noop("saving"),
}

# (stored text as a pattern, its message): each named group is the message's placeholder.
PATTERNS = [
    (r"starting", gettext_noop("starting")),
    (r"waiting for a worker", gettext_noop("waiting for a worker")),
    (r"the worker stopped", gettext_noop("the worker stopped")),
    (r"saving the annotation set", gettext_noop("saving the annotation set")),
    (r"done: (?P<n>\d+) beats", gettext_noop("done: %(n)s beats")),
    (r"failed in the (?P<stage>\w+) step", gettext_noop("failed in the %(stage)s step")),
    (
        r"detecting beats: (?P<at>[\d:]+) of (?P<total>[\d:]+)",
        gettext_noop("detecting beats: %(at)s of %(total)s"),
    ),
    (r"(?P<n>\d+) beats found", gettext_noop("%(n)s beats found")),
    (r"grading signal quality: (?P<at>[\d:]+)", gettext_noop("grading signal quality: %(at)s")),
    (r"classifying beats: (?P<at>[\d:]+)", gettext_noop("classifying beats: %(at)s")),
    (r"grouping beats by shape", gettext_noop("grouping beats by shape")),
    (r"(?P<n>\d+) beats classified", gettext_noop("%(n)s beats classified")),
    (r"(?P<n>\d+) rhythm episodes", gettext_noop("%(n)s rhythm episodes")),
    (r"intervals measured", gettext_noop("intervals measured")),
    (
        r"the server ran out of memory during the analysis",
        gettext_noop("the server ran out of memory during the analysis"),
    ),
    (
        r"the record's samples are missing from the waveform store "
        r"\(was the store moved, or the record deleted\?\)",
        gettext_noop(
            "the record's samples are missing from the waveform store "
            "(was the store moved, or the record deleted?)"
        ),
    ),
    (
        r"the record's samples could not be read \((?P<reason>.*)\)",
        gettext_noop("the record's samples could not be read (%(reason)s)"),
    ),
    (
        r"the annotation set could not be saved \((?P<reason>.*)\); nothing of it was kept",
        gettext_noop("the annotation set could not be saved (%(reason)s); nothing of it was kept"),
    ),
    (
        r"the (?P<stage>\w+) step failed unexpectedly \((?P<kind>\w+)\); "
        r"the details are in the server log",
        gettext_noop(
            "the %(stage)s step failed unexpectedly (%(kind)s); the details are in the server log"
        ),
    ),
    (
        r"the worker stopped: (?P<worker>.*) was stopped during the analysis; "
        r"ask for the analysis again",
        gettext_noop(
            "the worker stopped: %(worker)s was stopped during the analysis; "
            "ask for the analysis again"
        ),
    ),
    (
        r"the worker stopped: (?P<worker>.*) was restarted during the analysis; "
        r"ask for the analysis again",
        gettext_noop(
            "the worker stopped: %(worker)s was restarted during the analysis; "
            "ask for the analysis again"
        ),
    ),
    (
        r"the worker stopped: (?P<worker>.*) gave no sign of life for more than "
        r"(?P<seconds>[\d.e+]+) s during the analysis \(killed, out of memory, or its machine "
        r"went down\); ask for the analysis again",
        gettext_noop(
            "the worker stopped: %(worker)s gave no sign of life for more than %(seconds)s s "
            "during the analysis (killed, out of memory, or its machine went down); "
            "ask for the analysis again"
        ),
    ),
    (
        r"the record has no ECG channel to detect beats in \(channels: (?P<names>.*)\)",
        gettext_noop("the record has no ECG channel to detect beats in (channels: %(names)s)"),
    ),
]
_COMPILED = [(re.compile(pattern + r"\Z", re.S), message) for pattern, message in PATTERNS]


def shown(text: str) -> str:
    """``text`` (a stored progress or error text) in the active language."""
    for pattern, message in _COMPILED:
        match = pattern.match(text or "")
        if match is None:
            continue
        values = match.groupdict()
        if values.get("stage") in STAGES:
            values["stage"] = gettext(STAGES[values["stage"]])
        return gettext(message) % values if values else gettext(message)
    return text
