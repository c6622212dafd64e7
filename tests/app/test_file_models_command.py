"""`diffrisk train --kind bug|file_risk` on a mined generated history: train, register, compare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.cli import main
from tests.gitbuild import RepoBuilder
from tests.szz_truth import generate_history


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A generated history with known bugs and fixes, mined into a SQLite store."""
    root = tmp_path_factory.mktemp("filemodels")
    generate_history(RepoBuilder(root / "repo"), seed=3, steps=230)
    url = f"sqlite:///{root / 'store.db'}"
    result = CliRunner().invoke(main, ["--database-url", url, "mine", "--repo",
                                       str(root / "repo"), "--name", "gen"])
    assert result.exit_code == 0, result.output
    return url, root


def run(url: str, *args: str) -> Result:
    """Invoke diffrisk in-process against the store."""
    return CliRunner().invoke(main, ["--database-url", url, *args])


@pytest.mark.parametrize("kind", ["bug", "file_risk"])
def test_file_models_are_registered_and_compared(mined: tuple[str, Path], kind: str) -> None:
    url, root = mined
    saved = root / f"{kind}.json"
    first = run(url, "train", "--repository", "gen", "--kind", kind, "--register", "--save",
                str(saved), "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["registered"]["kind"] == kind and report["auc"] > 0.5
    assert json.loads(saved.read_text())["format"] == f"diffrisk.{kind}/1"
    if kind == "bug":
        assert set(report["horizons"]) == {"7d", "15d", "30d"}
    version = report["registered"]["version"]
    assert run(url, "models", "promote", version, "--repository", "gen", "--kind",
               kind).exit_code == 0
    second = json.loads(run(url, "train", "--repository", "gen", "--kind", kind, "--register",
                            "--json").output)
    assert second["comparison"]["against_version"] == version
    assert second["comparison"]["baseline"] == pytest.approx(second["auc"])
    listed = run(url, "models", "list", "--repository", "gen", "--kind", kind).output
    assert f"{kind}@{version}" in listed and "production" in listed


def test_file_models_need_a_mined_repository(mined: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = mined
    result = run(url, "train", "--kind", "bug", "--data", str(tmp_path / "x.csv"))
    assert result.exit_code == 2
    assert "--kind bug learns from a mined repository" in result.output
