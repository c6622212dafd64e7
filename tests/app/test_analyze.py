"""`diffrisk analyze` end to end on a repository with a long history: the first run mines,
learns and registers the repository's models, a warm run reuses them; the reports in every
format; the gate read from the base; exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from app.cli import main
from app.storage.database import open_store
from app.storage.registry import ModelRegistry
from tests.app.test_report_sarif import errors as sarif_errors
from tests.gitbuild import RepoBuilder
from tests.history_repo import build_long_history

SCHEMA = Path(__file__).parents[2] / "app/reports/analysis-1.0.schema.json"
NAME = "octo/long"


class Trained:
    """The long-history repository with a feature branch, and a store after the first run."""

    def __init__(self, builder: RepoBuilder, data: Path) -> None:
        self.builder = builder
        self.data = data
        self.first: Result | None = None

    @property
    def repo(self) -> Path:
        """The repository's folder."""
        return self.builder.path

    def run(self, *args: str, data: Path | None = None) -> Result:
        """`diffrisk analyze` on the repository with the trained store (or another one)."""
        folder = data or self.data
        return CliRunner().invoke(main, ["--data-dir", str(folder), "--database-url",
                                         f"sqlite:///{folder / 'diffrisk.db'}", "analyze",
                                         "--repo", str(self.repo), "--name", NAME, *args])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """A 320-commit history on main, a two-file change on `feature`, analysed once."""
    builder = RepoBuilder(tmp_path_factory.mktemp("long") / "repo")
    build_long_history(builder, commits=320)
    builder.checkout("-b", "feature")
    source = (builder.path / "pkg/mod3.py").read_text()
    builder.write("pkg/mod3.py", source + "\n\ndef extra(x):\n    if x > 2:\n        return x\n"
                                          "    return -x\n")
    builder.write("pkg/new_helper.py", "VALUE = 3\n")
    builder.commit("Add extra and a helper", author=("Eve", "eve@example.com"))
    builder.checkout("main")
    state = Trained(builder, tmp_path_factory.mktemp("data"))
    state.first = state.run("--base", "main", "--head", "feature", "--format", "json")
    return state


def as_json(result: Result) -> dict[str, Any]:
    """The JSON report on stdout."""
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_the_first_run_learns_registers_and_reports_every_score(trained: Trained) -> None:
    result = trained.first
    assert result is not None
    assert result.exit_code in (0, 1), result.output
    report = as_json(result)
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    for name in ("risk", "bug", "anomaly", "impact"):
        assert report[name]["value"] is not None, name
        assert report[name]["factors"], name
    assert {f["path"] for f in report["files"] if f["risk"]} == {"pkg/mod3.py",
                                                                 "pkg/new_helper.py"}
    mod3 = next(f for f in report["files"] if f["path"] == "pkg/mod3.py")
    assert mod3["changed_lines"] and mod3["risk"]["factors"]
    assert report["components"] and report["reviewers"]
    assert "eve@example.com" not in report["reviewers"]  # never the author
    assert "trained risk:" in result.stderr and "trained impact:" in result.stderr
    kinds = {e.kind for e in ModelRegistry(open_store(
        f"sqlite:///{trained.data / 'diffrisk.db'}")).versions(NAME)}
    assert {"risk", "bug", "file_risk", "anomaly", "impact"} <= kinds
    assert set(report["timings"]) >= {"mine", "train", "facts", "scores"}


def test_a_warm_run_reuses_the_models_and_gives_the_same_scores(trained: Trained) -> None:
    registry = ModelRegistry(open_store(f"sqlite:///{trained.data / 'diffrisk.db'}"))
    before = len(registry.versions(NAME))
    again = trained.run("--base", "main", "--head", "feature", "--format", "json")
    assert again.exit_code in (0, 1) and "trained" not in again.stderr
    assert len(registry.versions(NAME)) == before
    first, second = as_json(trained.first), as_json(again)  # type: ignore[arg-type]
    for name in ("risk", "bug", "anomaly", "impact", "health"):
        assert second[name]["value"] == first[name]["value"], name


@pytest.mark.parametrize("output_format", ["text", "markdown", "sarif", "html"])
def test_every_format_names_the_scored_files(trained: Trained, output_format: str,
                                             tmp_path: Path) -> None:
    target = tmp_path / f"report.{output_format}"
    result = trained.run("--base", "main", "--head", "feature", "--format", output_format,
                         "--output", str(target))
    assert result.exit_code in (0, 1), result.output
    text = target.read_text()
    if output_format == "sarif":  # results only for what needs attention, on changed lines
        assert sarif_errors(json.loads(text)) == []
        return
    assert "mod3" in text and "helper" in text
    if output_format == "markdown":
        assert len(text) <= 65_535


def copied_store(trained: Trained, tmp_path: Path) -> Path:
    """A copy of the trained store, for a test whose branches must not reach the others'."""
    data = tmp_path / "data"
    shutil.copytree(trained.data, data)
    return data


def commit_config(trained: Trained, branch: str, text: str) -> None:
    """A branch off main whose only change is the gate configuration."""
    builder = trained.builder
    builder.checkout("-B", branch, "main")
    builder.write(".github/diffrisk.yml", text)
    builder.commit("Configure the gate")
    builder.checkout("main")


def test_the_gate_comes_from_the_base_and_fails_with_exit_1(trained: Trained,
                                                            tmp_path: Path) -> None:
    commit_config(trained, "strict", "thresholds:\n  risk: 0.01\ngate: [risk]\n")
    builder = trained.builder
    builder.checkout("-B", "loosened", "strict")
    builder.write(".github/diffrisk.yml", "thresholds:\n  risk: 1.0\ngate: [risk]\n")
    builder.write("pkg/mod1.py", (builder.path / "pkg/mod1.py").read_text() + "\nY = 2\n")
    builder.commit("Loosen the gate in the pull request itself")
    builder.checkout("main")
    data = copied_store(trained, tmp_path)
    result = trained.run("--base", "strict", "--head", "loosened", "--format", "json",
                         data=data)
    assert result.exit_code == 1, result.output
    gate = as_json(result)["gate"]
    assert gate["conclusion"] == "failure"
    assert any("risk" in reason and "0.01" in reason for reason in gate["reasons"])


def test_a_bad_gate_configuration_is_one_line_and_exit_2(trained: Trained,
                                                         tmp_path: Path) -> None:
    commit_config(trained, "broken", "thresholds:\n  risk: high\n")
    data = copied_store(trained, tmp_path)
    result = trained.run("--base", "broken", "--head", "broken", data=data)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: .github/diffrisk.yml: thresholds.risk")
    assert "Traceback" not in result.output


def test_ignored_paths_are_reported_but_not_scored(trained: Trained, tmp_path: Path) -> None:
    commit_config(trained, "ignoring", "ignored_paths: ['pkg/new_*']\n")
    builder = trained.builder
    builder.checkout("-B", "feature2", "ignoring")
    builder.write("pkg/new_thing.py", "Z = 1\n")
    builder.write("pkg/mod2.py", (builder.path / "pkg/mod2.py").read_text() + "\nW = 1\n")
    builder.commit("Add a thing")
    builder.checkout("main")
    data = copied_store(trained, tmp_path)
    report = as_json(trained.run("--base", "ignoring", "--head", "feature2", "--format",
                                 "json", data=data))
    files = {f["path"]: f for f in report["files"]}
    assert files["pkg/new_thing.py"]["skipped"] == "ignored by .github/diffrisk.yml"
    assert files["pkg/mod2.py"]["skipped"] is None


WARM_PROBE = """
import atexit, json, sys
heavy = ("sklearn", "xgboost", "scipy", "pandas", "alembic", "skl2onnx", "onnx", "lizard")
atexit.register(lambda: print(json.dumps(sorted(m for m in heavy if m in sys.modules)),
                              file=sys.stderr))
from app.cli import main
main(sys.argv[1:], prog_name="diffrisk")
"""


def without_timings(report: dict[str, Any]) -> dict[str, Any]:
    """The report apart from its step timings."""
    return {key: value for key, value in report.items() if key != "timings"}


def test_a_warm_run_imports_no_training_library(trained: Trained) -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    folder = trained.data
    proc = subprocess.run(
        [sys.executable, "-c", WARM_PROBE, "--data-dir", str(folder), "--database-url",
         f"sqlite:///{folder / 'diffrisk.db'}", "analyze", "--repo", str(trained.repo),
         "--name", NAME, "--base", "main", "--head", "feature", "--format", "json"],
        capture_output=True, text=True, check=False, cwd=Path(__file__).parents[2])
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []
    warm = trained.run("--base", "main", "--head", "feature", "--format", "json")
    assert without_timings(json.loads(proc.stdout)) == without_timings(as_json(warm))


def test_the_caches_change_nothing_in_the_report(trained: Trained, tmp_path: Path) -> None:
    warm = trained.run("--base", "main", "--head", "feature", "--format", "json")
    data = copied_store(trained, tmp_path)
    cached = [*data.glob("complexity/*/*.json"), *data.glob("models/*"),
              *data.glob("graphs/*/*.pagerank.json.gz")]
    assert len(cached) > 4
    for path in cached:
        path.unlink()
    cold = trained.run("--base", "main", "--head", "feature", "--format", "json", data=data)
    assert cold.exit_code == warm.exit_code
    assert without_timings(as_json(cold)) == without_timings(as_json(warm))
    assert list(data.glob("complexity/*/*.json"))
