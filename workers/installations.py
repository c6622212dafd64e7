"""Installations and their repositories in the store: recorded when GitHub grants access,
suspended and resumed, and every trace of a repository deleted when the access goes."""

from __future__ import annotations

import shutil

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from analyzers.git import GitRepo
from app.graph_cache import GraphCache
from app.settings import Settings
from app.storage.schema import Installation, InstalledRepository, Repository, utcnow
from workers.analyses import delete_analyses
from workers.mirror import (
    delete_installation_mirrors,
    delete_mirror,
    mirror_path,
    split_repository,
)

MAX_REPOSITORIES = 10_000  # per event; GitHub lists far fewer per installation event


def checked_names(repositories: list[str]) -> list[str]:
    """The repository names, each an owner/name pair, deduplicated and bounded."""
    if len(repositories) > MAX_REPOSITORIES:
        raise ValueError(f"{len(repositories)} repositories in one job; at most "
                         f"{MAX_REPOSITORIES}")
    for name in repositories:
        split_repository(name)
    return sorted(set(repositories))


def _installation(session: Session, installation_id: int, account: str = "") -> Installation:
    """The installation's row, created when missing."""
    row = session.get(Installation, installation_id)
    if row is None:
        row = Installation(id=installation_id, account=account[:200], suspended=False)
        session.add(row)
        session.flush()
    elif account:
        row.account = account[:200]
    row.updated_at = utcnow()
    return row


def record_repositories(engine: Engine, installation_id: int, account: str,
                        repositories: list[str]) -> list[str]:
    """Record the installation and the repositories it grants; the ones new to it."""
    names = checked_names(repositories)
    with Session(engine) as session, session.begin():
        _installation(session, installation_id, account)
        known = set(session.scalars(select(InstalledRepository.full_name).where(
            InstalledRepository.installation_id == installation_id)))
        new = [name for name in names if name not in known]
        session.add_all(InstalledRepository(installation_id=installation_id, full_name=name)
                        for name in new)
    return new


def set_suspended(engine: Engine, installation_id: int, suspended: bool) -> None:
    """Mark the installation suspended (its jobs do nothing) or active again."""
    with Session(engine) as session, session.begin():
        _installation(session, installation_id).suspended = suspended


def is_suspended(engine: Engine, installation_id: int) -> bool:
    """Whether the installation is suspended (unknown installations are not)."""
    with Session(engine) as session:
        row = session.get(Installation, installation_id)
        return bool(row is not None and row.suspended)


def installed_repositories(engine: Engine, installation_id: int) -> list[str]:
    """The repositories recorded for the installation."""
    with Session(engine) as session:
        return sorted(session.scalars(select(InstalledRepository.full_name).where(
            InstalledRepository.installation_id == installation_id)))


def _delete_graphs(settings: Settings, installation_id: int, repository: str) -> None:
    """The cached import graphs computed from the repository's mirror."""
    path = mirror_path(settings, installation_id, repository)
    if (path / "HEAD").is_file():
        graphs = GraphCache(settings.data_dir.expanduser()).file_for(GitRepo(path), "0").parent
        shutil.rmtree(graphs, ignore_errors=True)


def delete_repositories(engine: Engine, settings: Settings, installation_id: int,
                        repositories: list[str]) -> None:
    """Delete the repositories' mined history, models, analyses, rows and mirrors."""
    names = checked_names(repositories)
    if not names:
        return
    with Session(engine) as session, session.begin():
        session.execute(delete(Repository).where(Repository.name.in_(names)))
        session.execute(delete(InstalledRepository).where(
            InstalledRepository.installation_id == installation_id,
            InstalledRepository.full_name.in_(names)))
    delete_analyses(engine, names)
    for name in names:
        _delete_graphs(settings, installation_id, name)
        delete_mirror(settings, installation_id, name)


def forget(engine: Engine, settings: Settings, installation_id: int) -> list[str]:
    """Delete everything of an installation (its repositories' data too); their names."""
    names = installed_repositories(engine, installation_id)
    delete_repositories(engine, settings, installation_id, names)
    with Session(engine) as session, session.begin():
        session.execute(delete(Installation).where(Installation.id == installation_id))
    delete_installation_mirrors(settings, installation_id)
    return names
