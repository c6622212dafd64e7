"""The analyses table: one analysis per (repository, head sha, gate configuration), its result
and how it was posted."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.reports.result import AnalysisResult, result_json
from app.storage.schema import Analysis, utcnow

POSTED = "completed"  # the result (or the reason there is none) reached GitHub
ANALYSED = "analysed"  # the result is stored, not (yet) posted: a later job may post it
SUPERSEDED = "superseded"  # the pull request moved on before the result could be posted
RUNNING = "running"
FAILED = "failed"


@dataclass(frozen=True)
class StoredAnalysis:
    """An analyses row as plain data."""

    id: int
    status: str
    conclusion: str | None
    check_run_id: int | None
    result: dict[str, Any] | None
    reason: str | None


def config_hash(text: str | None) -> str:
    """sha256 of the default branch's .github/diffrisk.yml text ("" when there is none)."""
    return "" if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(row: Analysis) -> StoredAnalysis:
    return StoredAnalysis(row.id, row.status, row.conclusion, row.check_run_id, row.result,
                          row.reason)


def find_analysis(engine: Engine, repository: str, head_sha: str,
                  config: str) -> StoredAnalysis | None:
    """The analysis of this head under this configuration, if any."""
    with Session(engine) as session:
        row = session.scalars(select(Analysis).where(
            Analysis.repository == repository, Analysis.head_sha == head_sha,
            Analysis.config_hash == config)).first()
        return None if row is None else _plain(row)


def claim_analysis(engine: Engine, repository: str, number: int | None, head_sha: str,
                   base_sha: str, config: str) -> StoredAnalysis:
    """The row of this analysis, created when missing (two workers may race: one wins)."""
    found = find_analysis(engine, repository, head_sha, config)
    if found is not None:
        return found
    try:
        with Session(engine) as session, session.begin():
            session.add(Analysis(repository=repository, pull_number=number, head_sha=head_sha,
                                 base_sha=base_sha, config_hash=config, status=RUNNING))
    except IntegrityError:
        pass
    found = find_analysis(engine, repository, head_sha, config)
    assert found is not None
    return found


def update_analysis(engine: Engine, analysis_id: int, **values: Any) -> None:
    """Set columns of one analysis (status, conclusion, check_run_id, result, reason)."""
    if isinstance(values.get("result"), AnalysisResult):
        values["result"] = result_json(values["result"])
    with Session(engine) as session, session.begin():
        row = session.get(Analysis, analysis_id)
        if row is not None:
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()


def delete_analyses(engine: Engine, repositories: list[str]) -> int:
    """Delete every analysis of these repositories; how many."""
    if not repositories:
        return 0
    with Session(engine) as session, session.begin():
        done = session.execute(delete(Analysis).where(Analysis.repository.in_(repositories)))
        return int(getattr(done, "rowcount", 0) or 0)
