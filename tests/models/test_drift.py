"""PSI and KS drift with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.drift import drift_report, population_stability

RNG = np.random.default_rng(7)


def test_psi_by_hand_on_two_bins() -> None:
    reference = np.array([0.0] * 50 + [1.0] * 50)
    recent = np.array([0.0] * 20 + [1.0] * 80)
    expected = (0.2 - 0.5) * math.log(0.2 / 0.5) + (0.8 - 0.5) * math.log(0.8 / 0.5)
    assert population_stability(reference, recent) == pytest.approx(expected)


def test_same_distribution_has_no_drift_and_a_shift_has() -> None:
    reference = RNG.normal(0, 1, 5000)
    assert population_stability(reference, RNG.normal(0, 1, 5000)) < 0.02
    assert population_stability(reference, RNG.normal(1, 1, 5000)) > 0.5


def test_constant_reference() -> None:
    assert population_stability(np.zeros(100), np.zeros(50)) == pytest.approx(0.0, abs=1e-9)
    assert population_stability(np.zeros(100), np.ones(50)) > 5


def test_report_ranks_features_and_decides() -> None:
    reference = {"la": RNG.exponential(10, 3000), "nf": RNG.poisson(2, 3000).astype(float)}
    stable = {"la": RNG.exponential(10, 1000), "nf": RNG.poisson(2, 1000).astype(float)}
    moved = {"la": RNG.exponential(40, 1000), "nf": RNG.poisson(2, 1000).astype(float)}
    calm = drift_report(reference, stable)
    assert not calm.retrain and calm.magnitude < 0.15
    shifted = drift_report(reference, moved)
    assert shifted.retrain and shifted.features[0].name == "la"
    assert shifted.features[0].ks > 0.3 and shifted.features[0].ks_p_value < 1e-6
    assert (shifted.n_reference, shifted.n_recent) == (3000, 1000)
    assert drift_report(reference, moved, threshold=10.0).retrain is False


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="missing on one side"):
        drift_report({"a": np.ones(3)}, {"b": np.ones(3)}, features=["a"])
    with pytest.raises(ValueError, match="no feature in common"):
        drift_report({"a": np.ones(3)}, {"b": np.ones(3)})
    with pytest.raises(ValueError, match="no rows"):
        drift_report({"a": np.ones(3)}, {"a": np.ones(0)})


def test_the_magnitude_is_the_median_of_the_varying_features() -> None:
    reference = {"exp": np.arange(300.0), "la": RNG.exponential(10, 300),
                 "nf": RNG.poisson(2, 300).astype(float), "nbinary": np.zeros(300)}
    grown = {"exp": np.arange(300.0, 400.0), "la": RNG.exponential(10, 100),
             "nf": RNG.poisson(2, 100).astype(float), "nbinary": np.zeros(100)}
    report = drift_report(reference, grown)
    psi = {d.name: d.psi for d in report.features}
    assert psi["exp"] > 5 and psi["nbinary"] == pytest.approx(0.0, abs=1e-9)
    assert report.magnitude == pytest.approx(float(np.median([psi["exp"], psi["la"], psi["nf"]])))
    assert report.mean_psi == pytest.approx(float(np.mean(list(psi.values()))))
    assert report.mean_psi > 1 and not report.retrain  # one counter outgrowing its range
    assert sorted(report.varying) == ["exp", "la", "nf"]
    constant = drift_report({"a": np.ones(50)}, {"a": np.ones(20)})
    assert constant.magnitude == 0.0 and not constant.retrain


def test_too_few_recent_rows_are_reported_but_not_judged() -> None:
    reference = {"la": RNG.exponential(10, 2000)}
    few = {"la": RNG.exponential(40, 50)}
    report = drift_report(reference, few)
    assert report.magnitude > 0.15 and not report.retrain and report.min_recent == 100
    assert drift_report(reference, few, min_recent=50).retrain
