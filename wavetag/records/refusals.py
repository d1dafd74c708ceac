"""An import job's refusals and errors in the reader's language.

Uploads imported within their request are refused in the uploader's language as they
happen. A job the worker runs (a large upload, a PhysioNet import) has no request and so
no reader: it writes its texts in English (the worker works in English), the job's row
keeps them, and they are looked up here when a page or the API shows the job, as the
analysis texts are (:mod:`wavetag.analysis.shown`). Each message is the msgid of the
sentence its writer words with ``gettext`` (uploads, archives, PhysioNet downloads); a
text matching none is shown as stored.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from wavetag.stored_texts import Texts

from .reasons import REASONS, problem_shown, with_where

# The job's own errors (``wavetag.analysis.import_jobs``).
STOPPED = gettext_noop("the import stopped: %(reason)s")
NOTHING_IMPORTED = gettext_noop("nothing could be imported (see refused)")
WORKER_DIED = gettext_noop(
    "the worker gave no sign of life for more than %(seconds)s s (killed, out of memory, "
    "or its machine went down): records not listed as imported were not: upload them (or "
    "start the PhysioNet import) again"
)


def refusal_shown(text: str) -> str:
    """A stored refusal or job error (English) in the active language."""
    return with_where(_find, text)


def _find(text: str) -> str | None:
    return REFUSALS.find(text) or REASONS.find(text)


REFUSALS = Texts(
    [
        STOPPED,
        NOTHING_IMPORTED,
        WORKER_DIED,
        # uploads (wavetag.records.uploads)
        gettext_noop("the file name %(problem)s"),
        gettext_noop("sent twice in one upload"),
        gettext_noop("holds no record"),
        gettext_noop("already in dataset %(dataset)s"),
        gettext_noop("%(file)s cannot be read: %(reason)s"),
        gettext_noop("goes with no record uploaded (send its .hea or .edf too)"),
        # archives (wavetag.records.archives)
        gettext_noop("%(file)s: not a plain path inside the archive"),
        gettext_noop("%(file)s: an absolute path"),
        gettext_noop("%(file)s: climbs out of the archive's folder (..)"),
        gettext_noop("%(file)s: more than %(n)s members"),
        gettext_noop("%(file)s: unpacks to more than the %(n)s bytes allowed"),
        gettext_noop("%(file)s: a link or special file, not a plain file"),
        gettext_noop("%(file)s: appears twice in the archive"),
        gettext_noop("not a readable zip or tar archive (%(reason)s)"),
        gettext_noop("cannot be unpacked (%(reason)s)"),
        gettext_noop("declares %(total)s members, more than %(n)s"),
        # PhysioNet downloads (wavetag.records.physionet.DownloadError)
        gettext_noop("download failed: %(reason)s"),
        gettext_noop("the server listed an unsafe record name %(name)s"),
        gettext_noop("the server listed an unsafe annotator name %(name)s"),
        gettext_noop("the server listed an unsafe signal file name %(name)s"),
        gettext_noop("%(file)s: not a WFDB header (%(reason)s)"),
        gettext_noop("%(file)s: not on the mirror"),
        gettext_noop("%(file)s: download failed: %(reason)s"),
    ],
    {"seconds": r"[\d.e+]+", "n": r"\d+", "total": r"\d+"},
    {"problem": problem_shown, "reason": refusal_shown},
)
