"""Fixtures shared by the whole suite.

Real records are read from ``../shared/data`` (beside the repository), or from
the folder named by ``WAVETAG_TEST_DATA``. They are never copied in here.

The record fixtures (``icu_alarms``, ``mitdb_100``, ... listed in
``tests/shared_records.py``) give a test those records imported, each with its own
``STORE_DIR``; tests in a transaction share one import of them (see that module).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .shared_records import RECORD_SETS, SharedRecords, is_transactional, wanted

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("WAVETAG_TEST_DATA") or REPO.parent / "shared" / "data")
SHARED = pytest.StashKey[SharedRecords]()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "mitdb" / "100.hea").is_file():
        pytest.fail(f"test records not found in {DATA_DIR} (set WAVETAG_TEST_DATA)")
    return DATA_DIR


@pytest.fixture(scope="session")
def shared_records(
    request: pytest.FixtureRequest,
    django_db_setup: None,
    django_db_blocker: Any,
    data_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SharedRecords]:
    shared = SharedRecords(django_db_blocker, data_dir, tmp_path_factory.mktemp("shared"))
    request.config.stash[SHARED] = shared
    yield shared
    shared.close()
    del request.config.stash[SHARED]


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: Any) -> Any:
    # pytest-django opens a test's transaction in ``_django_db_helper``: the shared records
    # the test needs must be in place (and those it does not need gone) before that.
    if fixturedef.argname == "_django_db_helper":
        shared = request.config.stash.get(SHARED, None)
        if shared is not None:
            imports = wanted(request.fixturenames)
            if imports and not is_transactional(request):
                shared.open_for(request.node.nodeid, imports)
            else:
                shared.close()
    return (yield)


def _record_fixture(name: str) -> Callable[..., list[Any]]:
    def records(
        request: pytest.FixtureRequest,
        shared_records: SharedRecords,
        settings: Any,
        tmp_path: Path,
    ) -> list[Any]:
        return shared_records.records(request.node.nodeid, name, settings, tmp_path / "store")

    imports = ", ".join(f"{i.path} into {i.dataset}" for i in RECORD_SETS[name])
    records.__doc__ = f"Records imported: {imports}."
    return pytest.fixture(records, name=name)


icu_alarms = _record_fixture("icu_alarms")
alarm_v102s = _record_fixture("alarm_v102s")
ecg_record = _record_fixture("ecg_record")
mitdb_100 = _record_fixture("mitdb_100")
mitdb_106 = _record_fixture("mitdb_106")
mitdb_records = _record_fixture("mitdb_records")
holter_100 = _record_fixture("holter_100")
holter_106 = _record_fixture("holter_106")
api_records = _record_fixture("api_records")


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashing() -> Iterator[None]:
    """Passwords hashed with a fast hasher in this process: the log-in tests try hundreds
    of passwords, each a million PBKDF2 rounds otherwise. The served processes that tests
    start keep the real hashers; hashes made with them still verify here."""
    from django.conf import settings
    from django.test import override_settings

    fast = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=fast):
        yield


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server (moto) on a free loopback port, for the whole session.

    Credentials are fake and the AWS configuration files are hidden, so that boto3 talks
    to this server only, whatever the machine's set-up.
    """
    pytest.importorskip("boto3", reason="the object-store tests need the s3 extra")
    pytest.importorskip("moto", reason="the object-store tests need the test extra")
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    env = {
        "AWS_ACCESS_KEY_ID": "wavetag-test",
        "AWS_SECRET_ACCESS_KEY": "wavetag-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def s3_bucket(s3_endpoint: str, request: pytest.FixtureRequest) -> str:
    """A new, empty bucket on the test server, named after the test."""
    import re
    import secrets

    import boto3

    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    bucket = f"{name}-{secrets.token_hex(4)}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return bucket
