"""What `diffrisk train` does around the learning itself: read the rows, compare the new model
with the one it would replace on the same held-out window, register, save, log to MLflow."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.export import write_features_csv
from app.output_files import atomic_binary_file, atomic_text_file
from app.storage.feature_store import FeatureStore
from app.storage.registry import ModelRegistry, Registration

if TYPE_CHECKING:
    from models.dataset import Dataset
    from models.risk_model import RiskModel
    from models.training import TrainingOptions, TrainingResult


class TrainingRunError(ValueError):
    """A training request that cannot run as asked (one line saying what to do)."""


def store_columns(store: FeatureStore, repository: str) -> dict[str, list[str]]:
    """A mined repository's rows as the columns its exported CSV would have."""
    from models.dataset import parse_columns  # noqa: PLC0415

    repository_id = store.repository_id(repository)
    if repository_id is None:
        raise TrainingRunError(f"no repository named {repository!r} in the store: run "
                               f"`diffrisk mine --name {repository}` first")
    buffer = io.StringIO()
    write_features_csv(store, repository_id, buffer)
    return parse_columns(list(csv.reader(io.StringIO(buffer.getvalue()))), repository)


def data_hash(data: Dataset) -> str:
    """SHA-256 of the training data: feature names, values, labels and times."""
    digest = hashlib.sha256("\x1f".join(data.names).encode("utf-8"))
    for array in (data.features, data.labels, data.times):
        digest.update(array.tobytes())
    return digest.hexdigest()


def finite(value: Any) -> Any:
    """The value, with NaN as None (JSON has no NaN)."""
    return None if isinstance(value, float) and math.isnan(value) else value


def compare_on_window(data: Dataset, result: TrainingResult, reference: RiskModel,
                      against: str, version: str) -> dict[str, Any]:
    """The reference model's AUC on the new model's own held-out rows, next to the new one's."""
    from models.metrics import roc_auc  # noqa: PLC0415

    base = {"against": against, "against_version": version, "metric": "auc",
            "window": [int(result.test_window[0]), int(result.test_window[1])]}
    missing = [name for name in reference.inputs if name not in data.names]
    if missing:
        return {**base, "comparable": False,
                "reason": f"the data has no column {missing[0]!r} that {against} needs"}
    columns = [data.names.index(name) for name in reference.inputs]
    rows = data.features[result.test_rows][:, columns]
    theirs = roc_auc(result.test_labels, reference.score(rows))
    return {**base, "comparable": True, "candidate": finite(result.metrics["auc"]),
            "baseline": finite(theirs)}


def reference_model(registry: ModelRegistry | None, repository: str | None,
                    ) -> tuple[RiskModel, str, str] | None:
    """What a new risk model must beat: production for the repository, else the shipped one."""
    from models.risk_model import RiskModel  # noqa: PLC0415
    from models.shipped import shipped_risk_model  # noqa: PLC0415

    if registry is not None:
        production = registry.production(repository, "risk")
        if production is not None:
            model = RiskModel.from_json(registry.load(repository, "risk", production.version))
            return model, f"production risk@{production.version}", production.version
    shipped = shipped_risk_model()
    if shipped is None:
        return None
    version = str(shipped.info.get("version", "shipped"))
    return shipped, f"the shipped cross-project model {version}", f"shipped-{version}"


def registration(data: Dataset, result: TrainingResult, options: TrainingOptions,
                 comparison: dict[str, Any]) -> Registration:
    """The registry record of a trained risk model."""
    assert result.risk_model is not None
    metrics = {name: finite(value) for name, value in result.metrics.items()}
    hyper = {**{k: v for k, v in asdict(options).items() if k != "portable"},
             "candidate": result.model, "calibration": result.calibration,
             "threshold": result.threshold}
    return Registration(
        "risk", result.model, result.risk_model.to_json(),
        {**metrics, "n_train": result.n_train, "n_test": result.n_test,
         "cv_auc": {k: finite(v) for k, v in result.cv_auc.items()}},
        hyper, list(result.features), data_hash(data),
        (int(result.train_window[0]), int(result.train_window[1])),
        (int(result.test_window[0]), int(result.test_window[1])), comparison)


def save_model(model: dict[str, Any], path: Path) -> None:
    """Write a model as JSON (gzip-compressed when the name ends in .gz), atomically."""
    text = json.dumps(model, sort_keys=True)
    if path.name.endswith(".gz"):
        with atomic_binary_file(path) as stream:
            stream.write(gzip.compress(text.encode("utf-8"), mtime=0))
        return
    with atomic_text_file(path) as handle:
        handle.write(text)


def log_to_mlflow(tracking_uri: str, record: Registration, model_label: str) -> str:
    """Log parameters, metrics and the model JSON as one MLflow run; returns the run id."""
    try:
        import mlflow  # noqa: PLC0415
    except ImportError:
        raise TrainingRunError("MLFLOW_TRACKING_URI is set but MLflow is not installed: "
                               "pip install 'diffrisk[mlflow]' or unset it") from None
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("diffrisk")
    with mlflow.start_run(run_name=model_label) as run:
        mlflow.log_params({k: json.dumps(v) if isinstance(v, dict | list) else v
                           for k, v in record.hyperparameters.items()})
        mlflow.log_metrics({k: float(v) for k, v in record.metrics.items()
                            if isinstance(v, int | float) and v is not None})
        mlflow.set_tags({"diffrisk.kind": record.kind, "diffrisk.data_hash": record.data_hash})
        mlflow.log_dict(record.model, "model.json")
        return str(run.info.run_id)
