"""What every diffrisk command shares: one-line errors with exit 2 and a progress bar."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from analyzers.errors import AnalyzerError
from app.bug_reports import BugReportsError
from app.settings import SettingsError
from app.storage.database import StoreError

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
F = TypeVar("F", bound=Callable[..., Any])
EXPECTED_ERRORS = (AnalyzerError, SettingsError, StoreError, BugReportsError, ValueError)


def fail(message: str, code: int = EXIT_ERROR) -> None:
    """Print a one-line error on stderr and exit with code."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def reports_errors(command: F) -> F:
    """Turn the errors a user can fix into one line and exit 2 (no traceback)."""
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except EXPECTED_ERRORS as exc:
            fail(str(exc))
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            fail(f"cannot use{where}: {exc.strerror or exc}; check the path and its permissions")
        except KeyboardInterrupt:
            fail("interrupted: nothing was stored by this run; run it again", EXIT_INTERRUPTED)
        return None
    return wrapper  # type: ignore[return-value]


def progress_bar() -> Progress:
    """A progress bar on stderr, shown only on a terminal."""
    console = Console(stderr=True)
    return Progress("[progress.description]{task.description}", BarColumn(),
                    MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                    transient=True, disable=not console.is_terminal)
