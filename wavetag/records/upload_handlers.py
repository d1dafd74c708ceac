"""Uploaded files streamed to disk, with the whole upload counted against a limit.

Django's own temporary-file handler writes each file to disk as it arrives, but knows no
limit on their total. This one stops reading at ``settings.MAX_UPLOAD`` bytes: the files
written so far are closed (and so deleted) by Django's parser, and the view, finding
``too_large`` set, answers 413. A declared ``Content-Length`` over the limit is refused
before anything is read (see :func:`upload_too_large`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest


class _UploadFile(TemporaryUploadedFile):
    """A temporary file in WAVETAG_HOME/uploads rather than the system's temp folder: the
    system's is often a small memory-backed file system, too small for a Holter."""

    def __init__(self, name: str, content_type: str, size: int, charset: str | None, **kw: Any):
        settings.UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
        import tempfile

        from django.core.files.uploadedfile import UploadedFile

        file = tempfile.NamedTemporaryFile(suffix=".upload", dir=settings.UPLOAD_DIR)
        UploadedFile.__init__(self, file, name, content_type, size, charset, **kw)


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Every file to a temporary file on disk; the upload stops past ``MAX_UPLOAD`` bytes."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0
        self.too_large = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super(TemporaryFileUploadHandler, self).new_file(*args, **kwargs)
        self.file = _UploadFile(self.file_name, self.content_type, 0, self.charset, **(
            {"content_type_extra": self.content_type_extra} if self.content_type_extra else {}
        ))  # fmt: skip

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD:
            self.too_large = True
            # The parser closes (deletes) the files written so far and stops reading.
            raise StopUpload(connection_reset=True)
        self.file.write(raw_data)
        return None


def upload_too_large(request: HttpRequest) -> bool:
    """True when the request's upload is, or declares itself, over ``MAX_UPLOAD`` bytes;
    call before and after reading ``request.FILES``."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > settings.MAX_UPLOAD + 1024 * 1024:
        return True
    return any(getattr(h, "too_large", False) for h in getattr(request, "_upload_handlers", []))
