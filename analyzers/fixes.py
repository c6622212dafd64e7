"""Recognise bug-fix commits from their messages: keywords and issue references."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Word boundaries matter: a bare `fix|bug` also matches "debug", "prefix" and "bugle".
DEFAULT_FIX_PATTERN = (
    r"\b(fix(e[sd]|ing)?|bug(s|fix(es)?)?|hotfix(es)?|defects?|regressions?|faults?"
    r"|crash(es|ed)?|repair(s|ed)?|patch(es|ed)? (a |the )?(bug|crash|leak|regression))\b"
)
# Issue references that close an issue, GitHub style ("fixes #12", "closes GH-7"), and
# tracker keys ("JIRA-123"); a reference alone marks a fix only when its issue is a bug.
DEFAULT_ISSUE_PATTERN = r"(?:#|\bGH-)(\d+)\b|\b([A-Z][A-Z0-9]+-\d+)\b"
NOT_A_FIX_PATTERN = r"^(Merge (pull request|branch|remote-tracking)|Revert \")"


@dataclass(frozen=True)
class FixMatcher:
    """Decides whether a commit message describes a bug fix, and which issues it cites."""

    fix_pattern: str = DEFAULT_FIX_PATTERN
    issue_pattern: str = DEFAULT_ISSUE_PATTERN
    bug_issues: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("fix_pattern", "issue_pattern"):
            try:
                re.compile(getattr(self, name))
            except re.error as exc:
                raise ValueError(
                    f"{name} is not a valid regular expression ({exc}): correct it"
                ) from exc

    @property
    def _fix_re(self) -> re.Pattern[str]:
        return re.compile(self.fix_pattern, re.IGNORECASE)

    def issues(self, message: str) -> list[str]:
        """The issue ids a message cites, in order, without duplicates."""
        found: dict[str, None] = {}
        for match in re.finditer(self.issue_pattern, message):
            key = next((g for g in match.groups() if g), match.group(0))
            found[key] = None
        return list(found)

    def is_fix(self, message: str) -> bool:
        """Whether the message names a fix by keyword or cites an issue known as a bug."""
        subject = message.split("\n", 1)[0]
        if re.match(NOT_A_FIX_PATTERN, subject):
            return False
        if self._fix_re.search(message):
            return True
        return any(issue in self.bug_issues for issue in self.issues(message))
