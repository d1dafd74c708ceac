"""What the viewer needs to start on a record, for one user, in one piece: the record and
its channels, the annotation sets this user may see, their own viewer settings, and where
to open. Pages put it in the page, so that the viewer's first paint waits on no request.
"""

from __future__ import annotations

from typing import Any

from wavetag.accounts.models import ViewerSettings
from wavetag.records.models import Record
from wavetag.signal import vocabulary
from wavetag.signal.channels import channel_kind

from .access import visible_annotation_sets


def viewer_config(
    record: Record,
    user: Any,
    event: float | None = None,
    window: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Everything the viewer needs to start, so that its first paint waits on one request.

    ``window`` (start, end in seconds) is where the viewer opens, e.g. a task's window;
    without it, an ``event`` opens with the user's own seconds before and after it. A
    window that ends at or just after its event (an alarm's, which stops at the alarm)
    opens with the user's seconds after the event too, where the record has them: a line on the
    window's right border is easily missed, and what follows an alarm tells about it."""
    viewer_settings = ViewerSettings.for_user(user)
    after = viewer_settings["event_after"]
    if window and event is not None and window[0] <= event <= window[1]:
        if isinstance(after, int | float):
            window = (window[0], max(window[1], min(record.duration, event + after)))
    return {
        "record": {
            "id": record.pk,
            "name": record.name,
            "dataset": record.dataset.name,
            "duration": record.duration,
            "channels": [
                {
                    "index": c.index,
                    "name": c.name,
                    "units": c.units,
                    "fs": c.fs,
                    "kind": channel_kind(c.name, c.units),
                }
                for c in record.channels.all()
            ],
            "annotation_sets": [
                {
                    "id": s.pk,
                    "name": s.name,
                    "origin": s.origin,
                    "count": s.count,
                    "mine": s.created_by_id == user.pk,
                }
                for s in visible_annotation_sets(user, record)
            ],
        },
        "event": event,
        "window": {"start": window[0], "end": window[1]} if window else None,
        "settings": viewer_settings,
        "api": "/api/v1",
        # Beat codes, rhythm labels and colours come from the one vocabulary, so that the
        # browser cannot drift from the importer, the analysis and the exports.
        "vocabulary": vocabulary.for_viewer(),
    }


def show_only(config: dict[str, Any], keep: set[int], *extra: dict[str, Any]) -> None:
    """Keep only the sets ``keep`` in the viewer, adding ``extra`` ones it did not list
    (a set made after the list was read)."""
    record = config["record"]
    shown = [s for s in record["annotation_sets"] if s["id"] in keep]
    listed = {s["id"] for s in shown}
    shown.extend(s for s in extra if s["id"] not in listed)
    record["annotation_sets"] = shown
