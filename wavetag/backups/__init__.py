"""Backups of a whole site (database, waveform store, secret key) and their restoring.

No models: a backup is a folder, described by its ``manifest.json`` (see
:mod:`wavetag.backups.manifest`).
"""
