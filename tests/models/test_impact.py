"""The impact score: its follow-up label, its features from a blast radius, and its model."""

from __future__ import annotations

import json
import math

import networkx as nx
import numpy as np
import pytest

from analyzers.blast import blast_radius
from analyzers.changes import ChangeRecord, FileTouch
from analyzers.coupling import Coupling
from models.impact import (
    FEATURE_NAMES,
    ImpactModel,
    TrainOptions,
    depth_hit_rates,
    impact_features,
    rank_blast_files,
    train_impact_model,
)
from models.impact_target import (
    DAY,
    SATURATION_FILES,
    followup_files,
    impact_scale,
    impact_target,
    impact_targets,
    last_past_impact,
    past_impacts,
)

FAST = TrainOptions(max_rounds=60, early_stopping=10)


def change(sha: str, day: float, *paths: str, renamed: tuple[str, str] | None = None,
           ) -> ChangeRecord:
    """A change on a day touching paths (status M), and optionally one rename old → new."""
    touches = [FileTouch(path, None, "M", 1) for path in paths]
    if renamed:
        touches.append(FileTouch(renamed[1], renamed[0], "R", 1))
    return ChangeRecord(sha, int(day * DAY), "dev", tuple(touches))


def feature(vector: tuple[float, ...], name: str) -> float:
    """One named value of a feature vector."""
    return vector[FEATURE_NAMES.index(name)]


# ---------------------------------------------------------------------------- the label


def test_scale_is_logarithmic_and_bounded() -> None:
    assert impact_scale(0) == 0.0
    step = impact_scale(1)
    assert impact_scale(3) == pytest.approx(2 * step)
    assert impact_scale(7) == pytest.approx(3 * step)
    assert impact_scale(SATURATION_FILES) == pytest.approx(10.0)
    assert impact_scale(10_000) == 10.0


def test_followups_count_other_files_of_later_commits_within_the_window() -> None:
    history = [
        change("c0", 0, "a.py", "b.py"),
        change("c1", 2, "a.py", "x.py", "y.py"),  # follow-up of c0: x, y
        change("c2", 5, "unrelated.py", "z.py"),  # touches none of c0's files
        change("c3", 20, "b.py", "w.py"),  # follow-up of c0 (and of c1? no: b not in c1)
        change("c4", 45, "a.py", "late.py"),  # after c0's 30 days; follow-up of c1? 43 days
    ]
    files = followup_files(history, window_days=30)
    assert files[0] == frozenset({"x.py", "y.py", "w.py"})
    assert files[1] == frozenset()
    assert files[2] == frozenset()
    assert impact_target(history[0], history[1:]) == pytest.approx(impact_scale(3))


def test_followups_follow_renames_and_skip_mass_commits() -> None:
    history = [
        change("c0", 0, "old.py"),
        change("c1", 1, "other.py", renamed=("old.py", "new.py")),
        change("c2", 2, "new.py", "near.py"),
        change("c3", 3, "new.py", *[f"mass{i}.py" for i in range(40)]),
        change("c4", 4, "new.py", renamed=("near.py", "far.py")),  # one file, latest name
    ]
    assert followup_files(history)[0] == frozenset({"other.py", "far.py"})


def test_changes_whose_window_is_not_over_have_no_label_yet() -> None:
    history = [change("c0", 0, "a.py"), change("c1", 10, "a.py", "b.py"),
               change("c2", 40, "a.py", "c.py")]
    targets = impact_targets(history, as_of=int(39 * DAY))
    assert targets[0] == pytest.approx(impact_scale(1))
    assert targets[1] is None and targets[2] is None


def test_past_impact_averages_only_earlier_changes_whose_window_is_over() -> None:
    history = [
        change("c0", 0, "a.py", "b.py"),
        change("c1", 1, "a.py", "x.py", "y.py", "z.py"),  # follow-up of c0: x, y, z
        change("c2", 20, "a.py"),  # c0 and c1 are still inside their windows
        change("c3", 40, "a.py"),  # c0 (3 files) and c1 (c2's nothing) are known by now
        change("c4", 41, "other.py"),  # never touched before
    ]
    past = past_impacts(history)
    assert past[0] == (0.0, 0) and past[2] == (0.0, 0) and past[4] == (0.0, 0)
    mean, count = past[3]
    assert count == 2
    assert mean == pytest.approx((impact_scale(3) + impact_scale(0)) / 2)


def test_the_last_past_impact_alone_equals_the_whole_computation() -> None:
    rng = np.random.default_rng(4)
    paths = [f"m{i}.py" for i in range(12)]
    history: list[ChangeRecord] = []
    for index in range(400):
        chosen = list(rng.choice(paths, size=rng.integers(1, 5), replace=False))
        renamed = None
        if rng.random() < 0.05:
            old = chosen.pop()
            renamed = (old, f"r{index}.py")
            paths[paths.index(old)] = renamed[1]
        history.append(change(f"c{index}", index * rng.uniform(0.2, 1.5), *chosen,
                              renamed=renamed))
    history.sort(key=lambda record: record.time)
    whole = past_impacts(history)
    counted = 0
    for end in range(0, len(history), 7):
        assert last_past_impact(history[:end + 1]) == past_impacts(history[:end + 1])[-1]
        counted += whole[end][1] > 0
    assert counted > 20
    assert last_past_impact([]) == (0.0, 0)


# ---------------------------------------------------------------------------- features


def small_graph() -> nx.DiGraph:
    """core.py is imported by api.py and util.py; app.py imports api.py; tests import app."""
    graph = nx.DiGraph()
    graph.add_edges_from([("pkg/api.py", "pkg/core.py"), ("pkg/util.py", "pkg/core.py"),
                          ("web/app.py", "pkg/api.py"), ("tests/test_app.py", "web/app.py")])
    return graph


def test_features_of_a_hand_built_graph() -> None:
    rules = {"pkg/core.py": [Coupling("docs/core.rst", 3, 0.6), Coupling("pkg/api.py", 2, 0.4),
                             Coupling("noise.py", 1, 0.05)]}
    blast = blast_radius(small_graph(), ["pkg/core.py"], rules)
    vector = impact_features(blast, rules, churn=12, recent_changes=4, past_impact=(2.5, 3))
    assert len(vector) == len(FEATURE_NAMES)
    expected = {"changed_files": 1, "churn": 12, "recent_changes": 4, "past_impact": 2.5,
                "past_impact_changes": 3, "fan_in_sum": 2,
                "fan_in_max": 2, "fan_out_sum": 0, "reach_depth1": 2, "reach_depth2": 3,
                "reach_all": 4, "affected_tests": 1, "coupled_files": 2,
                "coupled_confidence_max": 0.6, "coupled_support_sum": 5,
                "blast_files": 5, "components_by_imports": 3, "components_by_history": 2}
    for name, value in expected.items():
        assert feature(vector, name) == pytest.approx(value), name
    assert feature(vector, "coupled_confidence_sum") == pytest.approx(1.0)
    assert 0 < feature(vector, "pagerank_max") <= 1


def test_a_leaf_change_reaches_nothing() -> None:
    blast = blast_radius(small_graph(), ["tests/test_app.py"], {})
    vector = impact_features(blast)
    for name in ("reach_all", "blast_files", "coupled_files", "fan_in_sum", "affected_tests"):
        assert feature(vector, name) == 0, name
    assert feature(vector, "fan_out_sum") == 1


def test_blast_ranking_puts_history_and_near_importers_first() -> None:
    rules = {"pkg/core.py": [Coupling("docs/core.rst", 3, 0.9)]}
    blast = blast_radius(small_graph(), ["pkg/core.py"], rules)
    ranked = rank_blast_files(blast, rules, limit=10)
    assert ranked[:2] == ["pkg/api.py", "pkg/util.py"]  # depth 1 scores 1 uncalibrated
    assert ranked.index("docs/core.rst") < ranked.index("web/app.py")
    rates = depth_hit_rates([blast], [{"web/app.py"}])
    assert rates == {1: 0.0, 2: 1.0, 3: 0.0}
    assert rank_blast_files(blast, rules, limit=2, depth_rates=rates) == [
        "web/app.py", "docs/core.rst"]


# ---------------------------------------------------------------------------- the model


def planted(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random features whose target is the blast size on the scale plus noise, except that
    recent activity doubles it: a relation the model must learn beyond the baseline."""
    rng = np.random.default_rng(seed)
    x = np.zeros((rows, len(FEATURE_NAMES)))
    x[:, :] = rng.poisson(3, size=x.shape)
    blast = FEATURE_NAMES.index("blast_files")
    recent = FEATURE_NAMES.index("recent_changes")
    x[:, blast] = rng.integers(0, 40, rows)
    hot = x[:, recent] > 3
    size = x[:, blast] * np.where(hot, 1.5, 0.2)
    y = np.array([impact_scale(v) for v in size]) + rng.normal(0, 0.3, rows)
    return x, np.clip(y, 0, 10), np.arange(rows, dtype=np.float64)


def test_model_learns_a_planted_relation_and_beats_the_baselines() -> None:
    x, y, times = planted(600, seed=1)
    model, metrics = train_impact_model(x, y, times, FAST)
    assert (metrics.train_rows, metrics.test_rows) == (480, 120)
    assert metrics.model.rmse < 0.6 * metrics.mean_baseline.rmse
    assert metrics.model.rmse < metrics.blast_baseline.rmse
    assert metrics.model.spearman > 0.9
    assert metrics.mean_baseline.spearman == 0.0
    contributions = model.contributions(list(x[0]))
    top = max(contributions.by_feature, key=lambda n: abs(contributions.by_feature[n]))
    assert top in {"blast_files", "recent_changes"}
    raw = contributions.base + sum(contributions.by_feature.values())
    assert min(10.0, max(0.0, raw)) == pytest.approx(model.score(list(x[0])), abs=1e-4)


def test_model_round_trips_through_json_with_identical_scores() -> None:
    x, y, times = planted(200, seed=2)
    model, _ = train_impact_model(x, y, times, FAST)
    loaded = ImpactModel.from_json(json.loads(json.dumps(model.to_json())))
    assert loaded.feature_names == model.feature_names == FEATURE_NAMES
    assert np.array_equal(loaded.scores(x), model.scores(x))
    assert [loaded.score(list(row)) for row in x[:50]] == [model.score(list(row))
                                                           for row in x[:50]]
    with pytest.raises(ValueError):
        ImpactModel.from_json({"format": 99, "kind": "impact"})


def test_scores_stay_within_0_and_10_and_python_trees_match_xgboost() -> None:
    x, y, times = planted(300, seed=3)
    model, _ = train_impact_model(x, y, times, FAST)
    extreme = np.vstack([x * 1000, -x * 1000, np.zeros_like(x[:1]),
                         np.full_like(x[:1], math.nan)])
    batch = model.scores(extreme)
    assert np.all((batch >= 0) & (batch <= 10))
    singles = [model.score(list(row)) for row in np.vstack([x, extreme])]
    assert all(0 <= s <= 10 for s in singles)
    assert np.allclose(singles, model.scores(np.vstack([x, extreme])), atol=1e-5)
    with pytest.raises(ValueError):
        model.score([1.0, 2.0])


def test_training_refuses_too_few_rows() -> None:
    with pytest.raises(ValueError):
        train_impact_model([[0.0] * len(FEATURE_NAMES)], [1.0], [0.0])
