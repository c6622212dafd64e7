"""Headless Chromium for tests: load a local page, get its DOM and its console messages."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "/usr/bin/chromium")
HOW_TO_INSTALL = "install Debian's chromium: apt-get install -y chromium"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
)
# Chromium 156 logs every console message as
# [pid:tid:time:INFO:CONSOLE:<line>] "<message>", source: <url> (<line>)
CONSOLE_LINE = re.compile(r":CONSOLE[:(]\d*\)?\] (.*)$")


@dataclass(frozen=True)
class PageLoad:
    """What Chromium made of a page: the serialized DOM and the console's messages."""

    dom: str
    console: tuple[str, ...]
    stderr: str


def chromium() -> str | None:
    """The Chromium executable on this machine, or None."""
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def console_messages(stderr: str) -> tuple[str, ...]:
    """The console messages (of any level: logging does not tell) in Chromium's stderr."""
    return tuple(m.group(1) for line in stderr.splitlines()
                 if (m := CONSOLE_LINE.search(line)))


def load_page(page: Path, timeout: float = 60.0) -> PageLoad:
    """Load the local file in a fresh headless Chromium and dump its DOM after load."""
    executable = chromium()
    if executable is None:
        raise FileNotFoundError(f"no chromium found; {HOW_TO_INSTALL}")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        done = subprocess.run(
            [executable, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
             page.resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return PageLoad(done.stdout, console_messages(done.stderr), done.stderr)
