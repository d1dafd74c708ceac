"""Synthetic physiological records: a seeded generator for demos and benchmarks.

Build a :class:`RecordSpec` (or take one from :func:`demo_records` /
:func:`holter_spec`), then either :func:`synthesize` it and iterate its
chunks, or stream it straight to WFDB files with :func:`write_wfdb`.
"""

from .catalog import demo_records, holter_spec, tutorial_records
from .record import SyntheticRecord, synthesize
from .spec import STANDARD_12, Alarm, Episode, RecordSpec
from .wfdb_writer import WrittenRecord, write_wfdb

__all__ = [
    "STANDARD_12",
    "Alarm",
    "Episode",
    "RecordSpec",
    "SyntheticRecord",
    "WrittenRecord",
    "demo_records",
    "holter_spec",
    "synthesize",
    "tutorial_records",
    "write_wfdb",
]
