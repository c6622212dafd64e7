"""Files a user asks for (reports, CSV, SARIF, exported models): each appears only when fully
written, with the permissions of an ordinary new file (0666 less the umask) or, when it
replaces one, that file's; a temporary file's 0600 would hide a report from a web server or
from the next step of a CI job running as another user."""

from __future__ import annotations

import functools
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO, TextIO, cast


@functools.cache
def process_umask() -> int:
    """The process's file mode creation mask (read once: it is set, then restored)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def output_mode(path: Path) -> int:
    """The permission bits for a file written at path: the replaced file's, else the
    default of a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~process_umask()


@contextmanager
def _atomic(path: Path, binary: bool) -> Iterator[IO[str] | IO[bytes]]:
    """A handle on a temporary file beside path that replaces path once written and synced;
    on any error the temporary file is removed and path is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        handle = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8",
                                                               newline="")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, output_mode(path))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_text_file(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text file that appears at path only when fully written."""
    with _atomic(Path(path), binary=False) as handle:
        yield cast(TextIO, handle)


@contextmanager
def atomic_binary_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file that appears at path only when fully written."""
    with _atomic(Path(path), binary=True) as handle:
        yield cast(BinaryIO, handle)
