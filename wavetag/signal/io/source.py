"""What every reader's recording has in common: the fields of
:class:`~wavetag.signal.recording.RecordingSource` and a guarded block iterator.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time

import numpy as np
import numpy.typing as npt

from wavetag.signal.recording import AnnotationSetData, ChannelInfo, RecordError

# Upper bound on the samples of one block, whatever ``seconds`` and the sampling
# rate say, so that a header with an absurd rate cannot make a block the whole file.
MAX_BLOCK_SAMPLES = 1 << 24

IntArray = npt.NDArray[np.integer]
Block = list[IntArray]


def describe(exc: BaseException) -> str:
    """One line naming an unexpected exception, for a user-facing message."""
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


@dataclass
class Recording:
    """Base of the readers' recordings; subclasses implement :meth:`_blocks`.

    ``duration`` is the span covered by the samples, in seconds.
    """

    path: str
    name: str
    format: str
    channels: list[ChannelInfo]
    span: float
    comments: list[str] = field(default_factory=list)
    start_time: time | None = None
    start_date: datetime | None = None
    patient_info: dict[str, str] = field(default_factory=dict)
    annotation_sets: list[AnnotationSetData] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.span

    def iter_blocks(self, seconds: float = 60.0) -> Iterator[Block]:
        """Yield successive blocks of digital samples, one array per channel.

        Parameters
        ----------
        seconds : float
            Span of one block, in seconds (rounded to whole frames or data
            records, at least one).

        Yields
        ------
        list of ndarray
            One array per channel, in the channel's ``dtype``; every channel's
            array covers the same span of time.

        Raises
        ------
        RecordError
            If the files cannot be read, or (WFDB) a checksum does not match
            once the last block has been read.
        ValueError
            If ``seconds`` is not a positive number.
        """
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"block length must be a positive number of seconds, not {seconds}")
        try:
            yield from self._blocks(seconds)
        except RecordError:
            raise
        except Exception as exc:
            raise RecordError(self.path, f"could not be read ({describe(exc)})") from exc

    def _blocks(self, seconds: float) -> Iterator[Block]:
        raise NotImplementedError

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
