"""Verification latency: a change's bug is known only once a fix lands, so training at a split
date may use only the labels known by then, and the newest changes, whose bugs may not be found
yet, stay out of the clean class."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from models.dataset import Dataset

DAY = 86_400.0
# The window held back before the split: this quantile of the fix delays seen in training.
DEFAULT_QUANTILE = 0.5


@dataclass(frozen=True)
class LabelsAsOf:
    """Training labels as known at the split date, and which rows may train."""

    labels: NDArray[np.int64]
    keep: NDArray[np.bool_]
    window_days: float | None
    held_back: int
    not_yet_known: int


def labels_as_of(train: Dataset, split_time: float,
                 quantile: float = DEFAULT_QUANTILE) -> LabelsAsOf:
    """Positives whose fix landed before the split keep their label; others count as clean,
    except the rows of the last window before the split (the quantile of known fix delays),
    which are held back because their bugs may simply not be found yet."""
    everything = np.ones(len(train.labels), dtype=bool)
    if train.known_at is None:
        return LabelsAsOf(train.labels, everything, None, 0, 0)
    positive = train.labels == 1
    known = positive & (train.known_at < split_time)
    delays = (train.known_at - train.times)[known]
    window = float(np.quantile(delays, quantile)) if delays.size else 0.0
    held = ~known & (train.times >= split_time - window)
    return LabelsAsOf(known.astype(np.int64), everything & ~held, window / DAY,
                      int(held.sum()), int((positive & ~known).sum()))
