"""Where this deployment keeps its waveforms: the store root every reader and writer uses.

The importer, the window endpoint, the analysis job and ``store-gc`` all call
:func:`store_root`, so that they never disagree about the store: a local (or NFS) folder,
``WAVETAG_STORE_DIR``, unless ``WAVETAG_STORE_URL`` names S3-compatible object storage.
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings

from wavetag.signal.store import Root

HINT = (
    " (settings: WAVETAG_STORE_URL={url}, WAVETAG_S3_ENDPOINT_URL={endpoint}; credentials "
    "from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
)


def store_root() -> Root:
    """The store of this deployment, as :mod:`wavetag.signal.store` takes it."""
    url = getattr(settings, "STORE_URL", None)
    if not url:
        return Path(settings.STORE_DIR)
    return _object_store(
        url, settings.S3_ENDPOINT_URL, str(settings.HOME), float(settings.STORE_CACHE_MB)
    )


@functools.lru_cache(maxsize=8)
def _object_store(url: str, endpoint: str | None, home: str, cache_mb: float) -> Root:
    # One client and one cache per process and configuration: a boto3 client keeps its
    # connection pool, and RecordStore caches record metadata per storage object.
    from wavetag.signal.s3storage import S3Storage

    return S3Storage.from_url(
        url,
        endpoint_url=endpoint,
        staging_dir=Path(home) / "store-staging",
        cache_dir=Path(home) / "store-cache",
        cache_bytes=int(cache_mb * 1e6),
        hint=HINT.format(url=url, endpoint=endpoint or "unset: AWS"),
    )
