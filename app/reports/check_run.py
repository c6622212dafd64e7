"""What diffrisk writes into a GitHub check run and a pull-request review (pure, no I/O).

Annotations anchor each scored file's verdict on its first changed line range; review comments go
to the riskiest files and carry a hidden fingerprint, so a new push updates the earlier comment in
place (or marks it resolved) instead of posting a duplicate.
"""

# No `from __future__ import annotations` here: this module defines a function of that name.
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.reports.formatting import (
    escape_markdown,
    format_file_score,
    format_number,
    scored_files,
    shorten,
)
from app.reports.result import AnalysisResult, FileResult, Finding

ANNOTATION_CAP = 200
MESSAGE_BYTES = 64 * 1024  # GitHub's limit of an annotation's message and raw_details
TITLE_CHARS = 255
FILE_RULE = "file-risk"
LEVELS: dict[str, Literal["notice", "warning", "failure"]] = {
    "low": "notice", "medium": "warning", "high": "failure"}
LEVEL_RANK = {"failure": 0, "warning": 1, "notice": 2}
FINGERPRINT = re.compile(r"<!-- diffrisk:fingerprint=([0-9a-f]{64}) -->")
RESOLVED_PREFIX = "✅ Resolved in "
RESOLVED = RESOLVED_PREFIX + "{sha}: this file is no longer among the riskiest of the pull request."


@dataclass(frozen=True)
class ReviewComment:
    """One review comment diffrisk wants on the pull request."""

    path: str
    body: str
    fingerprint: str
    line: int | None = None  # None: about the whole file
    subject_type: Literal["line", "file"] = "line"

    def as_github(self) -> dict[str, Any]:
        """The comment as an item of GitHub's create-review `comments` list."""
        if self.line is None:
            return {"path": self.path, "body": self.body, "subject_type": "file"}
        return {"path": self.path, "body": self.body, "line": self.line, "side": "RIGHT"}


@dataclass(frozen=True)
class ReviewPlan:
    """What to do on GitHub so the review comments match the new result, without duplicates."""

    post: list[ReviewComment] = field(default_factory=list)
    update: list[tuple[int, str]] = field(default_factory=list)  # (comment id, new body)
    resolve: list[tuple[int, str]] = field(default_factory=list)  # (comment id, new body)


def _cut_bytes(text: str, limit: int = MESSAGE_BYTES) -> str:
    """Text cut to at most `limit` UTF-8 bytes (with an ellipsis when cut)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


def _file_annotation(file: FileResult) -> tuple[float, dict[str, Any]] | None:
    """A scored file's annotation and its sort score; None for a file without risk or lines."""
    if file.risk is None or file.skipped is not None:
        return None
    first = file.changed_lines[0] if file.changed_lines else None
    start, end = (first.start, first.end) if first else (1, 1)
    lines = [*file.risk.factors, *(file.bug.factors if file.bug else ())]
    lines += [f"Recommendation: {r}" for r in file.risk.recommendations]
    message = "\n".join(lines) or f"risk {format_file_score(file.risk)}"
    annotation = {
        "path": file.path, "start_line": start, "end_line": end,
        "annotation_level": LEVELS.get(file.risk.level, "notice"),
        "title": shorten(f"diffrisk: risk {format_file_score(file.risk)}, "
                         f"bug {format_file_score(file.bug)}", TITLE_CHARS),
        "message": _cut_bytes(message),
    }
    return file.risk.value, annotation


def _finding_annotations(finding: Finding, files: dict[str, FileResult]) -> list[dict[str, Any]]:
    """One annotation per path of a finding (on the file's first changed lines)."""
    out = []
    for path in finding.paths:
        file = files.get(path)
        first = file.changed_lines[0] if file and file.changed_lines else None
        out.append({
            "path": path, "start_line": first.start if first else 1,
            "end_line": first.end if first else 1,
            "annotation_level": LEVELS.get(finding.severity, "notice"),
            "title": shorten(f"diffrisk anomaly: {finding.kind}", TITLE_CHARS),
            "message": _cut_bytes(finding.message),
        })
    return out


def annotations(result: AnalysisResult, cap: int = ANNOTATION_CAP) -> list[dict[str, Any]]:
    """Check-run annotations: failures first, then by score; at most `cap`."""
    ranked: list[tuple[int, float, str, dict[str, Any]]] = []
    for file in result.files:
        made = _file_annotation(file)
        if made is not None:
            score, annotation = made
            ranked.append((LEVEL_RANK[annotation["annotation_level"]], -score, file.path,
                           annotation))
    files = {f.path: f for f in result.files}
    for finding in result.anomalies:
        for annotation in _finding_annotations(finding, files):
            ranked.append((LEVEL_RANK[annotation["annotation_level"]], 0.0, annotation["path"],
                           annotation))
    ranked.sort(key=lambda item: item[:3])
    return [annotation for *_, annotation in ranked[: max(cap, 0)]]


def check_run_title(result: AnalysisResult) -> str:
    """The check run's one-line title: the gate's verdict and the headline scores."""
    title = (f"{result.gate.conclusion}: health {format_number(result.health.value, 1)}/10, "
             f"risk {format_number(result.risk.value)} ({result.risk.level})")
    if result.gate.reasons:
        title += f" — {result.gate.reasons[0]}"
    return shorten(title, TITLE_CHARS)


def fingerprint(repository: str, path: str, rule: str = FILE_RULE) -> str:
    """The stable identity of a diffrisk comment: sha256 of repository, path and rule."""
    return hashlib.sha256(f"{repository}\0{path}\0{rule}".encode()).hexdigest()


def fingerprint_of(body: str) -> str | None:
    """The hidden fingerprint in a comment body, or None when it is not diffrisk's."""
    found = FINGERPRINT.search(body)
    return found[1] if found else None


def _comment_body(file: FileResult, mark: str) -> str:
    """A file's review comment: its scores, why, what to do, and the hidden fingerprint."""
    assert file.risk is not None
    lines = [f"**diffrisk: risk {format_file_score(file.risk)}** · "
             f"bug {format_file_score(file.bug)} · +{file.added} −{file.deleted}"]
    factors = [*file.risk.factors, *(file.bug.factors if file.bug else ())]
    if factors:
        lines += ["", "Why:", *(f"- {escape_markdown(f)}" for f in factors)]
    recommendations = [*file.risk.recommendations, *(file.bug.recommendations if file.bug else ())]
    if recommendations:
        lines += ["", "What to do:", *(f"- {escape_markdown(r)}" for r in recommendations)]
    return _cut_bytes("\n".join(lines), MESSAGE_BYTES - 200) + _marker(mark)


def _marker(mark: str) -> str:
    """The hidden fingerprint line that ends every diffrisk comment."""
    return f"\n\n<!-- diffrisk:fingerprint={mark} -->"


def review_comments(result: AnalysisResult, budget: int) -> list[ReviewComment]:
    """Comments on the `budget` riskiest scored files, on a changed line (else the whole file)."""
    comments = []
    for file in scored_files(result)[: max(budget, 0)]:
        mark = fingerprint(result.repository, file.path)
        line = file.changed_lines[0].start if file.changed_lines else None
        comments.append(ReviewComment(file.path, _comment_body(file, mark), mark, line,
                                      "line" if line is not None else "file"))
    return comments


def _existing_by_mark(existing: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """diffrisk's existing comments by fingerprint (the oldest one of each)."""
    by_mark: dict[str, dict[str, Any]] = {}
    for comment in sorted(existing, key=lambda c: int(c["id"])):
        mark = fingerprint_of(str(comment.get("body") or ""))
        if mark is not None:
            by_mark.setdefault(mark, comment)
    return by_mark


def plan_review(new: Sequence[ReviewComment], existing: Sequence[dict[str, Any]],
                head_sha: str) -> ReviewPlan:
    """Which comments to post, which earlier ones to update in place, which to mark resolved."""
    by_mark = _existing_by_mark(existing)
    plan = ReviewPlan()
    for comment in new:
        earlier = by_mark.pop(comment.fingerprint, None)
        if earlier is None:
            plan.post.append(comment)
        elif earlier.get("body") != comment.body:
            plan.update.append((int(earlier["id"]), comment.body))
    for mark, earlier in sorted(by_mark.items(), key=lambda item: int(item[1]["id"])):
        old = FINGERPRINT.sub("", str(earlier.get("body") or "")).strip()
        if not old.startswith(RESOLVED_PREFIX):
            body = (f"{RESOLVED.format(sha=head_sha[:12])}\n\n<details><summary>Earlier verdict"
                    f"</summary>\n\n{old}\n\n</details>")
            plan.resolve.append((int(earlier["id"]), _cut_bytes(body, MESSAGE_BYTES - 200)
                                 + _marker(mark)))
    return plan
