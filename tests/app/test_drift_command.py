"""`diffrisk drift` on CSVs whose newest rows did or did not move."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from app.cli import main


def write_csv(path: Path, shift_recent: float, rows: int = 1000) -> Path:
    rng = np.random.default_rng(3)
    la = rng.exponential(20, rows)
    la[int(rows * 0.8):] *= shift_recent
    nf = rng.poisson(3, rows)
    lines = ["id,date,la,nf,bug"] + [f"c{i},{1_600_000_000 + i * 3600},{la[i]:.3f},{nf[i]},"
                                     f"{i % 2}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def drift(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["drift", *args], env=env or {})


def test_stable_data_needs_no_retraining(tmp_path: Path) -> None:
    result = drift("--data", str(write_csv(tmp_path / "f.csv", 1.0)), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["retrain"] is False and report["threshold"] == 0.15
    assert {f["name"] for f in report["features"]} == {"la", "nf"}  # id, date, bug left out
    assert (report["n_reference"], report["n_recent"]) == (800, 200)


def test_shifted_data_calls_for_retraining(tmp_path: Path) -> None:
    result = drift("--data", str(write_csv(tmp_path / "f.csv", 5.0)))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].startswith("la ")
    assert "retrain (" in result.stdout.splitlines()[-1]


def test_too_few_recent_rows_are_not_judged(tmp_path: Path) -> None:
    result = drift("--data", str(write_csv(tmp_path / "f.csv", 5.0, rows=300)))
    assert result.exit_code == 0, result.output
    assert "too few recent rows to judge (60 of 100)" in result.stdout.splitlines()[-1]


def test_threshold_from_settings_and_flag(tmp_path: Path) -> None:
    data = str(write_csv(tmp_path / "f.csv", 5.0))
    relaxed = drift("--data", data, "--json", env={"DIFFRISK_DRIFT_THRESHOLD": "100"})
    assert json.loads(relaxed.stdout)["retrain"] is False
    assert json.loads(drift("--data", data, "--json", "--threshold", "0.01").stdout)["retrain"]


@pytest.mark.parametrize(("args", "message"), [
    (["--time-column", "when"], "time column 'when' is not in"),
    (["--features", "la,nope"], "column 'nope' is not in"),
    (["--recent-share", "1.5"], "--recent-share must be between 0 and 1"),
])
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = drift("--data", str(write_csv(tmp_path / "f.csv", 1.0)), *args)
    assert result.exit_code == 2 and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_too_few_rows_and_missing_file(tmp_path: Path) -> None:
    assert "too few rows" in drift("--data", str(write_csv(tmp_path / "f.csv", 1.0, 3))).stderr
    missing = drift("--data", str(tmp_path / "none.csv"))
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


@pytest.mark.parametrize("args", [[], ["--data", "f.csv", "--repository", "octo/demo"]])
def test_one_source_of_data_is_asked_for(args: list[str]) -> None:
    result = drift(*args)
    assert result.exit_code == 2
    assert "pass either --data FILE.csv or --repository NAME" in result.stderr
