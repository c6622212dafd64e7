"""Read a file of bug reports (issue id, opening date) that sharpens fix detection and SZZ."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

MAX_REPORTS = 1_000_000


class BugReportsError(ValueError):
    """The bug-reports file cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class BugReport:
    """An issue known to report a bug, and when it was opened (unix seconds)."""

    issue: str
    opened_at: int


def _timestamp(value: str, where: str) -> int:
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise BugReportsError(f"{where}: opened_at {value!r} is neither unix seconds nor an "
                              "ISO 8601 date") from None


def read_bug_reports(path: Path) -> dict[str, BugReport]:
    """Bug reports by issue id from a CSV with columns id, opened_at[, is_bug]."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise BugReportsError(f"cannot read bug reports {path} ({exc.strerror}): pass an "
                              "existing CSV file") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = {"id", "opened_at"} - set(reader.fieldnames or ())
        if missing:
            raise BugReportsError(f"{path} lacks the column(s) {', '.join(sorted(missing))}: "
                                  "the header must be id,opened_at[,is_bug]")
        reports: dict[str, BugReport] = {}
        for number, row in enumerate(reader, start=2):
            if number > MAX_REPORTS:
                raise BugReportsError(f"{path} has more than {MAX_REPORTS} rows: split it")
            if (row.get("is_bug") or "1").strip().lower() in ("0", "false", "no"):
                continue
            issue = (row["id"] or "").strip().lstrip("#")
            if not issue:
                raise BugReportsError(f"{path}:{number}: empty id")
            opened = _timestamp(row["opened_at"] or "", f"{path}:{number}")
            reports[issue] = BugReport(issue, opened)
        return reports
