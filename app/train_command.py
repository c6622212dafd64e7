"""The `diffrisk train` command: validate the data, train on the past, report on the future,
compare, register and save."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from app.cli_support import reports_errors
from app.file_models_run import FILE_KINDS, file_model_registration
from app.settings import Settings
from app.storage.database import open_store
from app.storage.feature_store import FeatureStore
from app.storage.registry import ModelRegistry
from app.training_run import (
    compare_on_window,
    log_to_mlflow,
    reference_model,
    registration,
    save_model,
    store_columns,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from models.dataset import Dataset
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
@click.option("--data", "data_paths", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="CSV, one row per change (repeat to train across projects).")
@click.option("--repository", help="Train on a mined repository of the store (and register "
                                    "under it).")
@click.option("--target", default="bug", show_default=True, help="0/1 label column.")
@click.option("--time-column", default="date", show_default=True,
              help="Column ordering rows in time.")
@click.option("--features", help="Comma-separated feature columns (default: every numeric one).")
@click.option("--test-size", default=0.2, show_default=True, type=float,
              help="Share of the newest rows kept for the test.")
@click.option("--label-time-column",
              help="When each positive label became known, for verification latency "
                   "(default: bug_known_at, when the data has it).")
@click.option("--tune", "tune_seconds", type=float,
              help="Tune XGBoost with Optuna for this many seconds (needs diffrisk[tune]).")
@click.option("--register", is_flag=True,
              help="Record the model in the registry (under --repository, else as a "
                   "cross-project model).")
@click.option("--save", "save_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the model as JSON (.json.gz compresses it).")
@click.option("--kind", type=click.Choice(["risk", *FILE_KINDS]), default="risk",
              show_default=True,
              help="risk: per change; bug: per file, fix within 7/15/30 days; file_risk: per "
                   "file change (bug and file_risk need --repository).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
@reports_errors
def train(settings: Settings, data_paths: tuple[Path, ...], repository: str | None,
          target: str, time_column: str, features: str | None, test_size: float,
          label_time_column: str | None, tune_seconds: float | None, register: bool,
          save_path: Path | None, kind: str, as_json: bool) -> None:
    """Train on the past, choose by time-series CV, report calibrated metrics on the future."""
    # Imported here: scikit-learn and XGBoost take a second to load, which no other command
    # should pay at start-up.
    from models.training import TrainingOptions, train_and_evaluate  # noqa: PLC0415

    if kind != "risk":
        train_file_model(settings, repository, kind, data_paths, register, save_path, as_json)
        return
    store = open_store(settings.store_url) if repository or register else None
    data = read_training_data(store, data_paths, repository, target, time_column,
                              parse_features(features), label_time_column)
    tuned = (tuned_params(data, test_size, tune_seconds) if tune_seconds is not None
             else None)
    options = TrainingOptions(test_size=test_size, xgboost_params=tuned)
    result = train_and_evaluate(data, options)
    registry = ModelRegistry(store) if store is not None else None
    reference = reference_model(registry, repository)
    comparison = ({} if reference is None else
                  compare_on_window(data, result, *reference))
    record = registration(data, result, options, comparison)
    output = result_json(result)
    output["comparison"] = comparison
    if save_path is not None:
        save_model(record.model, save_path)
    if register and registry is not None:
        entry = registry.register(repository, record)
        output["registered"] = {"kind": entry.kind, "version": entry.version,
                                "status": entry.status}
    if settings.mlflow_tracking_uri:
        output["mlflow_run"] = log_to_mlflow(settings.mlflow_tracking_uri, record,
                                             f"risk {repository or 'cross-project'}")
    click.echo(json.dumps(output, indent=2) if as_json else
               result_table(result) + extra_lines(output))


def train_file_model(settings: Settings, repository: str | None, kind: str,
                     data_paths: tuple[Path, ...], register: bool, save_path: Path | None,
                     as_json: bool) -> None:
    """Train, compare, save and register a file-level model of a mined repository."""
    if repository is None or data_paths:
        raise click.UsageError(f"--kind {kind} learns from a mined repository: give "
                               "--repository NAME and no --data")
    engine = open_store(settings.store_url)
    registry = ModelRegistry(engine)
    record = file_model_registration(FeatureStore(engine), registry, repository, kind)
    output: dict[str, Any] = {**record.metrics, "kind": kind, "comparison": record.comparison}
    if save_path is not None:
        save_model(record.model, save_path)
    if register:
        entry = registry.register(repository, record)
        output["registered"] = {"kind": entry.kind, "version": entry.version,
                                "status": entry.status}
    if as_json:
        click.echo(json.dumps(output, indent=2))
        return
    lines = [f"{kind:12} auc {output['auc']:.3f} on {int(output['n_test'])} held-out rows"]
    lines += [f"{horizon:>12} auc {m['auc']:.3f}, pr_auc {m['pr_auc']:.3f}, "
              f"recall_at_top20 {m['recall_at_top20']:.3f}"
              for horizon, m in output.get("horizons", {}).items()]
    click.echo("\n".join(lines) + extra_lines(output))


def read_training_data(store: Engine | None, data_paths: tuple[Path, ...],
                       repository: str | None, target: str, time_column: str,
                       features: list[str] | None, label_time_column: str | None) -> Dataset:
    """The rows to learn from: the CSVs given, else the mined repository."""
    from models.dataset import (  # noqa: PLC0415
        concatenate_columns,
        dataset_from_columns,
        read_columns,
    )

    if data_paths:
        columns = concatenate_columns([read_columns(p) for p in data_paths],
                                      [str(p) for p in data_paths])
    elif repository and store is not None:
        columns = store_columns(FeatureStore(store), repository)
    else:
        raise click.UsageError("give --data FILE.csv or --repository NAME")
    return dataset_from_columns(columns, target, time_column, features,
                                label_time_column or DEFAULT_LABEL_TIME,
                                require_label_time=label_time_column is not None)


def tuned_params(data: Dataset, test_size: float, seconds: float) -> dict[str, Any]:
    """XGBoost hyperparameters tuned by time-series CV on the training rows only."""
    from models.dataset import time_split  # noqa: PLC0415
    from models.features import add_derived  # noqa: PLC0415
    from models.tuning import tune_xgboost  # noqa: PLC0415

    if seconds <= 0:
        raise click.BadParameter("give a positive number of seconds", param_hint="--tune")
    train_rows, _ = time_split(len(data.labels), test_size)
    features, _ = add_derived(data.features[train_rows], data.names)
    return dict(tune_xgboost(features, data.labels[train_rows], seconds, seed=0).params)


def extra_lines(output: dict[str, Any]) -> str:
    """The comparison and registration lines of the table report."""
    lines = []
    comparison = output.get("comparison") or {}
    if comparison.get("comparable"):
        lines.append(f"compared     auc {comparison['candidate']:.3f} against "
                     f"{comparison['baseline']:.3f} of {comparison['against']} "
                     "on the same held-out rows")
    elif comparison:
        lines.append(f"compared     not comparable with {comparison['against']}: "
                     f"{comparison['reason']}")
    if "registered" in output:
        registered = output["registered"]
        lines.append(f"registered   {registered['kind']}@{registered['version']} "
                     f"({registered['status']})")
    if "mlflow_run" in output:
        lines.append(f"mlflow       run {output['mlflow_run']}")
    return "".join("\n" + line for line in lines)
