"""The anomaly model (isolation forest as ONNX) and the typed anomaly rules, on plain data."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from models.anomaly import (
    DEFAULT_FEATURES,
    AnomalyModel,
    fit_anomaly_model,
    fit_forest,
    transform_features,
)
from models.anomaly_rules import (
    AnomalyBaseline,
    ChangeFacts,
    FileComplexity,
    FileLines,
    HistoryChange,
    ManifestLines,
    complexity_spike,
    evaluate_rules,
    history_change,
    large_commit,
    late_night,
    learn_baseline,
    line_packages,
    mass_deletion,
    new_dependency,
    unusual_file_pattern,
)

NAMES = DEFAULT_FEATURES


def synthetic_history(n: int, seed: int) -> np.ndarray:
    """Ordinary changes: a few files, tens of lines, daytime hours."""
    rng = np.random.default_rng(seed)
    nf = rng.integers(1, 4, n).astype(float)
    columns = {
        "ns": np.minimum(nf, rng.integers(1, 3, n)), "nd": np.minimum(nf, rng.integers(1, 3, n)),
        "nf": nf, "entropy": rng.uniform(0, 1, n) * np.log2(nf + 1),
        "la": rng.lognormal(2.5, 0.8, n).round(), "ld": rng.lognormal(1.5, 0.8, n).round(),
        "lt": rng.lognormal(5, 1, n).round(), "nrename": (rng.uniform(size=n) < 0.02) * 1.0,
        "nadded": (rng.uniform(size=n) < 0.1) * 1.0, "ndeleted": (rng.uniform(size=n) < 0.03) * 1.0,
        "nbinary": np.zeros(n), "nsource": nf, "ntest": rng.integers(0, 2, n).astype(float),
        "ndoc": rng.integers(0, 2, n).astype(float), "nconfig": np.zeros(n),
        "nlang": np.ones(n), "hour": rng.integers(9, 19, n).astype(float),
        "msg_len": rng.lognormal(4, 0.5, n).round()}
    return np.column_stack([columns[name] for name in NAMES])


def outliers(rows: np.ndarray) -> np.ndarray:
    """Copies turned into sweeping changes: 100× the churn, 30 more files in 8 more
    directories of 3 more subsystems, in 2 more languages."""
    changed = rows.copy()
    for name, factor in (("la", 100.0), ("ld", 100.0), ("lt", 10.0)):
        changed[:, NAMES.index(name)] *= factor
    for name, extra in (("nf", 30), ("nsource", 30), ("nd", 8), ("ns", 3), ("nlang", 2)):
        changed[:, NAMES.index(name)] += extra
    changed[:, NAMES.index("entropy")] = np.log2(changed[:, NAMES.index("nf")]) * 0.9
    return changed


@pytest.fixture(scope="module")
def model() -> AnomalyModel:
    return fit_anomaly_model(synthetic_history(1500, 0), NAMES, seed=1)


def test_round_trip_through_json_gives_the_same_scores(model: AnomalyModel) -> None:
    rows = np.vstack([synthetic_history(50, 2), outliers(synthetic_history(5, 3))])
    loaded = AnomalyModel.from_json(model.to_json())
    np.testing.assert_array_equal(loaded.scores(rows), model.scores(rows))
    assert [loaded.score(r) for r in rows[:5]] == [model.score(r) for r in rows[:5]]
    assert loaded.feature_names == NAMES


def test_onnx_scores_match_scikit_learn_decision_function(model: AnomalyModel) -> None:
    history = synthetic_history(1500, 0)
    forest = fit_forest(transform_features(history, NAMES), seed=1)
    assert isinstance(forest, IsolationForest)
    rows = np.vstack([synthetic_history(200, 4), outliers(synthetic_history(20, 5))])
    expected = -2.0 * forest.decision_function(
        transform_features(rows, NAMES).astype(np.float32))
    np.testing.assert_allclose(model.scores(rows), expected, atol=1e-5)


def test_injected_outliers_rank_above_normal_rows(model: AnomalyModel) -> None:
    normal = model.scores(synthetic_history(400, 6))
    injected = model.scores(outliers(synthetic_history(40, 7)))
    assert np.all((injected >= -1) & (injected <= 1))
    assert np.mean(injected > np.quantile(normal, 0.99)) >= 0.95
    assert np.mean(injected > model.threshold(5.0)) >= 0.95
    assert np.mean(normal > model.threshold(5.0)) < 0.15


def test_percentile_places_a_change_among_the_history(model: AnomalyModel) -> None:
    typical = np.median(synthetic_history(1500, 0), axis=0)
    _, typical_percentile = model.score(typical)
    score, outlier_percentile = model.score(outliers(typical.reshape(1, -1))[0])
    assert outlier_percentile >= 99.0
    assert typical_percentile < 60.0
    assert score > 0


@pytest.mark.parametrize("name", ["la", "msg_len", "lt"])
def test_contributions_point_at_the_unusual_feature(model: AnomalyModel, name: str) -> None:
    row = np.median(synthetic_history(1500, 0), axis=0)
    row[NAMES.index(name)] *= 200.0
    contributions = model.contributions(row)
    assert set(contributions) == set(NAMES)
    assert max(contributions, key=lambda k: contributions[k]) == name
    assert contributions[name] > 0.02


def test_a_feature_constant_in_the_history_moves_nothing(model: AnomalyModel) -> None:
    row = np.median(synthetic_history(1500, 0), axis=0)
    row[NAMES.index("nbinary")] = 40.0
    assert model.contributions(row)["nbinary"] == 0.0


def test_hours_are_cyclic() -> None:
    rows = np.zeros((3, len(NAMES)))
    rows[:, NAMES.index("hour")] = [23, 0, 12]
    columns = transform_features(rows, NAMES)
    assert np.linalg.norm(columns[0] - columns[1]) < np.linalg.norm(columns[0] - columns[2])


def test_one_change_scores_in_under_a_millisecond(model: AnomalyModel) -> None:
    loaded = AnomalyModel.from_json(model.to_json())
    rows = synthetic_history(300, 8)
    loaded.score(rows[0])
    times = []
    for row in rows:
        start = time.perf_counter()
        loaded.score(row)
        times.append(time.perf_counter() - start)
    assert float(np.median(times)) < 1e-3


def test_from_json_refuses_other_formats() -> None:
    with pytest.raises(ValueError):
        AnomalyModel.from_json('{"format": "something-else"}')


# --- rules -------------------------------------------------------------------------------


def history(n: int = 300) -> list[HistoryChange]:
    """Alice commits in the daytime, small changes to Python files under src/ and tests/."""
    rng = np.random.default_rng(11)
    changes = []
    for i in range(n):
        la, ld = float(rng.integers(1, 60)), float(rng.integers(0, 30))
        paths = [f"src/pkg/mod{i % 7}.py"] + ([f"tests/test_{i % 5}.py"] if i % 3 else [])
        features = {"la": la, "ld": ld, "nf": float(len(paths)), "ndeleted": 0.0,
                    "hour": float(9 + i % 9)}
        changes.append(history_change(features, "alice" if i % 4 else "bob", paths))
    return changes


@pytest.fixture(scope="module")
def baseline() -> AnomalyBaseline:
    return learn_baseline(history(), complexity_growth=[float(g) for g in range(1, 21)])


def facts(**features: float) -> ChangeFacts:
    values = {"la": 20.0, "ld": 5.0, "nf": 2.0, "ndeleted": 0.0, "hour": 11.0}
    values.update(features)
    files = (FileLines("src/pkg/mod1.py", int(values["la"]), int(values["ld"])),
             FileLines("tests/test_1.py", 0, 0))
    return ChangeFacts(values, files, "alice")


def test_a_normal_change_has_no_findings(baseline: AnomalyBaseline) -> None:
    assert evaluate_rules(facts(), baseline) == ()


def test_large_commit_fires_above_the_history_99th_percentile(baseline: AnomalyBaseline) -> None:
    found = large_commit(facts(la=4000.0, ld=900.0), baseline)
    assert found is not None and found.kind == "large_commit" and found.severity == "high"
    assert "4,900 lines" in found.message and found.paths[0] == "src/pkg/mod1.py"
    assert large_commit(facts(la=60.0), baseline) is None


def test_large_commit_threshold_comes_from_the_history() -> None:
    big = [history_change({"la": 9000.0, "ld": 1000.0, "nf": 3.0, "hour": 10.0}, "alice",
                          ["src/a.py"]) for _ in range(300)]
    assert large_commit(facts(la=4000.0, ld=900.0), learn_baseline(big)) is None


def test_mass_deletion_fires_on_a_deletion_dominated_change(baseline: AnomalyBaseline) -> None:
    found = mass_deletion(facts(la=3.0, ld=2500.0), baseline)
    assert found is not None and "2,500 lines deleted" in found.message
    assert mass_deletion(facts(la=2500.0, ld=2500.0), baseline) is None
    assert mass_deletion(facts(), baseline) is None
    removed = mass_deletion(facts(ndeleted=12.0), baseline)
    assert removed is not None and "12 files removed" in removed.message


def test_complexity_spike_fires_on_a_file_growing_past_the_history(
        baseline: AnomalyBaseline) -> None:
    change = ChangeFacts({"la": 80.0}, complexity=(FileComplexity("src/a.py", 5.0, 60.0),
                                                   FileComplexity("src/b.py", 5.0, 9.0),
                                                   FileComplexity("src/new.py", None, 45.0)))
    found = complexity_spike(change, baseline)
    assert found is not None and found.paths == ("src/a.py", "src/new.py")
    assert "5 → 60 (+55)" in found.message
    calm = ChangeFacts({"la": 8.0}, complexity=(FileComplexity("src/b.py", 5.0, 9.0),))
    assert complexity_spike(calm, baseline) is None


def test_late_night_fires_for_a_daytime_author_only(baseline: AnomalyBaseline) -> None:
    found = late_night(facts(hour=3.0), baseline)
    assert found is not None and "03:00" in found.message and "the author's" in found.message
    assert late_night(facts(hour=14.0), baseline) is None
    night_owl = learn_baseline(history() + [history_change({"hour": 3.0}, "alice", ["src/a.py"])
                                            for _ in range(40)])
    assert late_night(facts(hour=3.0), night_owl) is None


def test_unusual_file_pattern_fires_on_files_in_unseen_places(
        baseline: AnomalyBaseline) -> None:
    files = tuple(FileLines(f"blobs/data_{i}.bin", 10, 0, "A") for i in range(8))
    found = unusual_file_pattern(ChangeFacts({"nf": 8.0}, files), baseline)
    assert found is not None and "8 of 8 files" in found.message
    assert found.paths[0] == "blobs/data_0.bin"
    assert unusual_file_pattern(facts(), baseline) is None


def test_new_dependency_names_packages_added_not_repinned(baseline: AnomalyBaseline) -> None:
    change = ChangeFacts({}, manifests=(
        ManifestLines("requirements-dev.txt", ("requests>=2.0", "numpy==1.26", "# a comment"),
                      ("numpy==1.25",)),
        ManifestLines("web/package.json", ('    "left-pad": "^1.3.0",',)),
        ManifestLines("src/app.py", ("import leftpad",))))
    found = new_dependency(change, baseline)
    assert found is not None and found.kind == "new_dependency"
    assert "left-pad, requests" in found.message
    assert found.paths == ("requirements-dev.txt", "web/package.json")
    repinned = ChangeFacts({}, manifests=(ManifestLines("requirements.txt", ("numpy==1.26",),
                                                        ("numpy==1.25",)),))
    assert new_dependency(repinned, baseline) is None


@pytest.mark.parametrize(("path", "line", "expected"), [
    ("pyproject.toml", '    "httpx>=0.27",', {"httpx"}),
    ("pyproject.toml", 'requires-python = ">=3.11"', set()),
    ("Cargo.toml", 'serde = { version = "1.0", features = ["derive"] }', {"serde"}),
    ("go.mod", "\tgithub.com/pkg/errors v0.9.1", {"github.com/pkg/errors"}),
    ("Gemfile", "gem 'rails', '~> 7.0'", {"rails"}),
    ("pom.xml", "<artifactId>guava</artifactId>", {"guava"}),
    ("setup.py", "    install_requires=['click>=8.0'],", {"click"}),
    ("requirements.txt", "-r base.txt", set()),
])
def test_manifest_lines_name_their_packages(path: str, line: str, expected: set[str]) -> None:
    assert line_packages(path, line) == expected


def test_baseline_travels_with_the_model(baseline: AnomalyBaseline) -> None:
    assert AnomalyBaseline.from_dict(baseline.to_dict()) == baseline
    fitted = fit_anomaly_model(synthetic_history(300, 9), NAMES, seed=0, baseline=baseline,
                               n_trees=20)
    assert AnomalyModel.from_json(fitted.to_json()).baseline == baseline


def test_the_forest_walked_as_arrays_gives_onnxruntimes_scores(model: AnomalyModel) -> None:
    import base64  # noqa: PLC0415

    from models.forest_arrays import forest_from_onnx  # noqa: PLC0415

    rows = np.vstack([synthetic_history(200, 12), outliers(synthetic_history(20, 13))])
    walked = AnomalyModel.from_json(model.to_json())
    walked.use_arrays(forest_from_onnx(base64.b64decode(model.onnx_text)))
    assert np.array_equal(walked.scores(rows), model.scores(rows))
    assert walked.score(rows[-1]) == model.score(rows[-1])
    assert walked.contributions(rows[-1]) == model.contributions(rows[-1])
