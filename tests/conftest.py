"""Fixtures shared by the whole suite.

Real records are read from ``../shared/data`` (beside the repository), or from
the folder named by ``WAVETAG_TEST_DATA``. They are never copied in here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("WAVETAG_TEST_DATA") or REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "mitdb" / "100.hea").is_file():
        pytest.fail(f"test records not found in {DATA_DIR} (set WAVETAG_TEST_DATA)")
    return DATA_DIR
