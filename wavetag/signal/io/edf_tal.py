"""EDF+ "Time-stamped Annotations Lists" (TALs).

Each data record of an EDF+ file carries, in its ``EDF Annotations`` signal, a
sequence of TALs::

    +ONSET[\\x15DURATION]\\x14TEXT\\x14TEXT...\\x14\\x00

The first TAL of a data record is a time-keeping one: its onset is the start of
the data record and its first text is empty. Bytes after the last TAL are
zero padding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ONSET_RE = re.compile(rb"[+-]\d+(?:\.\d*)?")
_DURATION_RE = re.compile(rb"\d+(?:\.\d*)?")


class TalError(ValueError):
    """A TAL does not follow the EDF+ syntax."""


@dataclass(frozen=True)
class Tal:
    """One TAL: an onset (seconds from the file's start time), a duration and texts."""

    onset: float
    duration: float | None
    texts: tuple[str, ...]


def parse_tals(data: bytes) -> list[Tal]:
    """Parse the annotation bytes of one data record.

    Parameters
    ----------
    data : bytes
        The ``EDF Annotations`` signal of one data record.

    Returns
    -------
    list of Tal
        In file order; empty texts (time keeping) are kept so that the caller
        can find the record's start.

    Raises
    ------
    TalError
        If an onset or duration is not a number as EDF+ writes them.
    """
    tals = []
    for chunk in data.split(b"\x00"):
        if not chunk:
            continue
        head, *texts = chunk.split(b"\x14")
        onset_text, separator, duration_text = head.partition(b"\x15")
        if not _ONSET_RE.fullmatch(onset_text):
            raise TalError(f"onset {_show(onset_text)} is not a signed number of seconds")
        duration: float | None = None
        if separator:
            if not _DURATION_RE.fullmatch(duration_text):
                raise TalError(f"duration {_show(duration_text)} is not a number of seconds")
            duration = float(duration_text)
        # A TAL ends with 0x14, which leaves an empty last piece.
        if texts and texts[-1] == b"":
            texts = texts[:-1]
        tals.append(
            Tal(
                onset=float(onset_text),
                duration=duration,
                texts=tuple(t.decode("utf-8", errors="replace").strip() for t in texts),
            )
        )
    return tals


def _show(raw: bytes) -> str:
    return repr(raw.decode("latin-1")[:40])
