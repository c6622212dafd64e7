"""The `diffrisk drift` command: how far recent data moved from the data a model learned on."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app.cli_support import reports_errors
from app.settings import Settings

if TYPE_CHECKING:
    from models.drift import DriftReport


def render(report: DriftReport) -> str:
    """A table of the features, most drifted first, and the decision."""
    lines = [f"{'feature':16}{'PSI':>9}{'KS':>9}{'KS p':>11}"]
    lines += [f"{d.name:16}{d.psi:9.3f}{d.ks:9.3f}{d.ks_p_value:11.2g}" for d in report.features]
    verdict = "retrain" if report.retrain else "no retraining needed"
    if report.n_recent < report.min_recent:
        verdict = f"too few recent rows to judge ({report.n_recent} of {report.min_recent})"
    lines.append(f"overall drift (median PSI of the varying features) {report.magnitude:.3f} "
                 f"vs threshold {report.threshold:.3f}: {verdict} ({report.n_reference} "
                 f"reference rows, {report.n_recent} recent rows; mean PSI "
                 f"{report.mean_psi:.3f})")
    return "\n".join(lines)


@click.command()
@click.option("--data", "data_path", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV, e.g. from diffrisk mine.")
@click.option("--repository", help="A mined repository of the store: its changes newer than "
                                   "its models' data against the older ones.")
@click.option("--time-column", default="date", show_default=True,
              help="Column to order rows by (--data).")
@click.option("--features", help="Comma-separated columns (--data; default: every numeric one).")
@click.option("--recent-share", default=0.2, show_default=True,
              help="Newest share of rows compared with the older rest (--data).")
@click.option("--threshold", type=float,
              help="Median PSI above which retraining is due (default: setting "
                   "drift_threshold).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@reports_errors
def drift(settings: Settings, data_path: Path | None, repository: str | None, time_column: str,
          features: str | None, recent_share: float, threshold: float | None,
          as_json: bool) -> None:
    """Compare recent data with the data a model learned on: PSI and KS per feature."""
    if (data_path is None) == (repository is None):
        raise click.UsageError("pass either --data FILE.csv or --repository NAME")
    limit = threshold if threshold is not None else settings.drift_threshold
    if repository is not None:
        report = repository_drift(settings, repository, limit)
    else:
        assert data_path is not None
        report = csv_drift(data_path, time_column, features, recent_share, limit)
    click.echo(json.dumps(asdict(report), indent=2) if as_json else render(report))


def csv_drift(path: Path, time_column: str, features: str | None, recent_share: float,
              threshold: float) -> DriftReport:
    """The newest recent_share of a CSV's rows against the older ones."""
    # Imported here: NumPy and SciPy take a while to load, which no other command should pay.
    from app.drift_data import split_by_time  # noqa: PLC0415
    from models.drift import drift_report  # noqa: PLC0415

    names = [n.strip() for n in features.split(",") if n.strip()] if features else None
    reference, recent = split_by_time(path, time_column, names, recent_share)
    return drift_report(reference, recent, threshold=threshold)


def repository_drift(settings: Settings, name: str, threshold: float) -> DriftReport:
    """A mined repository's changes newer than its models' data against the older ones."""
    from app.analysis.retraining import drift_since_training  # noqa: PLC0415
    from app.storage.database import open_store  # noqa: PLC0415
    from app.storage.feature_store import FeatureStore  # noqa: PLC0415
    from app.storage.registry import ModelRegistry  # noqa: PLC0415

    engine = open_store(settings.store_url)
    return drift_since_training(FeatureStore(engine), ModelRegistry(engine), name, threshold)
