"""An analysis run's progress and error texts in the reader's language.

The worker writes them once, with no request and so no reader's language, and the signal
core that words the progress never imports Django: the row keeps the stable English text,
and it is looked up here, when a page or the API shows it. A text matching no pattern (a
new message, an exception's own words) is shown as stored."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from wavetag.records.reasons import reason_shown
from wavetag.stored_texts import Texts

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

# Each stored text, as its message: a placeholder matches what ``GROUPS`` says (any text
# otherwise), and the worker's step and a reader's reason are shown translated too.
MESSAGES = [
    gettext_noop("starting"),
    gettext_noop("waiting for a worker"),
    gettext_noop("the worker stopped"),
    gettext_noop("saving the annotation set"),
    gettext_noop("done: %(n)s beats"),
    gettext_noop("failed in the %(stage)s step"),
    gettext_noop("detecting beats: %(at)s of %(total)s"),
    gettext_noop("%(n)s beats found"),
    gettext_noop("grading signal quality: %(at)s"),
    gettext_noop("classifying beats: %(at)s"),
    gettext_noop("grouping beats by shape"),
    gettext_noop("%(n)s beats classified"),
    gettext_noop("%(n)s rhythm episodes"),
    gettext_noop("intervals measured"),
    gettext_noop("the server ran out of memory during the analysis"),
    gettext_noop(
        "the record's samples are missing from the waveform store "
        "(was the store moved, or the record deleted?)"
    ),
    gettext_noop("the record's samples could not be read (%(reason)s)"),
    gettext_noop("the annotation set could not be saved (%(reason)s); nothing of it was kept"),
    gettext_noop(
        "the %(stage)s step failed unexpectedly (%(kind)s); the details are in the server log"
    ),
    gettext_noop(
        "the worker stopped: %(worker)s was stopped during the analysis; ask for the analysis again"
    ),
    gettext_noop(
        "the worker stopped: %(worker)s was restarted during the analysis; "
        "ask for the analysis again"
    ),
    gettext_noop(
        "the worker stopped: %(worker)s gave no sign of life for more than %(seconds)s s "
        "during the analysis (killed, out of memory, or its machine went down); "
        "ask for the analysis again"
    ),
    gettext_noop("the record has no ECG channel to detect beats in (channels: %(names)s)"),
    # The channel asked for (``wavetag.signal.leads.named_channel``).
    gettext_noop("channel: the record has no channel %(index)s with samples (channels: %(names)s)"),
    gettext_noop(
        "channel: %(n)s channels are named %(name)s; give its index (channels: %(names)s)"
    ),
    gettext_noop("channel: the record has no channel named %(name)s (channels: %(names)s)"),
]
GROUPS = {
    "n": r"\d+",
    "index": r"-?\d+",
    "stage": r"\w+",
    "kind": r"\w+",
    "at": r"[\d:]+",
    "total": r"[\d:]+",
    "seconds": r"[\d.e+]+",
    "worker": ".*",
    "names": ".*",
    "reason": ".*",
}


def _stage(stage: str) -> str:
    return gettext(STAGES[stage]) if stage in STAGES else stage


TEXTS = Texts(MESSAGES, GROUPS, {"stage": _stage, "reason": reason_shown})


def shown(text: str) -> str:
    """``text`` (a stored progress or error text) in the active language."""
    return TEXTS(text)
