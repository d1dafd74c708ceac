"""Child processes the server and the commands start."""

from __future__ import annotations

import subprocess


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10) -> int:
    """Ask ``process`` to end (SIGTERM) and wait; kill it if it has not ended in ``timeout``
    seconds, so that no caller is ever left waiting on a child that ignores the request.
    Returns its exit status."""
    process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
