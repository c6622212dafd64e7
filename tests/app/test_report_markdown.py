"""The markdown summary and plain-text report: content, escaping and the length limit."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest

from app.reports.formatting import escape_markdown, scored_files
from app.reports.markdown import GITHUB_SUMMARY_LIMIT, MIN_LIMIT, file_row, render_markdown
from app.reports.result import AnalysisResult, FileResult, Finding, Gate, Score
from app.reports.text import render_text
from tests.report_samples import sample_result

ROW = re.compile(r"^\| (\d+) \| ")
NOTE = re.compile(r"> \*\*Note:\*\* ([\d,]+) of ([\d,]+) files")
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
HOSTILE_PATH = "src/a|b`c<script>alert(1)</script>\nd.py"


def file_rows(markdown: str) -> list[str]:
    """The rows of the riskiest-files table."""
    return [line for line in markdown.splitlines() if ROW.match(line)]


def row_risks(markdown: str) -> list[float]:
    """The risk values of the riskiest-files table, in table order."""
    return [float(row.split(" | ")[2].split()[0]) for row in file_rows(markdown)]


def left_out(markdown: str) -> tuple[int, int]:
    """The (left out, total) counts of the closing note."""
    match = NOTE.search(markdown)
    assert match is not None, "no closing note"
    return int(match[1].replace(",", "")), int(match[2].replace(",", ""))


def shuffled(result: AnalysisResult) -> AnalysisResult:
    """The result with its files in reverse order, so sorting has work to do."""
    return replace(result, files=tuple(reversed(result.files)))


def with_hostile_file(result: AnalysisResult) -> AnalysisResult:
    """The result with one more file whose path tries to break the table and inject HTML."""
    hostile = replace(result.files[0], path=HOSTILE_PATH)
    return replace(result, files=(*result.files, hostile))


def test_every_scored_file_appears_sorted_by_risk() -> None:
    sample = sample_result(8)
    renamed = tuple(replace(f, path=f"src/{9 - n}_{f.path[8:]}") if f.risk else f
                    for n, f in enumerate(sample.files))  # path order is risk order reversed
    markdown = render_markdown(replace(sample, files=renamed))
    rows = file_rows(markdown)
    expected = [f"src/{9 - n}_module_{n}.py" for n in range(8)]
    assert [row.split(" | ")[1] for row in rows] == [escape_markdown(p) for p in expected]
    assert [row.split(" | ")[0] for row in rows] == [f"| {n}" for n in range(1, 9)]
    risks = row_risks(markdown)
    assert risks == sorted(risks, reverse=True)
    assert "+40 −5" in rows[0]
    assert NOTE.search(markdown) is None


def test_headline_has_the_conclusion_and_reasons() -> None:
    markdown = render_markdown(sample_result(3, "failure"))
    assert markdown.startswith("## ❌ diffrisk: failure\n")
    assert "- risk 0\\.74 is at or above the threshold 0\\.70" in markdown
    assert render_markdown(sample_result(3, "success")).startswith("## ✅ diffrisk: success\n")


def test_scores_table_levels_confidence_and_percentile() -> None:
    markdown = render_markdown(sample_result())
    assert "| health | 3.1 / 10 | 🔴 high | confidence 82%" in markdown
    assert "| anomaly | +0.42 | 🟠 medium | 97.5th percentile" in markdown
    assert "| risk | 0.74 | 🔴 high |" in markdown
    assert "| impact | 6.5 / 10 |" in markdown


def test_sections_components_reviewers_skipped_footer() -> None:
    markdown = render_markdown(sample_result())
    assert "src/pkg/module\\_0\\.py → src/pkg/api\\.py" in markdown
    assert "@alice, @bob" in markdown
    assert "**large\\_commit** (high)" in markdown
    assert "<details><summary>1 file not scored</summary>" in markdown
    assert "- assets/logo\\.png — binary" in markdown
    assert "Split the change" in markdown
    assert markdown.rstrip().endswith("</sub>")
    assert "model octo/demo risk 1\\.0\\.0" in markdown


def test_hostile_path_cannot_break_the_table_or_inject_html() -> None:
    markdown = render_markdown(with_hostile_file(sample_result(3)))
    hostile_rows = [row for row in file_rows(markdown) if "script" in row]
    assert len(hostile_rows) == 1
    row = hostile_rows[0]
    assert len(UNESCAPED_PIPE.findall(row)) == 7  # six cells, no more
    assert "a\\|b\\`c&lt;script&gt;alert(1)&lt;/script&gt;␊d\\.py" in row
    assert "<script>" not in markdown
    assert re.search(r"(?<!\\)`", markdown) is None
    assert "\nd.py" not in markdown and "\nd\\.py" not in markdown


def test_hostile_messages_and_reviewers_are_escaped() -> None:
    finding = Finding("x|y", "high", "see <img src=x> [link](http://e.vil) @everyone\n# heading")
    result = replace(sample_result(), anomalies=(finding,), reviewers=("ok-login", "not a <login>"))
    markdown = render_markdown(result)
    assert "<img" not in markdown and "[link]" not in markdown
    assert "\n# heading" not in markdown and "\\@everyone" in markdown
    assert "@ok-login" in markdown and "@not" not in markdown


def test_nan_scores_render_as_not_available() -> None:
    result = replace(sample_result(), impact=Score(float("nan"), "low"))
    assert "| impact | n/a / 10 |" in render_markdown(result)


def test_5000_files_stay_within_the_limit_with_a_correct_note() -> None:
    result = shuffled(sample_result(5000))
    started = time.perf_counter()
    markdown = render_markdown(result)
    assert time.perf_counter() - started < 1.0
    assert len(markdown) <= GITHUB_SUMMARY_LIMIT
    rows = file_rows(markdown)
    missing, total = left_out(markdown)
    assert total == 5001
    assert missing == total - len(rows)  # the unscored file's details went first
    assert 0 < len(rows) < 5000
    assert "<details>" not in markdown
    assert markdown.rstrip().endswith("for the full report.")
    risks = row_risks(markdown)
    assert risks == sorted(risks, reverse=True) and risks[0] == 0.9


def test_5000_files_cut_keeps_as_many_rows_as_fit() -> None:
    result = sample_result(5000)
    markdown = render_markdown(result)
    kept = len(file_rows(markdown))
    next_row = file_row(kept + 1, scored_files(result)[kept])
    note_shrink = 2  # the left-out count may lose a digit and a comma
    assert len(markdown) + 1 + len(next_row) - note_shrink > GITHUB_SUMMARY_LIMIT


def test_the_cut_is_measured_to_the_character() -> None:
    result = sample_result(6)
    full = render_markdown(result)
    assert render_markdown(result, len(full)) == full
    cut = render_markdown(result, len(full) - 1)
    assert len(cut) <= len(full) - 1
    assert left_out(cut)[0] >= 1
    assert left_out(cut) == (7 - len(file_rows(cut)) - ("<details>" in cut), 7)
    assert file_rows(cut) == file_rows(full)[: len(file_rows(cut))]


@pytest.mark.parametrize("limit", [MIN_LIMIT, 1_000, 2_500])
def test_small_limits_end_with_a_whole_note(limit: int) -> None:
    result = sample_result(50)
    markdown = render_markdown(result, limit)
    assert len(markdown) <= limit
    assert markdown.endswith("for the full report.")
    missing, total = left_out(markdown)
    assert total == 51
    assert missing + len(file_rows(markdown)) + ("<details>" in markdown) == total


def test_details_go_before_the_rows() -> None:
    skipped = tuple(FileResult(f"assets/image_{n}.png", "A", 0, 0, None, None, skipped="binary")
                    for n in range(200))
    result = replace(sample_result(3), files=(*sample_result(3).files, *skipped))
    full = render_markdown(result)
    seen = set()
    for limit in range(len(full), MIN_LIMIT, -97):
        markdown = render_markdown(result, limit)
        rows, details = len(file_rows(markdown)), "<details>" in markdown
        assert len(markdown) <= limit
        assert rows == 3 or not details, "rows went before the details"
        if markdown != full:
            assert left_out(markdown) == (204 - rows - (201 if details else 0), 204)
        seen.add((rows > 0, details))
    assert seen == {(True, True), (True, False), (False, False)}


def test_limit_below_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        render_markdown(sample_result(), MIN_LIMIT - 1)


def test_text_report_has_every_file_and_the_gate() -> None:
    result = shuffled(with_hostile_file(sample_result(40)))
    text = render_text(result)
    assert text.startswith("diffrisk: FAILURE - octo/demo")
    assert "risk 0.74 is at or above the threshold 0.70" in text
    positions = [text.index(f"src/pkg/module_{n}.py") for n in range(40)]
    assert positions[:8] == sorted(positions[:8])  # distinct risks come out riskiest first
    assert "assets/logo.png: binary" in text
    assert "src/a|b`c<script>alert(1)</script>␊d.py" in text
    assert "health   3.1 / 10  high   confidence 82%" in text
    assert "97.5th percentile" in text and "alice, bob" in text
    assert "src/pkg/module_0.py -> src/pkg/api.py" in text
    assert "[high] large_commit" in text and "model octo/demo risk 1.0.0" in text
    assert all(len(line) <= 100 for line in text.splitlines() if "src/" not in line)
    assert "|" not in text.replace(HOSTILE_PATH.replace("\n", "␊"), "") and "**" not in text


def test_text_report_neutralises_terminal_escapes() -> None:
    gate = Gate("neutral", ("\x1b[31mred\x1b[0m",))
    text = render_text(replace(sample_result(), gate=gate))
    assert "\x1b" not in text and "␛[31mred" in text
