"""A pull request's features equal those the miner gives the same change squashed into one
commit on the base."""

from __future__ import annotations

import pytest

from analyzers.git import GitRepo
from analyzers.gitlog import range_as_commit
from analyzers.history import needed_commits
from app.mining import mine_repository
from app.pull_request import (
    NotMinedError,
    change_state,
    mine_change,
    pull_request_features,
    replayed_state,
    stored_repository,
)
from app.settings import Settings
from app.storage.database import open_store
from app.storage.feature_store import FeatureStore
from app.storage.writer import HistoryWriter
from tests.gitbuild import RepoBuilder, build_buggy_history
from tests.history_repo import AUTHORS, build_long_history

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


def history_with_renames(builder: RepoBuilder) -> str:
    """A seeded long history, then renames (twice over), a copy, a delete and re-add, a
    merged side branch and a file swapped between two names; returns the base sha."""
    build_long_history(builder, commits=60)
    builder.move("pkg/mod1.py", "pkg/one.py")
    builder.commit("Rename mod1", author=AUTHORS[1])
    builder.write("pkg/one.py", "X = 1\n" + (builder.path / "pkg/one.py").read_text())
    builder.commit("Fix one", author=AUTHORS[2])
    builder.move("pkg/one.py", "lib/one.py")
    builder.write("pkg/mod2_copy.py", (builder.path / "pkg/mod2.py").read_text())
    builder.commit("Move one to lib, copy mod2", author=AUTHORS[0])
    builder.delete("pkg/mod3.py")
    builder.commit("Drop mod3", author=AUTHORS[3])
    builder.write("pkg/mod3.py", "def back(x):\n    return x\n")
    builder.commit("Bring mod3 back", author=AUTHORS[1])
    builder.checkout("-b", "side")
    builder.write("pkg/mod4.py", (builder.path / "pkg/mod4.py").read_text() + "Y = 2\n")
    builder.commit("Side change", author=AUTHORS[3])
    builder.checkout("main")
    builder.write("pkg/mod5.py", (builder.path / "pkg/mod5.py").read_text() + "Z = 3\n")
    builder.commit("Main change", author=AUTHORS[2])
    builder.merge("side", "Merge side")
    builder.move("pkg/mod6.py", "pkg/tmp.py")
    builder.move("pkg/mod7.py", "pkg/mod6.py")
    builder.move("pkg/tmp.py", "pkg/mod7.py")
    builder.commit("Swap mod6 and mod7", author=AUTHORS[0])
    return builder.head()


def pull_request(builder: RepoBuilder, base: str, branch: str, author: tuple[str, str],
                 files: dict[str, str], moves: dict[str, str]) -> str:
    """A branch off base with the files rewritten (appended to) and moved, in one commit."""
    builder.checkout("-b", branch, base)
    for old, new in moves.items():
        builder.move(old, new)
    for path, extra in files.items():
        target = builder.path / path
        builder.write(path, (target.read_text() if target.exists() else "") + extra)
    return builder.commit(f"Change on {branch}", author=author)


def test_features_from_the_needed_commits_equal_a_whole_replay(
        builder: RepoBuilder, tmp_path_factory: pytest.TempPathFactory) -> None:
    base = history_with_renames(builder)
    repo = GitRepo(builder.path)
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('pr') / 'pr.db'}")
    mine_repository(engine, SETTINGS, repo, rev=base, name="long")
    repository_id = stored_repository(engine, "long")
    heads = [
        pull_request(builder, base, "renamed", AUTHORS[2],
                     {"lib/one.py": "A = 1\n", "pkg/mod2_copy.py": "B = 2\n",
                      "pkg/mod3.py": "C = 3\n", "pkg/mod7.py": "D = 4\n"}, {}),
        pull_request(builder, base, "moves", ("Eve", "eve@example.com"),
                     {"pkg/new.py": "E = 5\n", "pkg/mod4.py": "F = 6\n"},
                     {"pkg/mod5.py": "lib/five.py", "pkg/mod6.py": "lib/six.py"}),
        pull_request(builder, base, "tests", AUTHORS[1],
                     {"tests/test_mod0.py": "G = 7\n", "pkg/mod0.py": "H = 8\n"}, {}),
    ]
    for head in heads:
        change = range_as_commit(repo, base, head)
        ours = mine_change(change_state(engine, repository_id, change), SETTINGS, repo, change)
        whole = mine_change(replayed_state(engine, repository_id, repo), SETTINGS, repo, change)
        assert ours == whole
        assert ours.features["nuc"] > 0 and ours.features["exp"] >= 0
    assert mine_change(change_state(engine, repository_id, change), SETTINGS, repo,
                       change).features["ndev"] > 0


def test_the_needed_commits_are_a_small_part_of_a_long_history(builder: RepoBuilder,
                                                               database_url: str) -> None:
    base = history_with_renames(builder)
    engine = open_store(database_url)
    mine_repository(engine, SETTINGS, GitRepo(builder.path), rev=base, name="long")
    repository_id = stored_repository(engine, "long")
    with engine.connect() as conn:
        past = HistoryWriter().past_commits(conn, repository_id)
    store = FeatureStore(engine)
    assert store.history_rows(repository_id) == (store.change_records(repository_id), past)
    assert any(c.is_merge for c in past) and past[-1].index == len(past) - 1
    needed = needed_commits(past, {"lib/one.py"}, "eve@example.com")
    assert 0 < len(needed) < len(past) / 2
    assert [c.index for c in needed] == sorted(c.index for c in needed)
    assert any(("lib/one.py", "pkg/one.py", "R") in c.files for c in needed)
    assert any(("pkg/one.py", "pkg/mod1.py", "R") in c.files for c in needed)
