"""Learning a repository's own models for the analysis: when to (re)train, and each kind trained,
registered and promoted by the registry's own rule (it must beat what it would replace).

All kinds are trained together from the same mined history, the health meta-learner last, on
the scores of the production models the others just became (or stayed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from analyzers.git import GitRepo
from app.analysis.component_models import (
    anomaly_registration,
    impact_registration,
    impact_rows,
)
from app.analysis.health_model import ComponentRows, health_registration
from app.analysis.history import MinedHistory
from app.analysis.model_set import load_models
from app.file_models_run import file_model_registration
from app.storage.feature_store import FeatureStore
from app.storage.registry import ModelRegistry, Registration, RegistryError
from app.training_run import (
    TrainingRunError,
    compare_on_window,
    reference_model,
    registration,
    store_columns,
)

MIN_CHANGES = 150  # a shorter history uses the shipped risk model and skips the others
MIN_FIXES = 15
TRAINED_ON = "history_changes"
KINDS_IN_ORDER = ("risk", "bug", "file_risk", "anomaly", "impact", "health")


@dataclass(frozen=True)
class TrainingStep:
    """What became of one kind: the version registered (if any), its status and why."""

    kind: str
    version: str | None
    status: str
    note: str = ""


def too_short(history: MinedHistory) -> str | None:
    """Why the history is too short to learn from, or None."""
    fixes = sum(1 for r in history.records if r.sha in history.fixes)
    if history.commit_count < MIN_CHANGES or fixes < MIN_FIXES:
        return (f"{history.commit_count} changes and {fixes} fixes mined (at least "
                f"{MIN_CHANGES} and {MIN_FIXES} to learn from)")
    return None


def trained_on(registry: ModelRegistry, name: str) -> int | None:
    """How many changes the newest trained models learned from (None: never trained)."""
    versions = registry.versions(name)
    if not versions:
        return None
    return int(max(versions, key=lambda e: e.id).hyperparameters.get(TRAINED_ON, 0))


def register_and_promote(registry: ModelRegistry, name: str, record: Registration,
                         changes: int) -> TrainingStep:
    """Register a model (recording the history size) and promote it when the rule allows."""
    record = replace(record, hyperparameters={**record.hyperparameters, TRAINED_ON: changes})
    entry = registry.register(name, record)
    if entry.status != "validated":
        problems = entry.comparison.get("validation_problems") or []
        return TrainingStep(record.kind, entry.version, entry.status, "; ".join(problems))
    try:
        promoted = registry.promote(name, record.kind, entry.version)
    except RegistryError as error:
        return TrainingStep(record.kind, entry.version, entry.status, str(error))
    return TrainingStep(record.kind, promoted.version, promoted.status)


def risk_record(store: FeatureStore, registry: ModelRegistry, name: str) -> Registration:
    """The change-level risk model, compared with production or the shipped model."""
    from models.dataset import dataset_from_columns  # noqa: PLC0415
    from models.training import TrainingOptions, train_and_evaluate  # noqa: PLC0415

    data = dataset_from_columns(store_columns(store, name), "bug", "date", None,
                                "bug_known_at")
    options = TrainingOptions()
    result = train_and_evaluate(data, options)
    reference = reference_model(registry, name)
    comparison = {} if reference is None else compare_on_window(data, result, *reference)
    return registration(data, result, options, comparison)


def component_rows(store: FeatureStore, history: MinedHistory, models: Any,
                   impact: dict[str, tuple[float, ...]]) -> ComponentRows:
    """Every change's inputs to the production models, for fitting the meta-learner."""
    from models.dataset import dataset_from_columns  # noqa: PLC0415
    from models.file_history import feature_matrix, replay  # noqa: PLC0415

    columns = store_columns(store, history.name)
    data = dataset_from_columns(columns, "bug", "date", None, "bug_known_at")
    order = np.argsort(np.array(columns["date"], dtype=np.float64), kind="stable")
    shas = [columns["id"][i] for i in order]
    _, file_rows = replay(history.records, set(history.fixes))
    grouped: dict[str, list[Any]] = {}
    for row in file_rows:
        grouped.setdefault(row.sha, []).append(row)
    anomaly_names = models.anomaly.feature_names if models.anomaly is not None else ()
    known = data.known_at if data.known_at is not None else np.full(len(data.times), np.nan)
    return ComponentRows(
        shas, data.features[:, [data.names.index(n) for n in models.risk.inputs]],
        data.labels, data.times, known,
        {sha: feature_matrix(rows) for sha, rows in grouped.items()},
        data.features[:, [data.names.index(n) for n in anomaly_names]], impact)


def health_record(store: FeatureStore, registry: ModelRegistry, history: MinedHistory,
                  impact: dict[str, tuple[float, ...]]) -> Registration:
    """The health meta-learner over the production models, loaded once."""
    models = load_models(registry, history.name).models
    return health_registration(registry, history.name, models,
                               component_rows(store, history, models, impact))


def train_repository_models(engine: Any, repo: GitRepo, history: MinedHistory,
                            on_step: Callable[[str], None] = lambda kind: None,
                            ) -> list[TrainingStep]:
    """Train, register and (where they win) promote every kind, in KINDS_IN_ORDER."""
    store, registry = FeatureStore(engine), ModelRegistry(engine)
    changes = history.commit_count
    impact: dict[str, tuple[float, ...]] = {}

    def impact_record() -> Registration:
        rows, _ = impact_rows(repo, history)
        impact.update({history.records[row.index].sha: row.features for row in rows})
        return impact_registration(registry, history, rows)

    builders: dict[str, Callable[[], Registration]] = {
        "risk": lambda: risk_record(store, registry, history.name),
        "bug": lambda: file_model_registration(store, registry, history.name, "bug"),
        "file_risk": lambda: file_model_registration(store, registry, history.name,
                                                     "file_risk"),
        "anomaly": lambda: anomaly_registration(store, registry, history),
        "impact": impact_record,
        "health": lambda: health_record(store, registry, history, impact)}
    steps = []
    for kind in KINDS_IN_ORDER:
        on_step(kind)
        try:
            steps.append(register_and_promote(registry, history.name, builders[kind](),
                                              changes))
        except (ValueError, TrainingRunError) as error:
            steps.append(TrainingStep(kind, None, "not trained", str(error).splitlines()[0]))
    return steps
