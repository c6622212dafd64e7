"""The cross-project risk model shipped inside the package, for repositories too small or too
young to learn from (its model card is models/pretrained/MODEL_CARD.md)."""

from __future__ import annotations

import gzip
import json
from importlib import resources

from models.risk_model import RiskModel

SHIPPED_RISK = "risk.json.gz"


def shipped_risk_bytes() -> bytes | None:
    """The shipped model's file as stored (gzipped JSON), or None when this build has none."""
    resource = resources.files("models").joinpath("pretrained", SHIPPED_RISK)
    if not resource.is_file():
        return None
    return resource.read_bytes()


def risk_model_from_bytes(stored: bytes) -> RiskModel:
    """A risk model from its gzipped JSON."""
    return RiskModel.from_json(json.loads(gzip.decompress(stored)))


def shipped_risk_model() -> RiskModel | None:
    """The shipped cross-project risk model, or None when this build has none."""
    stored = shipped_risk_bytes()
    return None if stored is None else risk_model_from_bytes(stored)
