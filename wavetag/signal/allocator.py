"""How the C allocator hands out the analysis's large temporary arrays.

The analysis reads a Holter a chunk at a time and, for each chunk, allocates and frees
a few arrays of 2 to 12 MB (filter outputs, envelopes, sorted rows): about a thousand
times over a 72-h record. glibc serves blocks that large with fresh ``mmap`` pages, or
trims its heap once they are freed, so each new array is faulted in from the kernel
page by page and zeroed: on the 2-core VM of ``bench/RESULTS.md`` that was about one
CPU second in eight of the whole analysis, nearly all of it system time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

# Blocks up to this size come from the heap (glibc's own upper limit on 64-bit systems),
MMAP_THRESHOLD = 32 * 1024 * 1024
# and up to this much freed memory stays in it for the next chunk: a bound on what a
# worker keeps between jobs.
TRIM_THRESHOLD = 128 * 1024 * 1024


@lru_cache(maxsize=1)
def reuse_freed_memory() -> bool:
    """Ask glibc to serve blocks up to :data:`MMAP_THRESHOLD` from its heap and to keep up
    to :data:`TRIM_THRESHOLD` of freed memory there for reuse (process-wide, once).

    Returns whether the allocator took the settings (False without glibc, e.g. on macOS
    or musl: nothing changes there). Results never depend on it, only the time: on the
    12-h 6-lead Holter of the benchmark, minor page faults fell from 376,000 to 31,000
    and CPU time by 13 %, peak memory rising by 10 MiB.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
