"""`diffrisk train --kind bug|file_risk`: the file-level models of a mined repository, compared
with the production model of their kind on the same held-out rows, ready to register."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

import numpy as np

from app.storage.feature_store import FeatureStore
from app.storage.registry import ModelRegistry, Registration
from app.training_run import TrainingRunError, finite

FILE_KINDS = ("bug", "file_risk")
COMPARED_HORIZON = 30


def matrix_hash(*arrays: Any) -> str:
    """SHA-256 of the arrays' bytes."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def history_of(store: FeatureStore, repository: str) -> tuple[int, list[Any], set[str]]:
    """The repository id, its change records and its fix commits."""
    repository_id = store.repository_id(repository)
    if repository_id is None:
        raise TrainingRunError(f"no repository named {repository!r} in the store: run "
                               f"`diffrisk mine --name {repository}` first")
    fixes = {c.sha for c in store.commits(repository_id) if c.is_fix}
    return repository_id, store.change_records(repository_id), fixes


def comparison_with(registry: ModelRegistry, repository: str, kind: str, candidate_auc: float,
                    score: Any, window: tuple[float, float]) -> dict[str, Any]:
    """The production model's AUC on the candidate's held-out rows (empty when none)."""
    from models.metrics import roc_auc  # noqa: PLC0415

    production = registry.production(repository, kind)
    if production is None:
        return {}
    theirs = score(registry.load(repository, kind, production.version))
    return {"against": f"production {kind}@{production.version}",
            "against_version": production.version, "metric": "auc", "comparable": True,
            "candidate": finite(candidate_auc), "baseline": finite(roc_auc(*theirs)),
            "window": [int(window[0]), int(window[1])]}


def bug_registration(store: FeatureStore, registry: ModelRegistry,
                     repository: str) -> Registration:
    """Train the bug model (7, 15, 30 days) and compare it at 30 days."""
    from models.bug import (  # noqa: PLC0415
        BUG_OPTIONS,
        BugModel,
        bug_split,
        build_bug_data,
        train_bug_on,
    )

    _, records, fixes = history_of(store, repository)
    data = build_bug_data(records, fixes)
    model, metrics = train_bug_on(data)
    split = bug_split(data.times, data.last_time, COMPARED_HORIZON, BUG_OPTIONS)
    rows, labels = data.features[split.test], data.labels[COMPARED_HORIZON][split.test]
    window = (split.split_time, float(data.times[split.test].max()))
    headline = metrics[f"{COMPARED_HORIZON}d"]
    comparison = comparison_with(
        registry, repository, "bug", headline["auc"],
        lambda old: (labels, BugModel.from_json(old).score_horizon(rows, COMPARED_HORIZON)),
        window)
    return Registration(
        "bug", "boosted+linear", model.to_json(),
        {"auc": finite(headline["auc"]), "n_test": int(headline["n_test"]),
         "horizons": {h: {k: finite(v) for k, v in m.items()} for h, m in metrics.items()}},
        asdict(BUG_OPTIONS), list(model.feature_names),
        matrix_hash(data.features, data.times, *data.labels.values()),
        (int(data.times[0]), int(split.split_time)), (int(window[0]), int(window[1])),
        comparison)


def file_risk_registration(store: FeatureStore, registry: ModelRegistry,
                           repository: str) -> Registration:
    """Train the file-change risk model and compare it on the same held-out rows."""
    from models.file_risk import (  # noqa: PLC0415
        FILE_RISK_OPTIONS,
        FileRiskModel,
        LinkFact,
        build_file_risk_data,
        file_risk_split,
        train_file_risk_on,
    )

    repository_id, records, fixes = history_of(store, repository)
    links = [LinkFact(*link) for link in store.szz_links(repository_id)]
    data = build_file_risk_data(records, fixes, store.file_features(repository_id), links)
    model, metrics = train_file_risk_on(data)
    split = file_risk_split(data, FILE_RISK_OPTIONS)
    rows, labels = data.features[split.test], data.labels[split.test]
    window = (float(data.times[split.test].min()), float(data.times[split.test].max()))
    comparison = comparison_with(
        registry, repository, "file_risk", metrics["auc"],
        lambda old: (labels, FileRiskModel.from_json(old).score(rows)), window)
    return Registration(
        "file_risk", "boosted+linear", model.to_json(),
        {k: finite(v) for k, v in metrics.items()}, asdict(FILE_RISK_OPTIONS),
        list(model.feature_names), matrix_hash(data.features, data.labels, data.times),
        (int(data.times[0]), int(window[0])), (int(window[0]), int(window[1])), comparison)


def file_model_registration(store: FeatureStore, registry: ModelRegistry, repository: str,
                            kind: str) -> Registration:
    """The registration of one file-level model kind."""
    if kind == "bug":
        return bug_registration(store, registry, repository)
    return file_risk_registration(store, registry, repository)
