"""The `train` command: JSON keys, the readable table, one-line errors for bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.cli import main
from app.train_command import result_json
from models.training import TrainingResult
from tests.synthetic import write_synthetic_csv

KEYS = {"auc", "pr_auc", "f1", "precision", "recall", "mcc", "recall_at_top10",
        "recall_at_top20", "recall_at_20pct_effort", "popt", "brier", "ece", "n_train",
        "n_test", "model", "warnings"}


def run(*args: str) -> Result:
    """Invoke the command in-process."""
    return CliRunner().invoke(main, ["train", *args])


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic training CSV with a text column."""
    path = tmp_path_factory.mktemp("train") / "changes.csv"
    return write_synthetic_csv(path, 240, extra={"author": [f"dev{i % 7}" for i in range(240)]})


def test_json_has_every_metric(csv_path: Path) -> None:
    result = run("--data", str(csv_path), "--target", "bug", "--time-column", "date",
                 "--features", "la,ld,lt,nf,noise", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) >= KEYS
    assert (report["n_train"], report["n_test"]) == (192, 48)


def test_table_without_json(csv_path: Path) -> None:
    result = run("--data", str(csv_path), "--target", "bug", "--time-column", "date",
                 "--test-size", "0.25")
    assert result.exit_code == 0, result.output
    assert "180 train (past), 60 test (future)" in result.output
    assert "popt" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (("--target", "bug", "--time-column", "when"), "column 'when' is not in the CSV"),
    (("--target", "author", "--time-column", "date"), "target 'author' is not numeric"),
    (("--target", "bug", "--time-column", "date", "--features", "la,author"),
     "feature 'author' is not numeric"),
])
def test_bad_input_is_one_line_and_exit_2(csv_path: Path, args: tuple[str, ...],
                                          message: str) -> None:
    result = CliRunner().invoke(main, ["train", "--data", str(csv_path), *args], env={})
    assert result.exit_code == 2 and result.stderr.startswith("error: ")
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_too_few_rows_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = write_synthetic_csv(tmp_path / "small.csv", 30)
    result = CliRunner().invoke(main, ["train", "--data", str(path), "--target", "bug",
                                       "--time-column", "date"], env={})
    assert result.exit_code == 2 and "only 30 rows" in result.stderr


def test_undefined_metrics_are_json_null() -> None:
    result = TrainingResult("forest", "platt", 0.5, {"forest": 0.7}, {"auc": math.nan}, 80, 20,
                            ("la",))
    assert json.loads(json.dumps(result_json(result)))["auc"] is None


def test_empty_feature_list_is_a_usage_error(csv_path: Path) -> None:
    result = run("--data", str(csv_path), "--target", "bug", "--time-column", "date",
                 "--features", " , ")
    assert result.exit_code == 2
    assert "--features" in result.output
