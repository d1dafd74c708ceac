"""The production server against slow, idle and greedy clients, and with several processes.

Each test starts ``wavetag serve`` as a user would, on a free loopback port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from wavetag.processes import stop_process

from .test_cli import free_port, run_env, wait_for


def start(home: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "wavetag", "serve", "--port", str(port), "--no-worker", *args],
        env=run_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wait_for(f"http://127.0.0.1:{port}/healthz", 60)
    return server, port


@pytest.fixture
def stopped() -> Iterator[list[subprocess.Popen[bytes]]]:
    servers: list[subprocess.Popen[bytes]] = []
    yield servers
    for server in servers:
        stop_process(server, timeout=15)


def healthz_seconds(port: int) -> float:
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
        assert response.status == 200
    return time.monotonic() - t0


def half_requests(port: int, count: int) -> list[socket.socket]:
    """Connections that send the start of a request and then nothing (slow loris)."""
    out = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        out.append(s)
    return out


def children(pid: int, marker: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and marker in cmdline:
            out.append(int(entry.name))
    return out


class TestSlowAndIdleClients:
    def test_150_half_sent_requests_do_not_lock_others_out(
        self, tmp_path: Path, stopped: list[subprocess.Popen[bytes]]
    ) -> None:
        server, port = start(tmp_path)
        stopped.append(server)
        held = half_requests(port, 150)
        try:
            # waitress's default cap (100 connections) left this client waiting until
            # the half requests timed out, two minutes later.
            assert healthz_seconds(port) < 5
        finally:
            for s in held:
                s.close()

    def test_idle_connections_are_closed_after_the_channel_timeout(
        self, tmp_path: Path, stopped: list[subprocess.Popen[bytes]]
    ) -> None:
        server, port = start(tmp_path, "--channel-timeout", "2")
        stopped.append(server)
        (s,) = half_requests(port, 1)
        s.settimeout(15)
        t0 = time.monotonic()
        assert s.recv(1024) == b""  # closed by the server
        assert 1.5 < time.monotonic() - t0 < 12
        s.close()

    def test_bad_limits_are_refused_by_name(self, tmp_path: Path) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "wavetag", "serve", "--processes", "0"],
            env=run_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert "--processes" in result.stderr and "at least 1" in result.stderr
        assert "Traceback" not in result.stderr


class TestSeveralProcesses:
    def test_processes_share_the_port_and_a_dead_one_is_replaced(
        self, tmp_path: Path, stopped: list[subprocess.Popen[bytes]]
    ) -> None:
        server, port = start(tmp_path, "--processes", "2")
        stopped.append(server)
        deadline = time.monotonic() + 30
        while len(kids := children(server.pid, "--listen-fd")) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(kids) == 2
        for _ in range(20):
            assert healthz_seconds(port) < 5
        os.kill(kids[0], 9)
        # The other process answers meanwhile; the dead one is started again.
        assert healthz_seconds(port) < 5
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = children(server.pid, "--listen-fd")
            if len(now) == 2 and kids[0] not in now:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"server process not replaced: {now}")
        wait_for(f"http://127.0.0.1:{port}/healthz", 30)
        # Stopping the parent stops them all.
        server.terminate()
        server.wait(timeout=20)
        time.sleep(0.5)
        assert not any(Path(f"/proc/{pid}").exists() for pid in now if _alive(pid))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
