"""The cross-project risk model shipped inside the package, for repositories too small or too
young to learn from (its model card is models/pretrained/MODEL_CARD.md)."""

from __future__ import annotations

import gzip
import json
from importlib import resources

from models.risk_model import RiskModel

SHIPPED_RISK = "risk.json.gz"


def shipped_risk_model() -> RiskModel | None:
    """The shipped cross-project risk model, or None when this build has none."""
    resource = resources.files("models").joinpath("pretrained", SHIPPED_RISK)
    if not resource.is_file():
        return None
    return RiskModel.from_json(json.loads(gzip.decompress(resource.read_bytes())))
