"""One process at a time mines and trains a repository: two workers learning the same
repository at once (a push job and a pull request's analysis) wait for each other instead of
colliding on the store's unique keys; other repositories do not wait (PostgreSQL and SQLite)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analyzers.git import GitRepo
from app.mining import MiningReport, mine_repository
from app.settings import Settings
from app.storage.database import open_store
from app.storage.locks import learning_lock
from app.storage.schema import Commit
from tests.gitbuild import RepoBuilder
from tests.history_repo import build_long_history

BLOCKED_FOR = 0.3  # seconds a second holder is watched for entering while the first holds


def entered_while_held(url: str, first: str, second: str) -> bool:
    """Whether a thread locking `second` got in while `first` was held by another."""
    held, entered = threading.Event(), threading.Event()
    release = threading.Event()

    def hold() -> None:
        with learning_lock(open_store(url), first):
            held.set()
            release.wait(10)

    def enter() -> None:
        held.wait(10)
        with learning_lock(open_store(url), second):
            entered.set()

    with ThreadPoolExecutor(2) as pool:
        holder, waiter = pool.submit(hold), pool.submit(enter)
        got_in = entered.wait(BLOCKED_FOR)
        release.set()
        holder.result(10)
        waiter.result(10)
    assert entered.is_set()  # it always gets in once the first is released
    return got_in


def test_the_same_repository_waits(database_url: str) -> None:
    assert not entered_while_held(database_url, "octo/demo", "octo/demo")


@pytest.mark.postgres
def test_another_repository_does_not_wait_on_postgresql(postgres_url: str) -> None:
    assert entered_while_held(postgres_url, "octo/demo", "octo/other")


def test_two_workers_mining_at_once_store_each_commit_once(database_url: str,
                                                           tmp_path: Path) -> None:
    builder = RepoBuilder(tmp_path / "repo")
    build_long_history(builder, commits=120)
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    open_store(database_url)  # migrated once, as a deployed store is

    def mine() -> MiningReport:
        return mine_repository(open_store(database_url), settings, GitRepo(builder.path),
                               name="octo/demo", allow_no_fixes=True)

    with ThreadPoolExecutor(2) as pool:
        reports = [future.result(120) for future in [pool.submit(mine), pool.submit(mine)]]
    assert sorted(report.new_commits for report in reports) == [0, 120]
    with Session(open_store(database_url)) as session:
        assert session.scalar(select(func.count()).select_from(Commit)) == 120
