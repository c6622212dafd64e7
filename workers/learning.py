"""Keeping a repository's knowledge current: mirror, mine the default branch (labels by SZZ),
and train its models when they are missing, when the new changes drifted from the ones they
learned on, or on request."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from analyzers.git import GitRepo
from app.analysis.history import load_history
from app.analysis.retraining import learn_when_due
from app.analysis.run import describe_training
from app.mining import mine_repository
from app.storage.feature_store import FeatureStore
from workers.context import WorkerContext
from workers.mirror import sync_mirror

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepositorySource:
    """Where an installed repository's history comes from."""

    installation_id: int
    repository: str
    clone_url: str
    default_branch: str


def learn_repository(ctx: WorkerContext, source: RepositorySource, after_sha: str | None = None,
                     retrain: bool = False) -> str:
    """Mirror and mine the default branch; train when due (or asked). What happened."""
    path = sync_mirror(ctx.settings, source.installation_id, source.repository,
                       source.clone_url, ctx.token(source.installation_id), after_sha)
    repo = GitRepo(path)
    mined = mine_repository(ctx.engine, ctx.settings, repo, rev=source.default_branch,
                            name=source.repository, allow_no_fixes=True)
    history = load_history(FeatureStore(ctx.engine), source.repository)
    summary = f"mined {mined.new_commits} new commits ({mined.total_commits} in all)"
    due, steps = learn_when_due(
        ctx.engine, repo, history, ctx.settings.drift_threshold, retrain=retrain,
        on_train=lambda why: log.info("%s: %s; training: %s", source.repository, summary, why))
    if steps is None:
        log.info("%s: %s; %s", source.repository, summary, due.reason)
        return f"{summary}; {due.reason}"
    trained = "; ".join(describe_training(steps))
    log.info("%s: %s", source.repository, trained)
    why = "on request" if retrain else due.reason
    return f"{summary}; trained ({why}): {trained}"
