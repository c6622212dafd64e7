"""The App's processes for end-to-end tests and benchmarks: a throwaway redis-server that can be
stopped and started again, `diffrisk serve` and `diffrisk worker` as real subprocesses, and
deliveries signed like GitHub's."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests

from app.app_commands import signed_headers

DIFFRISK = [str(Path(sys.executable).parent / "diffrisk")]


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], Any], timeout: float, what: str,
               interval: float = 0.1) -> Any:
    """Poll until condition() is truthy; its value (AssertionError naming `what` on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class RedisServer:
    """A redis-server of our own on a free port, with an append-only file, so it can stop."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its redis:// URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start it (again) on the same port and data directory."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run scripts/test, which installs it")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.directory), "--appendonly", "yes", "--save", "", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _listening(self.port), 10, "redis-server to listen")
        return self

    def stop(self) -> None:
        """Stop it (its data stays in the append-only file)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process = None


class AppProcess:
    """`diffrisk serve` or `diffrisk worker` running in a subprocess, its output in a file."""

    def __init__(self, arguments: list[str], environ: Mapping[str, str], log: Path) -> None:
        self.log = log
        self._handle = log.open("wb")
        self.process = subprocess.Popen([*DIFFRISK, *arguments], env=dict(environ),
                                        stdout=self._handle, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def output(self) -> str:
        """Everything it printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        """Whether it still runs."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop it and its children (gunicorn's workers, rq's work horses)."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._handle.close()


def post_delivery(url: str, event: str, payload: Mapping[str, Any], secret: str,
                  delivery: str | None = None) -> requests.Response:
    """POST one delivery signed with the secret, as GitHub does."""
    body = json.dumps(payload).encode("utf-8")
    headers = signed_headers(event, body, secret, delivery or str(uuid.uuid4()))
    return requests.post(url, data=body, headers=headers, timeout=30)
