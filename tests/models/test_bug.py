"""The per-file history features and the bug score (fix within 7/15/30 days)."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from analyzers.changes import ChangeRecord, FileTouch
from models.bug import (
    BUG_OPTIONS,
    BugModel,
    bug_features,
    bug_split,
    build_bug_data,
    fix_within,
    train_bug_model,
)
from models.file_history import (
    DAY,
    FILE_HISTORY_FEATURES,
    NEW_FILE,
    FileHistory,
    history_as_of,
    replay,
)
from models.file_scorers import LinearScorer, fit_linear
from models.metrics import roc_auc

T0 = 1_600_000_000


def change(sha: str, day: float, author: str, *touches: FileTouch) -> ChangeRecord:
    return ChangeRecord(sha, int(T0 + day * DAY), author, touches)


def edit(path: str, churn: int = 10) -> FileTouch:
    return FileTouch(path, None, "M", churn)


def add(path: str, churn: int = 10) -> FileTouch:
    return FileTouch(path, None, "A", churn)


def value(features: tuple[float, ...], name: str) -> float:
    return features[FILE_HISTORY_FEATURES.index(name)]


HAND_HISTORY = [
    change("c1", 0, "ann", add("pkg/core.py", 100), add("README.md", 5)),
    change("c2", 10, "bob", edit("pkg/core.py", 20)),
    change("c3", 50, "ann", edit("pkg/core.py", 4)),  # a fix
    change("c4", 100, "cat", FileTouch("pkg/main.py", "pkg/core.py", "R", 6)),
    change("c5", 130, "ann", edit("pkg/main.py", 8), edit("tests/test_main.py", 3)),
]


def test_history_features_by_hand() -> None:
    _, rows = replay(HAND_HISTORY, fixes={"c3"})
    last = rows[-2].features  # pkg/main.py at day 130, renamed from pkg/core.py on day 100
    assert rows[-2].identity == rows[0].identity
    assert value(last, "prior_changes") == 4
    assert value(last, "changes_30d") == 1  # day 100
    assert value(last, "changes_90d") == 2  # days 50 and 100
    assert value(last, "prior_authors") == 3
    assert value(last, "authors_90d") == 2
    assert value(last, "author_prior_changes") == 2  # ann on days 0 and 50
    assert value(last, "prior_fixes") == 1 and value(last, "fixes_90d") == 1
    assert value(last, "days_since_fix") == pytest.approx(80)
    assert value(last, "days_since_change") == pytest.approx(30)
    assert value(last, "file_age_days") == pytest.approx(130)
    assert value(last, "prior_churn") == 130
    assert value(last, "churn_90d") == 10
    assert value(last, "churn_now") == 8 and value(last, "files_in_change") == 2
    assert value(last, "is_source") == 1 and value(last, "is_new_file") == 0
    assert value(last, "repo_changes_90d") == 2  # c3 and c4 in the 90 days before day 130
    assert value(last, "repo_fix_rate_90d") == pytest.approx(0.5)
    first = rows[0].features
    assert value(first, "is_new_file") == 1 and math.isnan(value(first, "days_since_fix"))
    assert value(rows[-1].features, "is_test") == 1
    assert value(rows[1].features, "is_doc") == 1


def test_fix_change_counts_itself_only_as_a_fact() -> None:
    _, rows = replay(HAND_HISTORY, fixes={"c3"})
    fix_row = rows[3]  # pkg/core.py in c3
    assert value(fix_row.features, "change_is_fix") == 1
    assert value(fix_row.features, "prior_fixes") == 0


def test_peek_leaves_history_unchanged() -> None:
    files = history_as_of(HAND_HISTORY, {"c3"}, now=int(T0 + 120 * DAY))
    new = change("new", 140, "dan", edit("pkg/main.py", 2), add("pkg/extra.py"))
    first = files.peek(new, is_fix=False)
    second = files.peek(new, is_fix=False)
    assert first == second
    assert first[1].identity == NEW_FILE
    assert value(first[0].features, "prior_changes") == 4  # c5 (day 130) is not before now


def test_fix_within_counts_only_strictly_later_fixes_inside_the_horizon() -> None:
    fixes = np.array([T0 + 0.0, T0 + 10 * DAY])
    assert not fix_within(fixes, T0, 7)  # the fix at t itself does not count
    assert fix_within(fixes, T0, 10)  # the horizon end is included
    assert not fix_within(fixes, T0 + 10 * DAY, 30)


def test_labels_follow_renames() -> None:
    history = [change("a", 0, "x", add("lib/a.py")),
               change("b", 2, "x", FileTouch("lib/b.py", "lib/a.py", "R", 1)),
               change("fix", 12, "x", edit("lib/b.py"))]
    data = build_bug_data(history, {"fix"})
    assert list(data.labels[7]) == [0, 0, 0]  # day 0 → 12 is beyond 7 days; day 2 → 10 days
    assert list(data.labels[15]) == [1, 1, 0]


def synthetic_history(days: int = 900, seed: int = 3) -> tuple[list[ChangeRecord], set[str]]:
    """Files with their own bug propensity; a change to a buggy file is often followed by a
    fix to it within days."""
    rng = random.Random(seed)
    files = [f"src/m{i}.py" for i in range(40)]
    propensity = {path: (0.6 if i < 8 else 0.04) for i, path in enumerate(files)}
    history, fixes, pending = [], set(), []
    for day in range(days):
        for k in range(3):
            path = rng.choice(files)
            sha = f"d{day}k{k}"
            history.append(change(sha, day + k / 10, rng.choice("abcd"), edit(path, 5)))
            if rng.random() < propensity[path]:
                pending.append((day + rng.uniform(1, 6), path))
        due = [p for p in pending if p[0] < day + 1]
        for number, (when, path) in enumerate(due):
            sha = f"fix{day}n{number}"
            history.append(change(sha, when, "e", edit(path, 2)))
            fixes.add(sha)
            pending.remove((when, path))
    history.sort(key=lambda c: c.time)
    return history, fixes


def test_split_keeps_training_labels_knowable_at_the_split() -> None:
    history, fixes = synthetic_history(days=300)
    data = build_bug_data(history, fixes)
    for horizon in (7, 30):
        split = bug_split(data.times, data.last_time, horizon, BUG_OPTIONS)
        train = np.concatenate([split.fit, split.check])
        assert (data.times[train] + horizon * DAY <= split.split_time).all()
        assert (data.times[split.test] >= split.split_time).all()
        assert (data.times[split.test] + horizon * DAY <= data.last_time).all()
        assert (data.times[split.fit] < data.times[split.check].min() + 1).all()


@pytest.fixture(scope="module")
def trained() -> tuple[BugModel, dict[str, dict[str, float]]]:
    history, fixes = synthetic_history()
    return train_bug_model(history, fixes)


def test_model_ranks_files_that_get_fixed(trained: tuple[BugModel, dict[str, dict[str, float]]],
                                          ) -> None:
    _, metrics = trained
    assert set(metrics) == {"7d", "15d", "30d"}
    for horizon_metrics in metrics.values():
        assert horizon_metrics["auc"] > 0.75
        assert horizon_metrics["recall_at_top20"] > 0.3
        assert 0.0 <= horizon_metrics["brier"] < 0.25
        assert horizon_metrics["n_train"] > horizon_metrics["n_test"] > 0


def test_scores_round_trip_through_json_and_rise_with_horizon(
        trained: tuple[BugModel, dict[str, dict[str, float]]]) -> None:
    model, _ = trained
    history, fixes = synthetic_history(days=120, seed=9)
    data = build_bug_data(history, fixes)
    scores = model.score(data.features)
    assert scores.shape == (len(data.times), 3)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert (np.diff(scores, axis=1) >= 0).all()
    loaded = BugModel.from_json(json.loads(json.dumps(model.to_json())))
    assert np.allclose(loaded.score(data.features), scores)
    assert loaded.feature_names == FILE_HISTORY_FEATURES
    assert roc_auc(data.labels[30], scores[:, 2]) > 0.7
    contributions = model.contributions(data.features[:5], horizon=7)
    assert contributions.shape == (5, len(FILE_HISTORY_FEATURES))


def test_features_of_a_new_change(trained: tuple[BugModel, dict[str, dict[str, float]]]) -> None:
    model, _ = trained
    history, fixes = synthetic_history(days=200, seed=5)
    files: FileHistory = history_as_of(history, fixes, now=history[-1].time + 1)
    hot = max(files.states, key=lambda i: len(files.states[i].fix_times))
    cold = min(files.states, key=lambda i: len(files.states[i].fix_times))
    new = change("pr", 201, "a", edit(files.identities.path_of(hot)),
                 edit(files.identities.path_of(cold)))
    paths, features = bug_features(files, new)
    assert paths == [files.identities.path_of(hot), files.identities.path_of(cold)]
    probabilities = model.score(features)
    assert probabilities[0, 2] > probabilities[1, 2]


def test_linear_part_contributions_add_up_to_its_log_odds() -> None:
    rng = np.random.default_rng(0)
    features = rng.exponential(5.0, size=(400, 3))
    features[rng.random(400) < 0.3, 1] = np.nan  # "days since" missing: never happened
    labels = (rng.random(400) < 1 / (1 + np.exp(2 - features[:, 0] / 3))).astype(np.int64)
    linear = fit_linear((features, labels), indicator=1)
    probabilities = linear.probabilities(features)
    log_odds = np.log(probabilities / (1 - probabilities))
    assert np.allclose(linear.contributions(features).sum(axis=1) + linear.intercept, log_odds)
    assert linear.coef[0] > 0  # the feature that drives the label
    loaded = LinearScorer.from_json(json.loads(json.dumps(linear.to_json())))
    assert np.allclose(loaded.probabilities(features), probabilities)
