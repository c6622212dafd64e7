"""When a repository's models are due for training: when there are none yet, or when the
changes mined since they were trained have drifted from the ones they learned on (the median PSI
of the risk model's varying features above the drift threshold, as `diffrisk drift` reports
it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analyzers.git import GitRepo
from app.analysis.history import MinedHistory
from app.analysis.training import TrainingStep, too_short, train_repository_models, trained_on
from app.storage.feature_store import FeatureStore
from app.storage.locks import learning_lock
from app.storage.registry import ModelRegistry
from app.training_run import TrainingRunError, store_columns
from models.drift import MIN_RECENT_ROWS, DriftReport, drift_report

# Whatever the drift, models that learned on less than two thirds of today's history are
# retrained: the labels of their newest changes were not known yet.
STALE_GROWTH = 0.5
TIME_COLUMN = "date"


@dataclass(frozen=True)
class TrainingDue:
    """Whether to train now, why (one line), the drift that decided it (if measured), and
    whether the history is long enough to learn from at all."""

    due: bool
    reason: str
    drift: DriftReport | None = None
    learnable: bool = True


def drift_since_training(store: FeatureStore, registry: ModelRegistry, name: str,
                         threshold: float) -> DriftReport:
    """Drift of the changes mined after the newest models' data from the changes before."""
    from app.drift_data import split_at_time  # noqa: PLC0415

    versions = registry.versions(name)
    if not versions:
        raise TrainingRunError(f"no model of {name!r} is trained yet: run `diffrisk analyze` "
                               "or `diffrisk train --repository` first")
    cutoff = max(entry.test_window[1] for entry in versions)
    columns = store_columns(store, name)
    risk = [entry for entry in versions if entry.kind == "risk"]
    features = [f for f in risk[-1].features if f in columns] if risk else None
    reference, recent = split_at_time(columns, TIME_COLUMN, features or None, cutoff,
                                      f"the store's rows of {name}")
    if not len(next(iter(recent.values()))):
        raise TrainingRunError(f"no change of {name!r} is newer than its models' data: "
                               "mine the new commits first")
    return drift_report(reference, recent, threshold=threshold)


def training_due(engine: Any, history: MinedHistory, threshold: float,
                 judge_drift: bool = True) -> TrainingDue:
    """Train when no model exists yet, when enough new changes drifted past the threshold, or
    when the history grew by half. judge_drift=False (nothing new was mined, so the last
    judgement stands) skips the drift, which reads the whole history."""
    short = too_short(history)
    if short is not None:
        return TrainingDue(False, f"not trained: {short}", learnable=False)
    registry = ModelRegistry(engine)
    before = trained_on(registry, history.name)
    if before is None:
        return TrainingDue(True, "no models trained yet")
    new = history.commit_count - before
    if new < MIN_RECENT_ROWS:
        return TrainingDue(False, f"models are current ({new} changes since they were "
                                  f"trained; drift is judged from {MIN_RECENT_ROWS})")
    stale = new >= STALE_GROWTH * before
    growth = (f"the history grew by {new / max(before, 1):.0%} since the models were trained "
              f"(retrained from {STALE_GROWTH:.0%})")
    if not judge_drift:
        return TrainingDue(stale, growth if stale else "models are current (no new change mined: "
                                                         "drift is judged when new ones are)")
    try:
        report = drift_since_training(FeatureStore(engine), registry, history.name, threshold)
    except TrainingRunError as error:
        return TrainingDue(stale, growth if stale else f"models are current: {error}")
    if report.n_recent < MIN_RECENT_ROWS:
        return TrainingDue(stale, growth if stale else (
            f"models are current ({report.n_recent} changes newer than their data; drift is "
            f"judged from {MIN_RECENT_ROWS})"))
    sentence = drift_sentence(report)
    return TrainingDue(report.retrain or stale,
                       sentence if report.retrain or not stale else f"{sentence}; {growth}",
                       report)


def learn_when_due(engine: Any, repo: GitRepo, history: MinedHistory, threshold: float, *,
                   retrain: bool = False, judge_drift: bool = True,
                   on_train: Callable[[str], None] = lambda why: None,
                   on_step: Callable[[str], None] = lambda kind: None,
                   ) -> tuple[TrainingDue, list[TrainingStep] | None]:
    """Under the repository's learning lock (another process may be training it: wait, then
    judge), whether training is due, and the training when it is or `retrain` asks for it
    (None when nothing was trained); on_train hears why just before it starts. A requested
    retraining skips the drift, which reads the whole history."""
    with learning_lock(engine, history.name):
        due = training_due(engine, history, threshold, judge_drift=judge_drift and not retrain)
        if not due.learnable or not (retrain or due.due):
            return due, None
        on_train("on request" if retrain else due.reason)
        return due, train_repository_models(engine, repo, history, on_step)


def drift_sentence(report: DriftReport) -> str:
    """The drift decision in one line: how many features moved past the threshold (the
    magnitude is their median), and the three that moved most."""
    verdict = "over" if report.retrain else "within"
    varying = [d for d in report.features if d.name in report.varying]
    past = sum(1 for d in varying if d.psi > report.threshold)
    most = ", ".join(f"{d.name} {d.psi:.2f}" for d in varying[:3])
    return (f"drift {report.magnitude:.3f} {verdict} the threshold {report.threshold:.2f}: "
            f"{past} of {len(varying)} features moved past it ({report.n_recent} new changes "
            f"against {report.n_reference}; most: {most})")
