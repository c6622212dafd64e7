"""`diffrisk analyze` on odd input: unknown refs, an empty diff, a binary-only change, a
5,000-file change and a repository with little history — clear messages, documented exit
codes, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from app.cli import main
from tests.gitbuild import RepoBuilder, build_buggy_history


def analyze(builder: RepoBuilder, tmp_path: Path, *args: str) -> Result:
    """Run `diffrisk analyze` on the builder's repository with a store under tmp_path."""
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "--database-url",
                                     f"sqlite:///{tmp_path / 'data/diffrisk.db'}", "analyze",
                                     "--repo", str(builder.path), *args])


def one_line_error(result: Result) -> str:
    """The error line, after checking there is exactly one and no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unknown_ref_is_one_line_and_exit_2(builder: RepoBuilder, tmp_path: Path) -> None:
    build_buggy_history(builder)
    assert "no-such-branch" in one_line_error(analyze(builder, tmp_path, "--base", "main",
                                                      "--head", "no-such-branch"))


def test_a_folder_that_is_not_a_repository_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "analyze",
                                       "--repo", str(tmp_path)])
    assert "git" in one_line_error(result).lower()


def test_an_empty_change_is_neutral_and_exit_0(builder: RepoBuilder, tmp_path: Path) -> None:
    build_buggy_history(builder)
    result = analyze(builder, tmp_path, "--base", "main", "--head", "main", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["gate"] == {"conclusion": "neutral", "reasons": ["the change has no files"]}
    assert report["files"] == []


def test_a_binary_only_change_is_neutral(builder: RepoBuilder, tmp_path: Path) -> None:
    build_buggy_history(builder)
    builder.checkout("-b", "images")
    builder.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    builder.commit("Add the logo")
    result = analyze(builder, tmp_path, "--base", "main", "--head", "images", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["gate"]["conclusion"] == "neutral"
    assert report["files"][0]["skipped"] == "binary"


def test_little_history_uses_the_shipped_model(builder: RepoBuilder, tmp_path: Path) -> None:
    build_buggy_history(builder)
    builder.checkout("-b", "change")
    builder.write("calc/more.py", "def twice(x):\n    return 2 * x\n")
    builder.commit("Add twice")
    result = analyze(builder, tmp_path, "--base", "main", "--head", "change", "--format",
                     "json")
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    assert report["model"]["name"].startswith("shipped cross-project")
    assert 0.0 <= report["risk"]["value"] <= 1.0
    assert "trained" not in result.stderr
    retrain = analyze(builder, tmp_path, "--base", "main", "--head", "change", "--retrain")
    assert retrain.exit_code in (0, 1), retrain.output
    assert "note: --retrain: not trained: " in retrain.stderr
    assert "fixes mined (at least 150 and 15 to learn from)" in retrain.stderr


def test_a_5000_file_change_is_cut_at_the_diff_limit(builder: RepoBuilder,
                                                     tmp_path: Path) -> None:
    build_buggy_history(builder)
    builder.checkout("-b", "huge")
    for number in range(5000):
        builder.write(f"gen/part{number // 100}/f{number}.txt", f"line {number}\n")
    builder.commit("Generate five thousand files")
    result = analyze(builder, tmp_path, "--base", "main", "--head", "huge", "--format", "json")
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    assert len(report["files"]) == 3000
    assert "the rest are left out" in result.stderr
