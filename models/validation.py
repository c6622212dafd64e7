"""The data validator run before every training: errors refuse, warnings are reported."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.stats import skew

from models.dataset import Dataset
from models.metrics import roc_auc

FloatArray = NDArray[np.float64]
MIN_ROWS = 50
MIN_PER_CLASS = 10
RARE_CLASS_SHARE = 0.05
MAX_MISSING_SHARE = 0.5
LEAK_AUC = 0.99
SKEWNESS = 5.0


class DataValidationError(ValueError):
    """Training data refused by the validator (one-line message saying what to do)."""


class TargetLeakError(DataValidationError):
    """A feature equals or reveals the target."""


@dataclass
class ValidationReport:
    """What the validator found: errors refuse training, warnings go with the result."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)


def check_size(data: Dataset, report: ValidationReport) -> None:
    """Enough rows overall and in each class; warn when one class is rare."""
    n_rows, positives = len(data.labels), int(data.labels.sum())
    if n_rows < MIN_ROWS:
        report.errors.append(f"only {n_rows} rows: need at least {MIN_ROWS} labelled changes")
        return
    if min(positives, n_rows - positives) < MIN_PER_CLASS:
        report.errors.append(f"{positives} positive and {n_rows - positives} negative rows: "
                             f"need at least {MIN_PER_CLASS} of each class")
    elif min(positives, n_rows - positives) / n_rows < RARE_CLASS_SHARE:
        report.warnings.append(f"class imbalance: positives are {positives / n_rows:.1%} of rows")


def check_duplicates(data: Dataset, report: ValidationReport) -> None:
    """Warn about rows whose features and label repeat an earlier row."""
    rows = np.column_stack([data.features, data.labels])
    duplicates = len(rows) - len(np.unique(rows, axis=0))
    if duplicates:
        report.warnings.append(f"{duplicates} duplicate rows ({duplicates / len(rows):.1%})")


def check_values(data: Dataset, report: ValidationReport) -> None:
    """Refuse infinite or mostly missing features; warn about missing, constant or skewed ones."""
    skewed = []
    for name, column in zip(data.names, data.features.T, strict=True):
        missing = float(np.isnan(column).mean())
        present = column[~np.isnan(column)]
        if np.isinf(present).any():
            report.errors.append(f"feature {name!r} has infinite values: fix or drop it")
        elif missing > MAX_MISSING_SHARE:
            report.errors.append(f"feature {name!r} is {missing:.0%} missing: leave it out")
        elif len(np.unique(present)) <= 1:
            report.warnings.append(f"feature {name!r} is constant: it carries no signal")
        else:
            if missing:
                report.warnings.append(f"feature {name!r} is {missing:.1%} missing "
                                       f"(filled with the median)")
            if abs(float(skew(present))) > SKEWNESS:
                skewed.append(name)
    if skewed:
        report.warnings.append(f"heavily skewed (log1p for the linear model): {', '.join(skewed)}")


def check_leaks(data: Dataset, report: ValidationReport) -> None:
    """Refuse a feature that copies the target or separates it almost perfectly."""
    for name, column in zip(data.names, data.features.T, strict=True):
        filled = np.nan_to_num(column, nan=np.nanmedian(column) if len(column) else 0.0)
        if np.array_equal(filled, data.labels) or np.array_equal(filled, 1 - data.labels):
            report.leaks.append(f"feature {name!r} is a copy of the target")
            continue
        auc = roc_auc(data.labels, filled)
        if max(auc, 1 - auc) >= LEAK_AUC:
            report.leaks.append(f"feature {name!r} predicts the target alone with AUC "
                                f"{max(auc, 1 - auc):.3f}")


def validate(data: Dataset) -> ValidationReport:
    """Run every check and collect its errors and warnings."""
    report = ValidationReport()
    check_size(data, report)
    if len(data.labels) and data.features.size:
        check_duplicates(data, report)
        check_values(data, report)
        if not report.errors:
            check_leaks(data, report)
    return report


def require_valid(data: Dataset) -> list[str]:
    """The warnings of valid data; raises a one-line error naming the first refusal."""
    report = validate(data)
    if report.leaks:
        raise TargetLeakError(f"target leak: {report.leaks[0]}: remove it from the features"
                              + more(report.leaks))
    if report.errors:
        raise DataValidationError(report.errors[0] + more(report.errors))
    return report.warnings


def more(problems: list[str]) -> str:
    """' (and N more problems)' when there are several."""
    return f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
