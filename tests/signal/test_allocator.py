"""The allocator setting is harmless where it cannot apply and taken once where it can."""

from __future__ import annotations

import sys

from wavetag.signal.allocator import reuse_freed_memory


class TestReuseFreedMemory:
    def test_answers_whether_it_applied_and_is_asked_once(self) -> None:
        first = reuse_freed_memory()
        assert isinstance(first, bool)
        assert reuse_freed_memory() is first
        assert reuse_freed_memory.cache_info().misses == 1

    def test_takes_on_linux_with_glibc(self) -> None:
        import platform

        if sys.platform == "linux" and platform.libc_ver()[0] == "glibc":
            assert reuse_freed_memory()
