"""The model registry on SQLite and PostgreSQL: versions, validation, promotion, artifacts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from sqlalchemy import insert, update
from sqlalchemy.engine import Engine

from app.model_choice import active_risk_model
from app.storage.registry import (
    ModelRegistry,
    Registration,
    RegistryError,
    next_version,
    validation_problems,
)
from app.storage.schema import ModelVersion, Repository
from models.shipped import shipped_risk_model


@pytest.fixture
def engine(engine: Engine) -> Engine:
    """The migrated empty store with one repository named demo."""
    with engine.begin() as conn:
        conn.execute(insert(Repository).values(
            name="demo", path="/demo", created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    return engine


def record(auc: float = 0.7, features: tuple[str, ...] = ("la", "ld"),
           comparison: dict[str, Any] | None = None, n_test: int = 100) -> Registration:
    """A registration with the given held-out AUC."""
    return Registration("risk", "xgboost", {"format": "test", "auc": auc},
                        {"auc": auc, "n_test": n_test}, {"n_trees": 10}, list(features),
                        "ab" * 32, (100, 200), (200, 300), comparison or {})


def beats(version: str, ours: float, theirs: float) -> dict[str, Any]:
    """A comparison against a production version."""
    return {"against": f"production risk@{version}", "against_version": version,
            "candidate": ours, "baseline": theirs}


def test_versions_are_semantic_and_artifacts_round_trip(engine: Engine) -> None:
    registry = ModelRegistry(engine)
    first = registry.register("demo", record())
    second = registry.register("demo", record(auc=0.71))
    third = registry.register("demo", record(features=("la", "ld", "nf")))
    assert [first.version, second.version, third.version] == ["1.0.0", "1.1.0", "2.0.0"]
    assert registry.load("demo", "risk", "1.1.0") == {"format": "test", "auc": 0.71}
    assert [e.version for e in registry.versions("demo")] == ["1.0.0", "1.1.0", "2.0.0"]
    assert registry.versions(None) == []


def test_weak_models_stay_trained(engine: Engine) -> None:
    registry = ModelRegistry(engine)
    assert registry.register("demo", record(auc=0.49)).status == "trained"
    assert registry.register("demo", record(n_test=5)).status == "trained"
    assert registry.register("demo", record(auc=0.6)).status == "validated"
    with pytest.raises(RegistryError, match="only a validated model"):
        registry.promote("demo", "risk", "1.0.0")


def test_promotion_needs_a_win_on_the_same_window(engine: Engine) -> None:
    registry = ModelRegistry(engine)
    registry.register("demo", record())
    assert registry.promote("demo", "risk", "1.0.0").status == "production"
    registry.register("demo", record(comparison=beats("1.0.0", 0.70, 0.72)))
    with pytest.raises(RegistryError, match="does not beat"):
        registry.promote("demo", "risk", "1.1.0")
    registry.register("demo", record(comparison={"against": "nothing"}))
    with pytest.raises(RegistryError, match="retrain to compare"):
        registry.promote("demo", "risk", "1.2.0")
    registry.register("demo", record(comparison=beats("1.0.0", 0.74, 0.72)))
    registry.promote("demo", "risk", "1.3.0")
    statuses = {e.version: e.status for e in registry.versions("demo")}
    assert statuses == {"1.0.0": "deprecated", "1.1.0": "validated", "1.2.0": "validated",
                        "1.3.0": "production"}
    assert registry.production("demo", "risk") is not None


def test_first_model_must_beat_the_shipped_one_it_was_compared_with(engine: Engine) -> None:
    registry = ModelRegistry(engine)
    shipped = {"against": "the shipped model", "against_version": "shipped-1.0.0"}
    registry.register("demo", record(comparison={**shipped, "candidate": 0.6,
                                                 "baseline": 0.65}))
    with pytest.raises(RegistryError, match="does not beat the shipped model"):
        registry.promote("demo", "risk", "1.0.0")
    registry.register("demo", record(comparison={**shipped, "candidate": 0.7,
                                                 "baseline": 0.65}))
    assert registry.promote("demo", "risk", "1.1.0").status == "production"


def test_deprecate_and_unknown_names(engine: Engine) -> None:
    registry = ModelRegistry(engine)
    registry.register(None, record())
    assert registry.deprecate(None, "risk", "1.0.0").status == "deprecated"
    with pytest.raises(RegistryError, match="already deprecated"):
        registry.deprecate(None, "risk", "1.0.0")
    with pytest.raises(RegistryError, match=r"no risk model version 9\.0\.0"):
        registry.get(None, "risk", "9.0.0")
    with pytest.raises(RegistryError, match=r"MAJOR\.MINOR\.PATCH"):
        registry.get(None, "risk", "latest")
    with pytest.raises(RegistryError, match="diffrisk mine --name ghost"):
        registry.versions("ghost")


def test_a_corrupt_artifact_is_refused(engine: Engine) -> None:
    registry = ModelRegistry(engine)
    registry.register("demo", record())
    with engine.begin() as conn:
        conn.execute(update(ModelVersion).values(artifact=b"not what was stored"))
    with pytest.raises(RegistryError, match="does not match its digest"):
        registry.load("demo", "risk", "1.0.0")


def test_version_and_validation_rules() -> None:
    assert next_version(None, ["a"]) == "1.0.0"
    assert validation_problems({"auc": float("nan"), "n_test": 100}) == ["no held-out auc"]
    assert validation_problems({"auc": 0.8, "n_test": 100}) == []


def test_a_repository_uses_the_shipped_model_until_its_own_is_promoted(engine: Engine) -> None:
    shipped = shipped_risk_model()
    assert shipped is not None, "the package ships a cross-project risk model"
    registry = ModelRegistry(engine)
    model, label = active_risk_model(registry, "demo")
    assert label.startswith("shipped cross-project risk@1.")
    own = Registration("risk", "stack", shipped.to_json(), {"auc": 0.8, "n_test": 100}, {},
                       list(shipped.features), "cd" * 32, (1, 2), (2, 3),
                       {"against": "the shipped model", "against_version": "shipped-1.0.0",
                        "candidate": 0.8, "baseline": 0.75})
    registry.promote("demo", "risk", registry.register("demo", own).version)
    model, label = active_risk_model(registry, "demo")
    assert label == "demo risk@1.0.0"
    row = np.zeros((1, len(model.inputs)))
    assert model.score(row) == pytest.approx(shipped.score(row))
