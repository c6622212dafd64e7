"""Analysis results built by hand, for the report renderers' tests (the one place)."""

from __future__ import annotations

from app.reports.result import (
    AnalysisResult,
    Component,
    FileResult,
    Finding,
    Gate,
    LineRange,
    Score,
)


def file_result(number: int) -> FileResult:
    """A changed Python file whose scores fall with its number."""
    risk = max(0.05, 0.9 - 0.1 * number)
    return FileResult(
        f"src/pkg/module_{number}.py", "M", 40 - number, 5 + number,
        Score(risk, "high" if risk >= 0.7 else "medium" if risk >= 0.4 else "low",
              (f"Lines added is {40 - number} (typical here: 8): raises the risk from 0.20 "
               f"to {risk:.2f}",), ("Split the change: smaller pull requests are reviewed "
                                    "more thoroughly and break less.",)),
        Score(0.3, "medium", ("Bug fixes to this file in the last 90 days is 2 (typical "
                              "here: 0): raises the chance of a bug fix within 30 days "
                              "(+0.41)",)),
        (LineRange(3, 9), LineRange(20, 20 + number)), "Python")


def sample_result(files: int = 3, conclusion: str = "failure") -> AnalysisResult:
    """A whole result with `files` scored files, a skipped one, findings and components."""
    scored = tuple(file_result(n) for n in range(files))
    skipped = FileResult("assets/logo.png", "A", 0, 0, None, None, (), None, "binary")
    return AnalysisResult(
        repository="octo/demo", base="1" * 40, head="2" * 40,
        risk=Score(0.74, "high", ("Lines added is 1,240 (typical here: 18): raises the risk "
                                  "from 0.21 to 0.46",),
                   ("Split the change: smaller pull requests are reviewed more thoroughly "
                    "and break less.",)),
        bug=Score(0.31, "medium"), anomaly=Score(0.42, "medium", ("Lines added is 1,240 "
                                                                  "(typical here: 18): raises "
                                                                  "the anomaly score (+0.30)",)),
        impact=Score(6.5, "medium"), health=Score(3.1, "high"), health_confidence=0.82,
        files=(*scored, skipped),
        anomalies=(Finding("large_commit", "high", "1,245 lines changed; 99% of this "
                           "repository's changes touch at most 310", ("src/pkg/module_0.py",)),
                   Finding("late_night", "low", "committed at 03:12, this author usually "
                           "commits 09:00–18:00")),
        components=(Component("src/pkg", 0.8, ("src/pkg/module_0.py", "src/pkg/api.py"), 12),),
        reviewers=("alice", "bob"),
        gate=Gate(conclusion,  # type: ignore[arg-type]
                  ("risk 0.74 is at or above the threshold 0.70",)),
        model={"name": "octo/demo risk", "version": "1.0.0"},
        timings={"mine": 0.12, "facts": 0.31, "scores": 0.004}, anomaly_percentile=97.5)
