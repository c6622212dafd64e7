"""Which risk model scores a repository: its own production model, else the shipped one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.storage.registry import ModelRegistry

if TYPE_CHECKING:
    from models.risk_model import RiskModel


class NoModelError(ValueError):
    """No model can score this repository (one line saying what to do)."""


def active_risk_model(registry: ModelRegistry, repository: str) -> tuple[RiskModel, str]:
    """The repository's production risk model, or the shipped cross-project model while the
    repository is too small or too young to have one that beat it; with a label saying which."""
    from models.risk_model import RiskModel  # noqa: PLC0415
    from models.shipped import shipped_risk_model  # noqa: PLC0415

    production = registry.production(repository, "risk")
    if production is not None:
        model = RiskModel.from_json(registry.load(repository, "risk", production.version))
        return model, f"{repository} risk@{production.version}"
    shipped = shipped_risk_model()
    if shipped is None:
        raise NoModelError(f"{repository} has no production risk model and this build ships "
                           f"none: run `diffrisk train --repository {repository} --register` "
                           "and `diffrisk models promote`")
    return shipped, f"shipped cross-project risk@{shipped.info.get('version', '?')}"
