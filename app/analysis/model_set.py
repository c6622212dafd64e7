"""The models that score a repository's changes: its production model of each kind, and the
shipped cross-project risk model while it has no risk model of its own that beat it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.model_choice import active_risk_model
from app.storage.registry import ModelRegistry

if TYPE_CHECKING:
    from models.scoring import ModelSet


@dataclass(frozen=True)
class LoadedModels:
    """The model set and, per kind, which model it is (kind → "name kind@version")."""

    models: ModelSet
    labels: dict[str, str]


def load_models(registry: ModelRegistry, repository: str,
                data_dir: Path | None = None) -> LoadedModels:
    """Every production model of the repository (risk falls back to the shipped one, read
    through the cache in data_dir when given: app/model_cache.py)."""
    from app.model_cache import cached_forest_arrays  # noqa: PLC0415
    from models.anomaly import AnomalyModel  # noqa: PLC0415
    from models.bug import BugModel  # noqa: PLC0415
    from models.file_risk import FileRiskModel  # noqa: PLC0415
    from models.health import HealthModel  # noqa: PLC0415
    from models.impact import ImpactModel  # noqa: PLC0415
    from models.scoring import ModelSet  # noqa: PLC0415

    risk, risk_label = active_risk_model(registry, repository, data_dir)
    labels = {"risk": risk_label}
    loaded: dict[str, object] = {}
    readers = {"file_risk": FileRiskModel.from_json, "bug": BugModel.from_json,
               "anomaly": lambda data: AnomalyModel.from_json(data["anomaly"]),
               "impact": ImpactModel.from_json, "health": HealthModel.from_json}
    for kind, read in readers.items():
        entry = registry.production(repository, kind)
        if entry is None:
            continue
        loaded[kind] = read(registry.load(repository, kind, entry.version))
        labels[kind] = f"{repository} {kind}@{entry.version}"
    anomaly = loaded.get("anomaly")
    if isinstance(anomaly, AnomalyModel) and data_dir is not None:
        arrays = cached_forest_arrays(anomaly.onnx_text, data_dir)
        if arrays is not None:
            anomaly.use_arrays(arrays)
    return LoadedModels(ModelSet(risk, loaded.get("file_risk"), loaded.get("bug"),  # type: ignore[arg-type]
                                 loaded.get("anomaly"), loaded.get("impact"),  # type: ignore[arg-type]
                                 loaded.get("health")), labels)  # type: ignore[arg-type]
