"""Reader for SCP-ECG files (EN 1064 / ISO 11073-91064)."""

from __future__ import annotations

from wavetag.signal.io.source import Recording
from wavetag.signal.recording import RecordError


def open_scp(path: str, root: str, *, keep_patient_info: bool = False) -> Recording:
    raise RecordError(path, "SCP-ECG is not supported yet")
