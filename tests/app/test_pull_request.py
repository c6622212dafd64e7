"""A pull request's features equal those the miner gives the same change squashed into one
commit on the base."""

from __future__ import annotations

import pytest

from analyzers.git import GitRepo
from app.mining import mine_repository
from app.pull_request import NotMinedError, pull_request_features
from app.settings import Settings
from app.storage.database import open_store
from app.storage.feature_store import FeatureStore
from tests.gitbuild import RepoBuilder, build_buggy_history

SETTINGS = Settings()


def test_pull_request_features_equal_its_squashed_commit(builder: RepoBuilder,
                                                         tmp_path_factory: pytest.TempPathFactory,
                                                         ) -> None:
    build_buggy_history(builder)
    base = builder.head()
    builder.checkout("-b", "feature")
    builder.write("calc/ops.py", "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n"
                                 "    return a - b\n\n\ndef mul(a, b):\n    return a * b\n\n\n"
                                 "def div(a, b):\n    return a / b\n")
    builder.commit("Add div", author=("Carol", "carol@example.com"))
    builder.move("README.md", "docs/README.md")
    builder.write("calc/extra.py", "X = 1\n")
    head = builder.commit("Move the readme, add extra", author=("Carol", "carol@example.com"))
    repo = GitRepo(builder.path)
    pr_store = open_store(f"sqlite:///{tmp_path_factory.mktemp('pr') / 'pr.db'}")
    mine_repository(pr_store, SETTINGS, repo, rev=base, name="calc")
    ours = pull_request_features(pr_store, SETTINGS, repo, "calc", base, head)

    tree = builder.git("rev-parse", f"{head}^{{tree}}").strip()
    squashed = builder.git("commit-tree", tree, "-p", base, "-m", "Move the readme, add extra",
                           author=("Carol", "carol@example.com")).strip()
    squash_store = open_store(f"sqlite:///{tmp_path_factory.mktemp('sq') / 'sq.db'}")
    mine_repository(squash_store, SETTINGS, repo, rev=squashed, name="calc")
    store = FeatureStore(squash_store)
    repository_id = store.repository_id("calc")
    assert repository_id is not None
    expected = store.commit_features(repository_id, squashed)
    assert expected is not None
    assert ours.features == pytest.approx(expected)
    assert ours.features["nf"] == 3 and ours.features["nrename"] == 1
    assert ours.features["la"] > 0


def test_an_unmined_repository_is_refused(builder: RepoBuilder, sqlite_url: str) -> None:
    build_buggy_history(builder)
    with pytest.raises(NotMinedError, match="diffrisk mine --name calc"):
        pull_request_features(open_store(sqlite_url), SETTINGS, GitRepo(builder.path), "calc",
                              "HEAD~1", "HEAD")
