"""Retraining when drift says so: a repository's models are trained on 220 commits; the next
100 of the same kind of work and 110 commits of a very different kind are mined, and the drift
of each against the trained-on changes decides (on SQLite; the worker test runs it end to end)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from analyzers.git import GitRepo
from app.analysis.history import load_history
from app.analysis.retraining import TrainingDue, drift_sentence, training_due
from app.analysis.training import train_repository_models
from app.cli import main
from app.mining import mine_repository
from app.settings import Settings
from app.storage.database import open_store
from app.storage.feature_store import FeatureStore
from models.drift import MIN_RECENT_ROWS, drift_report
from tests.gitbuild import RepoBuilder
from tests.history_repo import build_long_history, different_work

NAME = "drifting"
TRAINED, SAME, OTHER = 220, 320, 430  # commits on main at each stage


@dataclass(frozen=True)
class Stages:
    """The repository, the sha after each stage, and a store trained at the first."""

    builder: RepoBuilder
    shas: dict[int, str]
    data: Path


def settings_for(data: Path) -> Settings:
    return Settings(data_dir=data, database_url=f"sqlite:///{data / 'diffrisk.db'}")


def mine_to(data: Path, builder: RepoBuilder, sha: str) -> Engine:
    """Mine main up to sha into the store; the history."""
    settings = settings_for(data)
    engine = open_store(settings.store_url)
    mine_repository(engine, settings, GitRepo(builder.path), rev=sha, name=NAME,
                    allow_no_fixes=True)
    return engine


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory) -> Stages:
    """320 commits of the usual work, then 110 different ones; models trained at 220."""
    builder = RepoBuilder(tmp_path_factory.mktemp("drift") / "repo")
    build_long_history(builder, commits=SAME)
    different_work(builder, OTHER - SAME)
    order = builder.git("rev-list", "--reverse", "--first-parent", "main").split()
    shas = {count: order[count - 1] for count in (TRAINED, SAME, OTHER)}
    data = tmp_path_factory.mktemp("store")
    engine = mine_to(data, builder, shas[TRAINED])
    history = load_history(FeatureStore(engine), NAME)
    steps = train_repository_models(engine, GitRepo(builder.path), history)
    assert any(step.version for step in steps if step.kind == "risk"), steps
    return Stages(builder, shas, data)


@pytest.fixture
def store(stages: Stages, tmp_path: Path) -> Path:
    """A copy of the trained store for one test."""
    data = tmp_path / "data"
    shutil.copytree(stages.data, data)
    return data


def due_after(stages: Stages, data: Path, count: int, threshold: float = 0.15) -> TrainingDue:
    """Mine main up to the stage's commit and ask whether training is due."""
    engine = mine_to(data, stages.builder, stages.shas[count])
    return training_due(engine, load_history(FeatureStore(engine), NAME), threshold)


def test_fewer_new_changes_than_drift_needs_keep_the_models(stages: Stages,
                                                            store: Path) -> None:
    engine = mine_to(store, stages.builder, stages.shas[TRAINED])
    due = training_due(engine, load_history(FeatureStore(engine), NAME), 0.15)
    assert not due.due and due.drift is None and due.learnable
    assert f"0 changes since they were trained; drift is judged from {MIN_RECENT_ROWS}" \
        in due.reason


def test_more_of_the_same_work_keeps_the_models_and_different_work_retrains(
        stages: Stages, store: Path) -> None:
    same = due_after(stages, store, SAME)
    assert same.drift is not None and same.drift.n_recent == SAME - TRAINED
    assert not same.due and same.reason.startswith(
        f"drift {same.drift.magnitude:.3f} within the threshold 0.15: ")
    assert "features moved past it (100 new changes against 220; most: " in same.reason
    assert same.drift.mean_psi > 0.15  # the experience counters alone would have said drift
    engine = open_store(settings_for(store).store_url)
    unjudged = training_due(engine, load_history(FeatureStore(engine), NAME), 0.0,
                            judge_drift=False)  # nothing new mined: the judgement above stands
    assert not unjudged.due and unjudged.drift is None
    assert unjudged.reason == ("models are current (no new change mined: drift is judged when "
                               "new ones are)")
    other = due_after(stages, store, OTHER, threshold=0.15)
    assert other.due and other.drift is not None and other.drift.n_recent == OTHER - TRAINED
    assert other.drift.magnitude > 0.15 and other.drift.magnitude > 5 * same.drift.magnitude
    assert other.reason.startswith(f"drift {other.drift.magnitude:.3f} over the threshold 0.15")
    moved, of = (int(n) for n in other.reason.split(": ")[1].split(" features")[0].split(" of "))
    assert 2 * moved > of == len(other.drift.varying)  # over the median: most features moved
    relaxed = due_after(stages, store, OTHER, threshold=50.0)  # drift no longer decides, but
    assert relaxed.due and "within the threshold 50.00" in relaxed.reason  # the history grew
    assert relaxed.reason.endswith("the history grew by 95% since the models were trained "
                                   "(retrained from 50%)")


def test_diffrisk_drift_reports_a_mined_repository(stages: Stages, store: Path) -> None:
    mine_to(store, stages.builder, stages.shas[OTHER])
    result = CliRunner().invoke(main, ["--data-dir", str(store), "--database-url",
                                       f"sqlite:///{store / 'diffrisk.db'}", "drift",
                                       "--repository", NAME])
    assert result.exit_code == 0, result.output
    last = result.stdout.splitlines()[-1]
    assert "retrain" in last and f"{OTHER - TRAINED} recent rows" in last


def test_drift_of_a_repository_never_mined_is_one_line(store: Path) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(store), "--database-url",
                                       f"sqlite:///{store / 'diffrisk.db'}", "drift",
                                       "--repository", "nowhere"])
    assert result.exit_code == 2
    assert "no repository named 'nowhere'" in result.stderr


def test_the_drift_sentence_counts_the_features_past_the_threshold() -> None:
    rng = np.random.default_rng(3)
    reference = {"a": rng.normal(0, 1, 400), "b": rng.normal(0, 1, 400),
                 "c": rng.normal(0, 1, 400), "d": np.zeros(400)}
    recent = {"a": rng.normal(3, 1, 120), "b": rng.normal(2, 1, 120),
              "c": rng.normal(0, 1, 120), "d": np.zeros(120)}
    report = drift_report(reference, recent, threshold=0.15)
    psi = {d.name: d.psi for d in report.features}
    assert psi["a"] > psi["b"] > 0.15 > psi["c"]
    assert drift_sentence(report) == (
        f"drift {report.magnitude:.3f} over the threshold 0.15: 2 of 3 features moved past it "
        f"(120 new changes against 400; most: a {psi['a']:.2f}, b {psi['b']:.2f}, "
        f"c {psi['c']:.2f})")
