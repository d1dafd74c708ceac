"""Loaded with ``-p tests.env`` (pyproject addopts), before Django reads its settings.

Tests never touch a real WAVETAG_HOME: the SQLite file, secret key and store go to
a fresh folder per run.
"""

import os
import tempfile

os.environ["WAVETAG_HOME"] = tempfile.mkdtemp(prefix="wavetag-test-")
os.environ.pop("WAVETAG_STORE_DIR", None)
os.environ.pop("WAVETAG_STORE_URL", None)
os.environ.pop("WAVETAG_REDIS_URL", None)
os.environ.pop("WAVETAG_PHYSIONET_URL", None)

import atexit
import shutil

atexit.register(shutil.rmtree, os.environ["WAVETAG_HOME"], ignore_errors=True)
