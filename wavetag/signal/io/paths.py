"""Path rules shared by the readers: which file names a record may refer to.

A header is untrusted input. A signal file name such as ``../../etc/passwd`` or
``/dev/zero`` must never be opened, so every name read from a file goes through
:func:`member_path` before anything touches the disk.

Containment is checked on the *written* path (``os.path.abspath``), not on the
path with symbolic links resolved: a folder of records may legitimately be a
farm of links into shared storage, and only someone with shell access can
create a link, whereas anyone who can upload a header controls its text.
"""

from __future__ import annotations

import os

from wavetag.signal.recording import RecordError

# Extensions that never hold WFDB annotations even when they sit beside a record
# under the record's name (``100.csv``, ``100.png``, ``r01.edf.txt``).
NOT_ANNOTATION_EXTENSIONS = frozenset(
    """
    hea dat mat xyz edf bdf rec ecg csv tsv txt json md rst html htm xml pdf png jpg jpeg gif
    svg bmp tif tiff ps eps doc docx xls xlsx odt ods rtf zip gz tgz bz2 xz zst 7z tar
    rar npy npz h5 hdf5 hdf nc parquet pkl pickle py ipynb r m sh bat log ini cfg
    toml yaml yml sha256 sha1 md5 sum bak tmp swp orig wav flac mp3 mp4 avi mov mkv
    sqlite db
    """.split()
)


def normalized(path: str) -> str:
    """Absolute, normalized form of ``path`` (links are not resolved)."""
    return os.path.normpath(os.path.abspath(path))


def is_inside(path: str, folder: str) -> bool:
    """True when ``path`` is ``folder`` itself or lies below it (lexically)."""
    path = normalized(path)
    folder = normalized(folder)
    if path == folder:
        return True
    prefix = folder if folder.endswith(os.sep) else folder + os.sep
    return path.startswith(prefix)


def plain_name_problem(name: str) -> str | None:
    """Say why ``name`` is not a bare file name, or return None when it is.

    Parameters
    ----------
    name : str
        A file name as written inside a header.

    Returns
    -------
    str or None
        A short reason (e.g. ``"contains a path separator"``), or None.
    """
    if not name:
        return "is empty"
    if name in (".", ".."):
        return "is not a file name"
    if "/" in name or "\\" in name:
        return "contains a path separator"
    if os.path.isabs(name) or (len(name) > 1 and name[1] == ":"):
        return "is an absolute path"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "contains control characters"
    return None


def member_path(header_path: str, name: str, root: str, what: str) -> str:
    """Join a file name read from a header to the header's folder, safely.

    Parameters
    ----------
    header_path : str
        The header (or EDF file) that names the file.
    name : str
        The file name as written in it.
    root : str
        The folder being imported; the file must stay inside it.
    what : str
        What the file is, for the message (``"signal file"``).

    Returns
    -------
    str
        The normalized path of the file.

    Raises
    ------
    RecordError
        If the name is not a bare file name or leaves the record's folder or
        ``root``.
    """
    problem = plain_name_problem(name)
    if problem is not None:
        raise RecordError(
            header_path,
            f"{what} name {name!r} {problem}; it must be a plain name in the record's folder",
        )
    folder = os.path.dirname(normalized(header_path))
    path = os.path.join(folder, name)
    if not is_inside(path, root) or not is_inside(path, folder):
        raise RecordError(header_path, f"{what} {name!r} lies outside the imported folder")
    return path


def file_size(path: str) -> int | None:
    """Size in bytes of a regular file, or None when it is missing or not a file."""
    try:
        if not os.path.isfile(path):
            return None
        return os.path.getsize(path)
    except OSError:
        return None
