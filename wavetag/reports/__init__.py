"""Reports of a record for people who read ECGs rather than annotate them (PDF).

No models: a report is made on request from the record, its annotation sets and its
latest analysis (see :mod:`wavetag.reports.record`).
"""
