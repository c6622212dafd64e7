"""Installation jobs: repositories recorded and bootstrapped, suspension, and forgetting an
installation deleting its data and mirrors (on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analyzers.git import GitRepo
from app.graph_cache import GraphCache
from app.storage.database import open_store
from app.storage.schema import Analysis, Commit, Installation, InstalledRepository, ModelVersion
from tests.fakegithub import FakeGitHub
from tests.gitbuild import RepoBuilder
from tests.history_repo import different_work
from tests.workers.conftest import INSTALLATION, REPOSITORY, History, job_arguments, open_pull
from workers import context, jobs
from workers.queue import MAINTENANCE


def count(url: str, table: type) -> int:
    """Rows of a table."""
    with Session(open_store(url)) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_added_repositories_are_recorded_and_bootstrapped(
        worker_env: dict[str, str], fake: FakeGitHub, builder: RepoBuilder,
        redis_url: str) -> None:
    url = worker_env["DIFFRISK_DATABASE_URL"]
    assert jobs.add_repositories(INSTALLATION, "octo", [REPOSITORY, "octo/small"]) \
        == "2 repositories added"
    assert jobs.add_repositories(INSTALLATION, "octo", [REPOSITORY]) == "0 repositories added"
    assert count(url, InstalledRepository) == 2
    queued = Queue(MAINTENANCE, connection=Redis.from_url(redis_url)).jobs
    assert sorted(job.kwargs["repository"] for job in queued) == [REPOSITORY, "octo/small"]
    assert {job.func_name for job in queued} == {jobs.BOOTSTRAP}

    builder.write("a.py", "x = 1\n")
    builder.commit("Start")
    fake.clone_urls["octo/small"] = str(builder.path)
    outcome = jobs.bootstrap_repository(INSTALLATION, "octo/small")
    assert outcome.startswith("mined 1 new commits") and "not trained" in outcome
    mirror = Path(worker_env["DIFFRISK_DATA_DIR"]) / f"mirrors/{INSTALLATION}/octo/small.git"
    assert (mirror / "HEAD").is_file()
    assert fake.violations == []


def test_a_suspended_installation_does_nothing(worker_env: dict[str, str], fake: FakeGitHub,
                                               history: History) -> None:
    assert jobs.set_suspended(INSTALLATION, True) == "suspended"
    open_pull(fake, history, history.head)
    assert jobs.analyze_pull_request(**job_arguments(history, history.head)) == "suspended"
    assert fake.requests == []
    assert jobs.set_suspended(INSTALLATION, False) == "active"
    assert jobs.analyze_pull_request(
        **job_arguments(history, history.head, draft=True)) == "draft"


def test_forgetting_an_installation_deletes_its_data_and_mirrors(
        worker_env: dict[str, str], fake: FakeGitHub, history: History, data_dir: Path,
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if database_url.startswith("postgresql"):
        monkeypatch.setenv("DIFFRISK_DATABASE_URL", database_url)
        context.reset()
    url = context.current().settings.store_url
    jobs.add_repositories(INSTALLATION, "octo", [REPOSITORY])
    open_pull(fake, history, history.head)
    jobs.analyze_pull_request(**job_arguments(history, history.head))
    assert count(url, Commit) > 200 and count(url, Analysis) == 1
    if database_url.startswith("sqlite"):
        assert count(url, ModelVersion) > 0
    mirrors = data_dir / "mirrors" / str(INSTALLATION)
    graphs = GraphCache(data_dir).file_for(GitRepo(mirrors / f"{REPOSITORY}.git"), "0").parent
    assert graphs.is_dir()

    assert jobs.forget_installation(INSTALLATION) == "installation forgotten with 1 repositories"
    for table in (Commit, Analysis, ModelVersion, InstalledRepository, Installation):
        assert count(url, table) == 0, table
    assert not mirrors.exists()
    assert not graphs.exists()
    assert fake.violations == []


def test_pushes_to_the_default_branch_are_mined_and_removal_deletes_the_mirror(
        worker_env: dict[str, str], fake: FakeGitHub, builder: RepoBuilder) -> None:
    url = worker_env["DIFFRISK_DATABASE_URL"]
    builder.write("a.py", "x = 1\n")
    first = builder.commit("Start")
    source: dict[str, Any] = {"installation_id": INSTALLATION, "repository": "octo/small",
              "clone_url": str(builder.path), "default_branch": "main"}
    assert jobs.mine_default_branch(**source, after_sha=first).startswith("mined 1 new")
    builder.write("a.py", "x = 2\n")
    second = builder.commit("Fix the start")
    assert jobs.mine_default_branch(**source, after_sha=second).startswith("mined 1 new")
    assert jobs.retrain_repository(**source).startswith("mined 0 new commits (2 in all); "
                                                        "not trained")
    mined = count(url, Commit)  # the warm store's octo/demo and these two
    mirror = Path(worker_env["DIFFRISK_DATA_DIR"]) / f"mirrors/{INSTALLATION}/octo/small.git"
    assert (mirror / "HEAD").is_file()
    assert jobs.remove_repositories(INSTALLATION, ["octo/small"]) == "1 repositories removed"
    assert count(url, Commit) == mined - 2 and not mirror.exists()
    assert fake.violations == []


def test_a_push_of_different_work_retrains_and_a_small_one_does_not(
        worker_env: dict[str, str], fake: FakeGitHub, history: History) -> None:
    builder = history.builder
    builder.checkout("-B", "drifted", history.base)
    builder.write("notes.txt", "one more\n")
    small = builder.commit("Note")
    source: dict[str, Any] = {"installation_id": INSTALLATION, "repository": REPOSITORY,
                              "clone_url": str(builder.path), "default_branch": "drifted"}
    try:
        assert jobs.mine_default_branch(**source, after_sha=small) == (
            "mined 1 new commits (221 in all); models are current (1 changes since they were "
            "trained; drift is judged from 100)")
        different_work(builder, 100)
        outcome = jobs.mine_default_branch(**source, after_sha=builder.head())
    finally:
        builder.checkout("main")
    assert outcome.startswith("mined 100 new commits (321 in all); trained (drift ")
    assert "over the threshold 0.15: " in outcome and "(101 new changes against" in outcome
    assert "): risk: " in outcome and "; health: " in outcome
    assert fake.violations == []
