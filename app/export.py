"""Write the mined features of a repository as CSV, one row per commit, with the SZZ label."""

from __future__ import annotations

import csv
from typing import TextIO

from analyzers.catalogue import CHANGE_FEATURE_NAMES, KAMEI_NAMES
from app.storage.feature_store import FeatureStore

CSV_COLUMNS = ("id", "date", *KAMEI_NAMES,
               *(n for n in CHANGE_FEATURE_NAMES if n not in KAMEI_NAMES), "bug", "bug_known_at")


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 6)


def write_features_csv(store: FeatureStore, repository_id: int, out: TextIO,
                       include_merges: bool = False) -> int:
    """Write the CSV (id, date, Kamei features, other features, bug, and bug_known_at: when
    the first fix of a bug-inducing commit landed, empty otherwise); return the row count."""
    known = store.bug_known_at(repository_id)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for sha, when, features in store.iter_feature_rows(repository_id, include_merges):
        writer.writerow([sha, when, *(_plain(features[n]) for n in CSV_COLUMNS[2:-2]),
                         int(sha in known), known.get(sha, "")])
        rows += 1
    return rows
