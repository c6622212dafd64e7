"""Which risk model scores a repository: its own production model, else the shipped one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.storage.registry import ModelRegistry

if TYPE_CHECKING:
    from models.risk_model import RiskModel


class NoModelError(ValueError):
    """No model can score this repository (one line saying what to do)."""


def active_risk_model(registry: ModelRegistry, repository: str,
                      data_dir: Path | None = None) -> tuple[RiskModel, str]:
    """The repository's production risk model, or the shipped cross-project model while the
    repository is too small or too young to have one that beat it; with a label saying which
    (the shipped one read through the cache in data_dir when given: app/model_cache.py)."""
    from app.model_cache import cached_shipped_risk_model, with_cached_forests  # noqa: PLC0415
    from models.risk_model import RiskModel  # noqa: PLC0415

    production = registry.production(repository, "risk")
    if production is not None:
        model = RiskModel.from_json(registry.load(repository, "risk", production.version))
        if data_dir is not None:
            model = with_cached_forests(model, data_dir)
        return model, f"{repository} risk@{production.version}"
    shipped = cached_shipped_risk_model(data_dir)
    if shipped is None:
        raise NoModelError(f"{repository} has no production risk model and this build ships "
                           f"none: run `diffrisk train --repository {repository} --register` "
                           "and `diffrisk models promote`")
    return shipped, f"shipped cross-project risk@{shipped.info.get('version', '?')}"
