"""The HTML report: its content and safety as text, and as headless Chromium renders it."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import stat
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.output_files import process_umask
from app.reports.html import CSP, render_html, write_html
from app.reports.plots import NO_HISTORY_NOTE, PLOT_TITLES
from app.reports.result import AnalysisResult, Component, FileResult, Finding, Score
from tests.browser import HOW_TO_INSTALL, PageLoad, chromium, load_page
from tests.report_samples import sample_result

EVIL_PATH = "src/<script>alert(1)</script>.py"
EVIL_MESSAGE = 'big change <img src=x onerror="alert(2)"> & more'
EVIL_REVIEWER = '"><svg onload=alert(3)>'
HISTORY = (0.1, 0.2, 0.2, 0.5, 0.8, 0.33, 0.15)


class DomSummary(HTMLParser):
    """Tags, attributes, text, text per section and each svg's title of an HTML document."""

    def __init__(self, document: str) -> None:
        """Parse the whole document."""
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attributes: list[tuple[str, str]] = []
        self.texts: list[str] = []
        self.sections: defaultdict[str, list[str]] = defaultdict(list)
        self.svg_titles: dict[str, str] = {}
        self._svg: str | None = None
        self._svg_title = False
        self._open_sections: list[str] = []
        self.feed(document)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Count the tag and note its attributes, svg and section."""
        self.tags[tag] += 1
        self.attributes.extend((k, v or "") for k, v in attrs)
        found = dict(attrs)
        if tag == "svg":
            self._svg = found.get("id") or ""
        elif tag == "title" and self._svg is not None and self._svg not in self.svg_titles:
            self.svg_titles[self._svg] = ""
            self._svg_title = True
        elif tag == "section":
            self._open_sections.append(found.get("id") or "")

    def handle_endtag(self, tag: str) -> None:
        """Leave the svg, title or section."""
        if tag == "svg":
            self._svg = None
        elif tag == "title":
            self._svg_title = False
        elif tag == "section" and self._open_sections:
            self._open_sections.pop()

    def handle_data(self, data: str) -> None:
        """Keep the text, also per open section and svg title."""
        self.texts.append(data)
        for section in self._open_sections:
            self.sections[section].append(data)
        if self._svg_title and self._svg is not None:
            self.svg_titles[self._svg] += data

    def text(self, section: str | None = None) -> str:
        """All the document's text, or one section's."""
        return "".join(self.texts if section is None else self.sections[section])


def evil_result() -> AnalysisResult:
    """The sample result with markup in a path, a message, a reviewer and a component."""
    base = sample_result()
    evil = FileResult(EVIL_PATH, "A", 10, 0, Score(0.55, "medium", ("<b>bold</b> factor",)),
                      None, (), "Python")
    finding = Finding("large_commit", "high", EVIL_MESSAGE, (EVIL_PATH,))
    component = Component("<i>pkg</i>", 0.5, (EVIL_PATH, "src/pkg/api.py"), 3)
    return dataclasses.replace(
        base, repository="octo/<b>demo</b>", files=(*base.files, evil),
        anomalies=(*base.anomalies, finding), components=(*base.components, component),
        reviewers=(*base.reviewers, EVIL_REVIEWER), model={"name": "<script>x()</script>"})


def scored_paths(result: AnalysisResult) -> list[str]:
    """The paths of the result's scored files."""
    return [f.path for f in result.files if f.risk is not None]


def assert_safe(summary: DomSummary) -> None:
    """No script, image, link or handler, and nothing that could load from outside."""
    assert summary.tags["script"] == 0
    assert summary.tags["img"] == 0
    assert summary.tags["link"] == 0
    assert summary.tags["iframe"] == 0
    names = {name for name, _ in summary.attributes}
    assert not {n for n in names if n.startswith("on")}
    links = [v for n, v in summary.attributes if n in {"src", "href", "xlink:href", "action"}]
    assert all(v.startswith("#") for v in links), links


def assert_report(summary: DomSummary, result: AnalysisResult) -> None:
    """The gate, every scored file's path and the three titled plots are on the page."""
    assert f"Gate: {result.gate.conclusion}" in summary.text("gate")
    for reason in result.gate.reasons:
        assert reason in summary.text("gate")
    for path in scored_paths(result):
        assert path in summary.text("files")
        assert path in summary.text("plots")
    assert summary.svg_titles == {f"plot-{k}": v for k, v in PLOT_TITLES.items()}


# --- the page as text ---------------------------------------------------------------------------

def test_page_is_valid_self_contained_html5() -> None:
    page = render_html(sample_result(), HISTORY)
    summary = DomSummary(page)
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert ("http-equiv", "Content-Security-Policy") in summary.attributes
    assert ("content", CSP) in summary.attributes
    assert ("charset", "utf-8") in summary.attributes
    assert summary.tags["html"] == summary.tags["head"] == summary.tags["body"] == 1
    assert_safe(summary)
    assert_report(summary, sample_result())
    assert "http:" not in page and "https:" not in page
    assert re.findall(r"url\(([^)]*)\)", page) == ["#dep-arrow"] * page.count("marker-end")


def test_every_piece_of_user_text_is_escaped() -> None:
    page = render_html(evil_result())
    summary = DomSummary(page)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert_safe(summary)
    text = summary.text()
    for expected in (EVIL_PATH, EVIL_MESSAGE, EVIL_REVIEWER, "<i>pkg</i>", "octo/<b>demo</b>",
                     "<b>bold</b> factor", "<script>x()</script>"):
        assert expected in text


def test_file_risk_bars_cover_every_scored_file_riskiest_first() -> None:
    base = sample_result(files=6)
    result = dataclasses.replace(base, files=tuple(reversed(base.files)))
    plot = render_html(result).split('id="plot-file-risk"')[1].split("</svg>")[0]
    order = re.findall(r'<g class="bar"><title>(.*?): ', plot)
    assert order == [f"src/pkg/module_{n}.py" for n in range(6)]
    assert "assets/logo.png" not in plot


def test_history_histogram_counts_every_past_change_and_marks_this_one() -> None:
    page = render_html(sample_result(), (*HISTORY, math.nan))
    plot = page.split('id="plot-history"')[1].split("</svg>")[0]
    counts = [int(c) for c in re.findall(r"<title>(\d+) changes</title>", plot)]
    assert sum(counts) == len(HISTORY)
    assert "this change 0.74" in plot
    assert "riskier than 86% of 7 past changes" in page
    assert NO_HISTORY_NOTE not in DomSummary(page).text()


def test_history_without_data_says_so() -> None:
    summary = DomSummary(render_html(sample_result()))
    assert NO_HISTORY_NOTE in summary.text("plots")
    assert "plot-history" in summary.svg_titles


def test_dependency_graph_links_changed_files_to_components() -> None:
    page = render_html(sample_result())
    plot = page.split('id="plot-dependencies"')[1].split("</svg>")[0]
    assert plot.count('class="edge"') == 2
    assert plot.count('class="node changed"') == 4
    assert plot.count('class="node via"') == 1
    assert "src/pkg (reach 0.80, 12 files)" in plot


def test_missing_and_nan_scores_render_as_not_available() -> None:
    base = sample_result()
    result = dataclasses.replace(base, risk=Score(math.nan, "low"), files=(),
                                 components=(), timings={"mine": math.nan})
    summary = DomSummary(render_html(result))
    assert "n/a" in summary.text("scores")
    assert "No file was scored." in summary.text("plots")
    assert "No changed files." in summary.text("plots")


def test_write_html_writes_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.html"
    write_html(sample_result(), target, HISTORY)
    assert target.read_text(encoding="utf-8") == render_html(sample_result(), HISTORY)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~process_umask()  # not mkstemp's 0600

    def broken_replace(source: str, destination: str | os.PathLike[str]) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk gone"):
        write_html(evil_result(), target)
    assert target.read_text(encoding="utf-8") == render_html(sample_result(), HISTORY)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


# --- the page in headless Chromium ---------------------------------------------------------------

@pytest.fixture
def browser() -> None:
    """Skip when this machine has no Chromium."""
    if chromium() is None:
        pytest.skip(f"headless Chromium is not installed; {HOW_TO_INSTALL}")


def rendered(result: AnalysisResult, tmp_path: Path) -> tuple[PageLoad, DomSummary]:
    """The report written to a file, loaded by Chromium, and its DOM summarised."""
    page = tmp_path / "report.html"
    write_html(result, page, HISTORY)
    loaded = load_page(page)
    return loaded, DomSummary(loaded.dom)


@pytest.mark.usefixtures("browser")
def test_chromium_renders_the_report_without_console_messages(tmp_path: Path) -> None:
    loaded, summary = rendered(sample_result(), tmp_path)
    assert loaded.console == ()
    assert_report(summary, sample_result())
    assert_safe(summary)
    assert summary.tags["svg"] == 3


@pytest.mark.usefixtures("browser")
def test_chromium_shows_malicious_text_as_text(tmp_path: Path) -> None:
    loaded, summary = rendered(evil_result(), tmp_path)
    assert loaded.console == ()
    assert_report(summary, evil_result())
    assert_safe(summary)
    assert EVIL_PATH in summary.text("files")
    assert EVIL_MESSAGE in summary.text("anomalies")
    assert EVIL_REVIEWER in summary.text("reviewers")


@pytest.mark.usefixtures("browser")
def test_chromium_check_catches_console_errors_and_blocked_loads(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(render_html(sample_result()).replace(
        "</main>", '</main><img src="http://192.0.2.1/x.png"><script>oops()</script>'),
        encoding="utf-8")
    loaded = load_page(page)
    assert any("img-src" in m and "blocked" in m for m in loaded.console), loaded.stderr
    assert any("inline script" in m for m in loaded.console), loaded.stderr
    assert DomSummary(loaded.dom).tags["script"] == 1
