"""The `diffrisk train` command: validate a CSV, train on the past, report on the future."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from app.cli_support import reports_errors

if TYPE_CHECKING:
    from models.training import TrainingResult

DEFAULT_LABEL_TIME = "bug_known_at"
TABLE_METRICS = ("auc", "pr_auc", "f1", "precision", "recall", "mcc", "recall_at_top10",
                 "recall_at_top20", "recall_at_20pct_effort", "popt", "brier", "ece")


def parse_features(text: str | None) -> list[str] | None:
    """The --features list, or None for every numeric column."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise click.BadParameter("give at least one column name", param_hint="--features")
    return names


def finite_or_none(value: float) -> float | None:
    """The value, or None (JSON null) when it is NaN."""
    return None if math.isnan(value) else value


def result_json(result: TrainingResult) -> dict[str, Any]:
    """The JSON object printed by --json (undefined metrics as null)."""
    metrics = {name: finite_or_none(value) for name, value in result.metrics.items()}
    return {**metrics, "n_train": result.n_train, "n_test": result.n_test,
            "model": result.model, "calibration": result.calibration,
            "threshold": result.threshold,
            "cv_auc": {name: finite_or_none(v) for name, v in result.cv_auc.items()},
            "features": list(result.features), "warnings": result.warnings,
            "latency_window_days": result.latency_window_days,
            "held_back": result.held_back,
            "labels_not_yet_known": result.labels_not_yet_known}


def result_table(result: TrainingResult) -> str:
    """A readable report: model, sizes, test metrics, warnings."""
    lines = [f"model        {result.model} (calibration: {result.calibration}, "
             f"threshold {result.threshold:.3f})",
             f"rows         {result.n_train} train (past), {result.n_test} test (future)",
             "cv auc       " + ", ".join(f"{k} {v:.3f}" for k, v in result.cv_auc.items())]
    if result.latency_window_days is not None:
        lines.append(f"latency      labels as known at the split; {result.held_back} rows of the "
                     f"last {result.latency_window_days:.0f} days before it held back, "
                     f"{result.labels_not_yet_known} bugs not yet known then counted as clean")
    lines += [f"{name:24} {result.metrics[name]:.3f}"
              for name in TABLE_METRICS if name in result.metrics]
    lines += [f"warning: {text}" for text in result.warnings]
    return "\n".join(lines)


@click.command()
@click.option("--data", "data_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="CSV, one row per change.")
@click.option("--target", required=True, help="0/1 label column, e.g. bug.")
@click.option("--time-column", required=True, help="Column ordering rows in time.")
@click.option("--features", help="Comma-separated feature columns (default: every numeric one).")
@click.option("--test-size", default=0.2, show_default=True, type=float,
              help="Share of the newest rows kept for the test.")
@click.option("--label-time-column",
              help="When each positive label became known, for verification latency "
                   "(default: bug_known_at, when the CSV has it).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@reports_errors
def train(data_path: Path, target: str, time_column: str, features: str | None,
          test_size: float, label_time_column: str | None, as_json: bool) -> None:
    """Train on the past, choose by time-series CV, report calibrated metrics on the future."""
    # Imported here: scikit-learn and XGBoost take a second to load, which no other command
    # should pay at start-up.
    from models.dataset import load_dataset  # noqa: PLC0415
    from models.training import TrainingOptions, train_and_evaluate  # noqa: PLC0415

    data = load_dataset(data_path, target, time_column, parse_features(features),
                        label_time_column or DEFAULT_LABEL_TIME,
                        require_label_time=label_time_column is not None)
    result = train_and_evaluate(data, TrainingOptions(test_size=test_size))
    click.echo(json.dumps(result_json(result), indent=2) if as_json else result_table(result))
