"""Formatting shared by the text and markdown reports: escaping, numbers, scores, file order."""

from __future__ import annotations

import math
import re

from app.reports.result import AnalysisResult, Component, FileResult, Score

FACTOR_CHARS = 160
MAX_RECOMMENDATIONS = 5
SCORE_NAMES = ("risk", "bug", "anomaly", "impact", "health")
SCORE_MEANINGS = {
    "risk": "probability the change is bug-inducing",
    "bug": "probability a changed file needs a bug fix soon",
    "anomaly": "how unusual this change is for this repository",
    "impact": "blast radius: what the change can reach",
    "health": "overall health of the change (10 is healthy)",
}
CONCLUSION_ICONS = {"success": "✅", "failure": "❌", "neutral": "⚪"}
LEVEL_ICONS = {"low": "🟢", "medium": "🟠", "high": "🔴"}
GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
# GitHub's private commit addresses: LOGIN@ or ID+LOGIN@users.noreply.github.com
NOREPLY_ADDRESS = re.compile(r"(?:\d+\+)?(?P<login>[^@+]+)@users\.noreply\.github\.com",
                             re.IGNORECASE)

_CONTROL_PICTURES = {code: chr(0x2400 + code) for code in range(32)} | {
    0x7F: "␡", 0x85: "␤", 0x2028: "␤", 0x2029: "␤",
}
_MARKDOWN_ESCAPES: dict[int, str] = {
    **{ord(char): "\\" + char for char in "\\`*_[]#+-.!|~@:$"},
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord("&"): "&amp;",
    **_CONTROL_PICTURES,
}


def visible_controls(text: str) -> str:
    """The text with newlines and other control characters shown as harmless symbols."""
    return text.translate(_CONTROL_PICTURES)


def escape_markdown(text: str) -> str:
    """Text safe inside a markdown table cell, list item or HTML block: nothing in it is markup."""
    return text.translate(_MARKDOWN_ESCAPES)


def shorten(text: str, chars: int) -> str:
    """The text cut to at most `chars` characters, with an ellipsis when cut."""
    return text if len(text) <= chars else text[: max(chars - 1, 0)] + "…"


def format_number(value: float, digits: int = 2, signed: bool = False) -> str:
    """A score value with `digits` decimals, or "n/a" when it is NaN or infinite."""
    if not math.isfinite(value):
        return "n/a"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def format_score_value(name: str, score: Score) -> str:
    """A change-level score's value in its own unit (0–1, −1..1 or 0–10)."""
    if name == "anomaly":
        return format_number(score.value, signed=True)
    if name in ("impact", "health"):
        return f"{format_number(score.value, digits=1)} / 10"
    return format_number(score.value)


def format_score_detail(name: str, result: AnalysisResult) -> str:
    """What goes with a score beyond its value: health's confidence, anomaly's percentile."""
    if name == "health" and math.isfinite(result.health_confidence):
        return f"confidence {result.health_confidence:.0%}"
    percentile = result.anomaly_percentile
    if name == "anomaly" and percentile is not None and math.isfinite(percentile):
        return f"{percentile:.1f}th percentile for this repository"
    return ""


def change_scores(result: AnalysisResult) -> list[tuple[str, Score]]:
    """The five change-level scores, by name, in the design's order."""
    return [(name, getattr(result, name)) for name in SCORE_NAMES]


def is_scored(file: FileResult) -> bool:
    """Whether a file has a risk or bug score and was not skipped."""
    return file.skipped is None and (file.risk is not None or file.bug is not None)


def file_risk(file: FileResult) -> float:
    """A file's risk (else its bug score) for sorting: unknown or NaN sorts last."""
    score = file.risk or file.bug
    if score is None or not math.isfinite(score.value):
        return -math.inf
    return score.value


def scored_files(result: AnalysisResult) -> list[FileResult]:
    """The scored files, riskiest first (ties by path)."""
    return sorted((f for f in result.files if is_scored(f)), key=lambda f: (-file_risk(f), f.path))


def unscored_files(result: AnalysisResult) -> list[FileResult]:
    """The files that were skipped or carry no risk score, in their original order."""
    return [f for f in result.files if not is_scored(f)]


def skip_reason(file: FileResult) -> str:
    """Why a file has no scores."""
    return file.skipped if file.skipped is not None else "not scored"


def format_file_score(score: Score | None) -> str:
    """A file's score as "0.80 high", or a dash when it has none."""
    return "—" if score is None else f"{format_number(score.value)} {score.level}"


def top_factor(file: FileResult) -> str:
    """A file's first risk factor (or bug factor), shortened; empty when it has none."""
    factors = (file.risk.factors if file.risk else ()) or (file.bug.factors if file.bug else ())
    return shorten(factors[0], FACTOR_CHARS) if factors else ""


def dependency_path(component: Component, arrow: str = " → ") -> str:
    """A component's dependency path, a → b → c (raw, unescaped)."""
    return arrow.join(component.dependency_path)


def change_recommendations(result: AnalysisResult) -> list[str]:
    """The change-level scores' recommendations, deduplicated, at most MAX_RECOMMENDATIONS."""
    unique = dict.fromkeys(r for _, score in change_scores(result) for r in score.recommendations)
    return list(unique)[:MAX_RECOMMENDATIONS]


def format_timings(timings: dict[str, float]) -> str:
    """The stage timings and their total, as "mine 0.12 s · … · total 0.43 s"."""
    if not timings:
        return ""
    parts = [f"{stage} {format_seconds(seconds)}" for stage, seconds in timings.items()]
    return " · ".join([*parts, f"total {format_seconds(sum(timings.values()))}"])


def format_seconds(seconds: float) -> str:
    """A duration as seconds, or milliseconds when under a tenth of a second."""
    if not math.isfinite(seconds):
        return "n/a"
    return f"{seconds * 1000:.0f} ms" if seconds < 0.1 else f"{seconds:.2f} s"


def model_label(model: dict[str, str]) -> str:
    """The model's name and version, as "name 1.0.0"."""
    return f"{model.get('name', 'unknown model')} {model.get('version', '')}".strip()


def mention(login: str) -> str:
    """An @mention for a valid GitHub login; anything else is escaped, never mentioned."""
    return f"@{login}" if GITHUB_LOGIN.fullmatch(login) else escape_markdown(login)


def github_login(identity: str) -> str | None:
    """The GitHub login an identity names: itself when it is a login, the login of a noreply
    address; None for any other e-mail address (which a posted report never shows)."""
    if "@" not in identity:
        return identity if GITHUB_LOGIN.fullmatch(identity) else None
    match = NOREPLY_ADDRESS.fullmatch(identity)
    login = match.group("login") if match else None
    return login if login and GITHUB_LOGIN.fullmatch(login) else None
