"""Running `python build.py serve` as a subprocess, for the serve and live-reload tests."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Every wait is for something to be seen (a line printed, a page served); this only bounds a
# hang, so it is long enough for a machine busy with other work.
HANG = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    """`python build.py serve SITE --port N [...]`, with its stderr collected by a thread."""

    def __init__(self, site: Path, *extra: str, port: int | None = None):
        self.port = port or free_port()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", str(site), "--port", str(self.port), *extra],
                                     cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.append(raw.decode("utf-8", "replace"))

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_output(self, text: str, timeout: float = HANG) -> None:
        self.wait_for_output_count(text, 1, timeout)

    def wait_for_output_count(self, text: str, count: int, timeout: float = HANG) -> None:
        """Until `text` is in the output `count` times (a line each build prints, say)."""
        deadline = time.monotonic() + timeout
        while self.output.count(text) < count:
            assert self.proc.poll() is None or self.output.count(text) >= count, \
                f"serve exited ({self.proc.returncode}):\n{self.output}"
            assert time.monotonic() < deadline, f"{text!r} not {count} times after {timeout} s:\n{self.output}"
            time.sleep(0.05)

    def get(self, path: str, timeout: float = 30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)   # sent as written: no client-side normalising
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def raw(self, request_line: bytes, timeout: float = 30, host: bytes = b"127.0.0.1") -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(request_line + b"\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n")
            chunks = []
            while True:
                try:
                    chunk = s.recv(65536)
                except TimeoutError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)

    def wait_until(self, path: str, check, timeout: float = HANG):
        """GET `path` until check(status, body) holds; returns the last response."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"serve exited ({self.proc.returncode}):\n{self.output}"
            try:
                last = self.get(path)
                if check(last[0], last[2]):
                    return last
            except OSError:
                pass
            time.sleep(0.2)
        log = "".join(line for line in self.lines if "wsgi:" not in line)
        pytest.fail(f"GET {path}: still {last and (last[0], last[2][:300])} after {timeout} s\n{log[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self.reader.join(timeout=5)
