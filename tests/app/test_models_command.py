"""`diffrisk train --register/--save` and `diffrisk models …` end to end, and MLflow logging."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cli import main
from app.storage.database import open_store
from app.storage.schema import ModelVersion, Repository
from models.risk_model import RiskModel
from tests.synthetic import NAMES, synthetic_columns, write_synthetic_csv


def run(database: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """Invoke diffrisk in-process against one database."""
    return CliRunner().invoke(main, ["--database-url", database, *args], env=env)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic training CSV."""
    return write_synthetic_csv(tmp_path_factory.mktemp("models") / "changes.csv", 500, seed=4)


def test_register_list_show_promote_export(csv_path: Path, sqlite_url: str,
                                           tmp_path: Path) -> None:
    saved = tmp_path / "model.json.gz"
    trained = run(sqlite_url, "train", "--data", str(csv_path), "--register", "--save",
                  str(saved), "--json")
    assert trained.exit_code == 0, trained.output
    report = json.loads(trained.output)
    assert report["registered"] == {"kind": "risk", "version": "1.0.0", "status": "validated"}
    model = RiskModel.from_json(json.loads(gzip.decompress(saved.read_bytes())))
    listed = run(sqlite_url, "models", "list")
    assert "risk@1.0.0" in listed.output and "validated" in listed.output
    shown = json.loads(run(sqlite_url, "models", "show", "1.0.0").output)
    assert shown["features"][:len(NAMES)] == list(NAMES)
    assert len(shown["data_hash"]) == 64
    assert run(sqlite_url, "models", "promote", "1.0.0").exit_code == 0
    again = run(sqlite_url, "models", "promote", "1.0.0")
    assert again.exit_code == 2 and "only a validated model" in again.output
    onnx_path = tmp_path / "risk.onnx"
    exported = run(sqlite_url, "models", "export", "1.0.0", "--output", str(onnx_path))
    assert exported.exit_code == 0, exported.output
    columns = synthetic_columns(50, seed=9)
    rows = np.column_stack([columns[n] for n in NAMES]).astype(np.float32)
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (onnx_scores,) = session.run(None, {"features": rows})
    assert np.allclose(onnx_scores, model.score(rows.astype(np.float64)), atol=1e-4)


def test_a_second_model_is_compared_with_production(csv_path: Path, sqlite_url: str) -> None:
    assert run(sqlite_url, "train", "--data", str(csv_path), "--register").exit_code == 0
    assert run(sqlite_url, "models", "promote", "1.0.0").exit_code == 0
    second = run(sqlite_url, "train", "--data", str(csv_path), "--register", "--json")
    comparison = json.loads(second.output)["comparison"]
    assert comparison["against_version"] == "1.0.0"
    assert comparison["candidate"] == pytest.approx(comparison["baseline"])
    refused = run(sqlite_url, "models", "promote", "1.1.0")
    assert refused.exit_code == 2 and "does not beat production risk@1.0.0" in refused.output


def test_bad_requests_get_one_line(sqlite_url: str) -> None:
    missing = run(sqlite_url, "models", "show", "3.0.0")
    assert missing.exit_code == 2
    assert missing.output.strip().splitlines() == [
        "error: no risk model version 3.0.0 for the cross-project models: see "
        "`diffrisk models list`"]
    unmined = run(sqlite_url, "train", "--repository", "nowhere")
    assert unmined.exit_code == 2 and "diffrisk mine --name nowhere" in unmined.output


def test_training_is_logged_to_mlflow(csv_path: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow  # noqa: PLC0415

    monkeypatch.chdir(tmp_path)
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = run(f"sqlite:///{tmp_path / 'store.db'}", "train", "--data", str(csv_path),
                 "--json", env={"MLFLOW_TRACKING_URI": tracking})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    logged = mlflow.tracking.MlflowClient(tracking_uri=tracking).get_run(report["mlflow_run"])
    assert logged.data.metrics["auc"] == pytest.approx(report["auc"])
    assert logged.data.tags["diffrisk.kind"] == "risk"


def test_tune_feeds_the_tuned_hyperparameters_to_training(csv_path: Path,
                                                          sqlite_url: str) -> None:
    result = run(sqlite_url, "train", "--data", str(csv_path), "--tune", "3", "--register",
                 "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(run(sqlite_url, "models", "show", "1.0.0").output)
    tuned = shown["hyperparameters"]["xgboost_params"]
    assert {"max_depth", "learning_rate", "n_estimators"} <= set(tuned)
    refused = run(sqlite_url, "train", "--data", str(csv_path), "--tune", "0")
    assert refused.exit_code == 2 and "positive number of seconds" in refused.output


def test_an_unwritable_output_is_one_line(csv_path: Path, sqlite_url: str) -> None:
    result = run(sqlite_url, "train", "--data", str(csv_path), "--save", "/proc/none/m.json")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: cannot use /proc/none: No such file or directory; check the path and its "
        "permissions"]


def test_an_empty_list_says_where_the_models_are(sqlite_url: str) -> None:
    assert run(sqlite_url, "models", "list").output.strip() == (
        "no models registered: run `diffrisk train --register`")
    engine = open_store(sqlite_url)
    with Session(engine) as session, session.begin():
        for name in ("octo/b", "octo/a", "octo/none"):
            session.add(Repository(name=name, path=f"/clones/{name}"))
        session.flush()
        for repository in session.scalars(select(Repository).where(Repository.name != "octo/none")):
            session.add(ModelVersion(
                repository_id=repository.id, kind="risk", version="1.0.0", status="validated",
                candidate="forest", metrics={}, hyperparameters={}, features=[], data_hash="0",
                train_start=0, train_end=1, test_start=1, test_end=2, comparison={},
                artifact=b"", artifact_sha256="0" * 64))
    assert run(sqlite_url, "models", "list").output.strip() == (
        "no cross-project models registered; the repositories octo/a, octo/b have their own: "
        "pass --repository NAME")
    assert "diffrisk train --repository octo/none --register" in run(
        sqlite_url, "models", "list", "--repository", "octo/none").output
    assert "risk@1.0.0" in run(sqlite_url, "models", "list", "--repository", "octo/a").output
