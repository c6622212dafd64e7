"""The model registry: versions, statuses, lineage and artifacts of trained models.

Statuses move trained → validated → production → deprecated. A model is validated when its
held-out metrics pass the checks below; it is promoted only when it beat the model in
production (or, with none, the shipped cross-project model) on its own held-out window.
Versions are semantic: a new feature list is a major step, a retrain on the same features a
minor one.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.storage.schema import ModelVersion, Repository, utcnow

KINDS = ("risk", "file_risk", "bug", "anomaly", "impact", "health")
STATUSES = ("trained", "validated", "production", "deprecated")
MIN_TEST_ROWS = 30
COMPARED_METRIC = "auc"
# The held-out metric that validates each kind, and the value it must beat (chance). Anomaly
# learns without a label: it is validated by having enough history rows only.
VALIDATED_BY: dict[str, tuple[str, float] | None] = {
    "risk": ("auc", 0.5), "file_risk": ("auc", 0.5), "bug": ("auc", 0.5),
    "health": ("auc", 0.5), "impact": ("spearman", 0.0), "anomaly": None}


class RegistryError(ValueError):
    """A registry request that cannot be honoured (one line saying what to do)."""


@dataclass(frozen=True)
class ModelEntry:
    """One registered model version, without its artifact."""

    id: int
    repository: str | None
    kind: str
    version: str
    status: str
    candidate: str
    created_at: datetime
    metrics: dict[str, Any]
    hyperparameters: dict[str, Any]
    features: list[str]
    data_hash: str
    train_window: tuple[int, int]
    test_window: tuple[int, int]
    comparison: dict[str, Any]

    @property
    def label(self) -> str:
        """kind@version, as the CLI prints it."""
        return f"{self.kind}@{self.version}"


@dataclass(frozen=True)
class Registration:
    """What training hands the registry."""

    kind: str
    candidate: str
    model: dict[str, Any]
    metrics: dict[str, Any]
    hyperparameters: dict[str, Any]
    features: list[str]
    data_hash: str
    train_window: tuple[int, int]
    test_window: tuple[int, int]
    comparison: dict[str, Any]


def parse_version(text: str) -> tuple[int, int, int]:
    """'1.2.3' as (1, 2, 3); a clear error otherwise."""
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise RegistryError(f"version {text!r} is not MAJOR.MINOR.PATCH, e.g. 1.2.0")
    return int(parts[0]), int(parts[1]), int(parts[2])


def next_version(latest: ModelEntry | None, features: list[str]) -> str:
    """1.0.0 first; a major step when the feature list changed, else a minor one."""
    if latest is None:
        return "1.0.0"
    major, minor, _ = parse_version(latest.version)
    if list(latest.features) != list(features):
        return f"{major + 1}.0.0"
    return f"{major}.{minor + 1}.0"


def validation_problems(metrics: dict[str, Any], kind: str = "risk") -> list[str]:
    """Why held-out metrics do not validate a model of a kind (empty when they do)."""
    problems = []
    n_test = int(metrics.get("n_test", 0))
    if n_test < MIN_TEST_ROWS:
        problems.append(f"only {n_test} held-out rows (at least {MIN_TEST_ROWS})")
    check = VALIDATED_BY.get(kind, (COMPARED_METRIC, 0.5))
    if check is None:
        return problems
    metric, chance = check
    value = metrics.get(metric)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        problems.append(f"no held-out {metric}")
    elif float(value) <= chance:
        problems.append(f"held-out {metric} {float(value):.3f} is no better than chance")
    return problems


def compress(model: dict[str, Any]) -> bytes:
    """A model's JSON, gzip-compressed with a fixed timestamp (same model, same bytes)."""
    return gzip.compress(json.dumps(model, sort_keys=True).encode("utf-8"), mtime=0)


def decompress(blob: bytes) -> dict[str, Any]:
    """The JSON of a stored artifact."""
    data = json.loads(gzip.decompress(blob).decode("utf-8"))
    if not isinstance(data, dict):
        raise RegistryError("stored model artifact is not a JSON object: retrain it")
    return data


class ModelRegistry:
    """Registers, lists, loads, promotes and deprecates model versions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def repository_id(self, session: Session, name: str | None) -> int | None:
        """The id of a mined repository (None for cross-project models)."""
        if name is None:
            return None
        found = session.scalar(select(Repository.id).where(Repository.name == name))
        if found is None:
            raise RegistryError(f"no repository named {name!r} in the store: run "
                                f"`diffrisk mine --name {name}` first")
        return int(found)

    def _rows(self, session: Session, repository: str | None,
              kind: str | None = None) -> list[ModelVersion]:
        repository_id = self.repository_id(session, repository)
        query = select(ModelVersion).where(ModelVersion.repository_id.is_(None)
                                           if repository_id is None
                                           else ModelVersion.repository_id == repository_id)
        if kind is not None:
            query = query.where(ModelVersion.kind == kind)
        rows = list(session.scalars(query))
        return sorted(rows, key=lambda r: (r.kind, parse_version(r.version)))

    def _entry(self, row: ModelVersion, repository: str | None) -> ModelEntry:
        return ModelEntry(row.id, repository, row.kind, row.version, row.status, row.candidate,
                          row.created_at, dict(row.metrics), dict(row.hyperparameters),
                          list(row.features), row.data_hash, (row.train_start, row.train_end),
                          (row.test_start, row.test_end), dict(row.comparison))

    def versions(self, repository: str | None, kind: str | None = None) -> list[ModelEntry]:
        """Every version of a repository's (or the cross-project) models, oldest first."""
        with Session(self.engine) as session:
            return [self._entry(r, repository) for r in self._rows(session, repository, kind)]

    def repositories_with_models(self) -> list[str]:
        """The names of the mined repositories that have registered models, sorted."""
        with Session(self.engine) as session:
            names = session.scalars(select(Repository.name).distinct().join(
                ModelVersion, ModelVersion.repository_id == Repository.id))
            return sorted(names)

    def production(self, repository: str | None, kind: str) -> ModelEntry | None:
        """The version in production for a kind, if any."""
        found = [e for e in self.versions(repository, kind) if e.status == "production"]
        return found[-1] if found else None

    def register(self, repository: str | None, registration: Registration) -> ModelEntry:
        """Store a newly trained model: validated when its held-out metrics pass, else trained."""
        if registration.kind not in KINDS:
            raise RegistryError(f"unknown model kind {registration.kind!r}: one of "
                                + ", ".join(KINDS))
        blob = compress(registration.model)
        problems = validation_problems(registration.metrics, registration.kind)
        with Session(self.engine) as session, session.begin():
            rows = self._rows(session, repository, registration.kind)
            latest = self._entry(rows[-1], repository) if rows else None
            row = ModelVersion(
                repository_id=self.repository_id(session, repository), kind=registration.kind,
                version=next_version(latest, registration.features),
                status="trained" if problems else "validated",
                candidate=registration.candidate, metrics=registration.metrics,
                hyperparameters=registration.hyperparameters, features=registration.features,
                data_hash=registration.data_hash,
                train_start=registration.train_window[0], train_end=registration.train_window[1],
                test_start=registration.test_window[0], test_end=registration.test_window[1],
                comparison={**registration.comparison, "validation_problems": problems},
                artifact=blob, artifact_sha256=hashlib.sha256(blob).hexdigest())
            session.add(row)
            session.flush()
            return self._entry(row, repository)

    def _find(self, session: Session, repository: str | None, kind: str,
              version: str) -> ModelVersion:
        parse_version(version)
        for row in self._rows(session, repository, kind):
            if row.version == version:
                return row
        where = f"repository {repository!r}" if repository else "the cross-project models"
        raise RegistryError(f"no {kind} model version {version} for {where}: see "
                            f"`diffrisk models list`")

    def get(self, repository: str | None, kind: str, version: str) -> ModelEntry:
        """One version's entry."""
        with Session(self.engine) as session:
            return self._entry(self._find(session, repository, kind, version), repository)

    def load(self, repository: str | None, kind: str, version: str) -> dict[str, Any]:
        """A version's model JSON, checked against its stored digest."""
        with Session(self.engine) as session:
            row = self._find(session, repository, kind, version)
            if hashlib.sha256(row.artifact).hexdigest() != row.artifact_sha256:
                raise RegistryError(f"{kind}@{version}'s artifact does not match its digest: "
                                    "the store is corrupt; retrain the model")
            return decompress(row.artifact)

    def promote(self, repository: str | None, kind: str, version: str) -> ModelEntry:
        """Make a validated version production if it beat what it would replace."""
        with Session(self.engine) as session, session.begin():
            row = self._find(session, repository, kind, version)
            if row.status != "validated":
                raise RegistryError(f"{kind}@{version} is {row.status}; only a validated "
                                    "model can be promoted")
            current = [r for r in self._rows(session, repository, kind)
                       if r.status == "production"]
            require_beats(row, current[0] if current else None)
            for old in current:
                old.status, old.status_changed_at = "deprecated", utcnow()
            row.status, row.status_changed_at = "production", utcnow()
            session.flush()
            return self._entry(row, repository)

    def deprecate(self, repository: str | None, kind: str, version: str) -> ModelEntry:
        """Retire a version (a deprecated production model leaves the kind without one)."""
        with Session(self.engine) as session, session.begin():
            row = self._find(session, repository, kind, version)
            if row.status == "deprecated":
                raise RegistryError(f"{kind}@{version} is already deprecated")
            row.status, row.status_changed_at = "deprecated", utcnow()
            session.flush()
            return self._entry(row, repository)


def require_beats(candidate: ModelVersion, production: ModelVersion | None) -> None:
    """Refuse a promotion unless the candidate beat, on its own held-out window, the model it
    replaces: production, or with none the shipped cross-project model it was compared with."""
    comparison = candidate.comparison
    label = f"{candidate.kind}@{candidate.version}"
    if production is not None and comparison.get("against_version") != production.version:
        raise RegistryError(
            f"{label} was compared with {comparison.get('against') or 'nothing'}, but "
            f"production is {production.kind}@{production.version}: retrain to compare on the "
            "same window")
    if "baseline" not in comparison:
        if production is None:
            return
        raise RegistryError(f"{label} has no comparison with production: retrain it")
    ours, theirs = comparison.get("candidate"), comparison.get("baseline")
    if ours is None or theirs is None or not float(ours) > float(theirs):
        raise RegistryError(
            f"{label} does not beat {comparison.get('against')} on its held-out window "
            f"({comparison.get('metric', COMPARED_METRIC)} {ours} vs {theirs}): keep the "
            "current model")
