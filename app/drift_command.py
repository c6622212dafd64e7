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
    lines.append(f"overall drift (mean PSI) {report.magnitude:.3f} vs threshold "
                 f"{report.threshold:.3f}: {verdict} ({report.n_reference} reference rows, "
                 f"{report.n_recent} recent rows)")
    return "\n".join(lines)


@click.command()
@click.option("--data", "data_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="CSV, e.g. from diffrisk mine.")
@click.option("--time-column", default="date", show_default=True, help="Column to order rows by.")
@click.option("--features", help="Comma-separated columns (default: every numeric column).")
@click.option("--recent-share", default=0.2, show_default=True,
              help="Newest share of rows compared with the older rest.")
@click.option("--threshold", type=float,
              help="Mean PSI above which retraining is due (default: setting drift_threshold).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@reports_errors
def drift(settings: Settings, data_path: Path, time_column: str, features: str | None,
          recent_share: float, threshold: float | None, as_json: bool) -> None:
    """Compare the newest rows of a CSV with the older ones: PSI and KS per feature."""
    # Imported here: NumPy and SciPy take a while to load, which no other command should pay.
    from app.drift_data import split_by_time  # noqa: PLC0415
    from models.drift import drift_report  # noqa: PLC0415

    names = [n.strip() for n in features.split(",") if n.strip()] if features else None
    reference, recent = split_by_time(data_path, time_column, names, recent_share)
    limit = threshold if threshold is not None else settings.drift_threshold
    report = drift_report(reference, recent, threshold=limit)
    click.echo(json.dumps(asdict(report), indent=2) if as_json else render(report))
