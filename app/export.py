"""Write the mined features of a repository as CSV, one row per commit, with the SZZ label."""

from __future__ import annotations

import csv
from typing import TextIO

from analyzers.catalogue import CHANGE_FEATURE_NAMES, KAMEI_NAMES
from app.storage.feature_store import FeatureStore

CSV_COLUMNS = ("id", "date", *KAMEI_NAMES,
               *(n for n in CHANGE_FEATURE_NAMES if n not in KAMEI_NAMES), "bug")


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 6)


def write_features_csv(store: FeatureStore, repository_id: int, out: TextIO,
                       include_merges: bool = False) -> int:
    """Write the CSV (id, date, Kamei features, other features, bug); return the row count."""
    bug = store.bug_inducing(repository_id)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for sha, when, features in store.iter_feature_rows(repository_id, include_merges):
        writer.writerow([sha, when, *(_plain(features[n]) for n in CSV_COLUMNS[2:-1]),
                         int(sha in bug)])
        rows += 1
    return rows
