"""Ask for the automatic analysis of a record.

Pages, the API and ``wavetag analyze`` call :func:`request_analysis`; the worker carries
the run out through the job in :mod:`wavetag.analysis.jobs`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput
from wavetag.records.models import Record
from wavetag.signal.leads import AnalysisError, named_channel
from wavetag.signal.recording import ChannelInfo

from .jobs import analyse_record
from .models import AnalysisRun, RunStatus
from .shown import shown
from .workers import fail_dead_runs, queue_job


def channel_index(record: Record, channel: int | str | None) -> int | None:
    """The index of the channel ``channel`` names: an index as it is (a channel the
    record lacks fails the run, naming its channels), a name (``Direct_1``) looked up
    among the record's channels.

    Raises
    ------
    InvalidInput
        If no channel of the record has that name (the message names the ``channel``
        field and lists the channels).
    """
    if isinstance(channel, str):
        text = channel.strip()
        channel = int(text) if text.lstrip("-").isdigit() else text or None
    if channel is None:
        return None
    if isinstance(channel, int):
        if channel < 0:
            raise InvalidInput(f"channel: {channel} is no channel index (0 or more)")
        return channel
    text = channel
    infos = [
        ChannelInfo(c.index, c.name, c.units, c.fs, c.gain, c.baseline, c.n_samples)
        for c in record.channels.order_by("index")
    ]
    try:
        return named_channel(infos, text).index
    except AnalysisError as exc:
        # The signal core's words, in the reader's language.
        raise InvalidInput(shown(str(exc))) from None


def request_analysis(
    record: Record, user: Any, *, enqueue: bool = True, channel: int | str | None = None
) -> AnalysisRun:
    """Queue the automatic analysis of ``record``; refused while one is queued or running.

    The caller has checked that ``user`` may ask for it (:mod:`wavetag.analysis.access`).
    With ``enqueue=False`` the run is only created, for the caller to execute itself.
    ``channel`` (an index or a name) is the channel to detect beats in, analysed whatever
    its name; by default the ECG lead where the QRS is detected best. An unknown name is
    refused here (:func:`channel_index`); an index the record lacks fails the run with a
    message that lists its channels.
    """
    channel = channel_index(record, channel)
    # A run whose worker died no longer blocks: it is failed here, with its reason.
    fail_dead_runs(record.pk)
    requested_by = user if getattr(user, "pk", None) else None

    def refusal() -> str:
        active = AnalysisRun.objects.filter(record=record, status__in=RunStatus.active()).first()
        if active is None:
            return _("record %(record)s is already being analysed: wait for that run to finish") % {
                "record": record.name
            }
        return _(
            "record %(record)s is already being analysed (run %(run)s, %(status)s): "
            "wait for that run to finish"
        ) % {"record": record.name, "run": active.pk, "status": _(active.status)}

    run = queue_job(
        lambda: AnalysisRun.objects.create(
            record=record,
            requested_by=requested_by,
            channel=channel,
            message="waiting for a worker",
        ),
        analyse_record if enqueue else None,
        refusal,
    )
    return run
