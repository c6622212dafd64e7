"""Kamei features against values computed by hand on built histories."""

from __future__ import annotations

import math

import pytest

from analyzers.catalogue import CHANGE_FEATURE_NAMES, FILE_FEATURE_NAMES
from analyzers.git import GitRepo
from analyzers.history import HistoryState, MinedCommit, entropy, recent_experience
from analyzers.miner import mine_history, replay_history
from tests.gitbuild import RepoBuilder

ALICE = ("Alice", "alice@example.com")
BOB = ("Bob", "BOB@example.com")


def mine(builder: RepoBuilder) -> list[MinedCommit]:
    return list(mine_history(GitRepo(builder.path), HistoryState()))


@pytest.fixture
def three_commits(builder: RepoBuilder) -> RepoBuilder:
    """C1 Alice day 1 adds a/x.py (3 lines), b/y.py (2); C2 Bob day 2 edits x.py +2 -1;
    C3 Alice day 4 edits x.py +1 and y.py +1 -1, a fix."""
    builder.write("a/x.py", "1\n2\n3\n")
    builder.write("b/y.py", "1\n2\n")
    builder.commit("Add x and y", author=ALICE)
    builder.write("a/x.py", "1\n2b\n3\n4\n")
    builder.commit("Extend x", author=BOB)
    builder.write("a/x.py", "1\n2b\n3\n4\n5\n")
    builder.write("b/y.py", "1\n2c\n")
    builder.commit("Fix crash in parser", author=ALICE, days=2)
    return builder


def test_change_features_by_hand(three_commits: RepoBuilder) -> None:
    c3 = mine(three_commits)[2].features
    assert {k: c3[k] for k in ("ns", "nd", "nf", "la", "ld", "lt", "fix", "ndev", "age", "nuc",
                               "exp", "rexp", "sexp")} == {
        "ns": 2, "nd": 2, "nf": 2, "la": 2, "ld": 1, "lt": 4 + 2, "fix": 1,
        "ndev": 2, "age": (2 + 3) / 2, "nuc": 2, "exp": 1, "rexp": 1.0, "sexp": 1,
    }
    assert c3["entropy"] == pytest.approx(-(1 / 3) * math.log2(1 / 3) - (2 / 3) * math.log2(2 / 3))


def test_first_commit_has_no_history(three_commits: RepoBuilder) -> None:
    c1 = mine(three_commits)[0].features
    assert (c1["nf"], c1["la"], c1["lt"], c1["ndev"], c1["age"], c1["nuc"], c1["exp"]) == (
        2, 5, 0, 0, 0, 0, 0)
    assert c1["nadded"] == 2 and c1["nsource"] == 2 and c1["nlang"] == 1


def test_file_features_by_hand(three_commits: RepoBuilder) -> None:
    x = next(f for f in mine(three_commits)[2].files if f.path == "a/x.py")
    assert x.features == {"la": 1, "ld": 0, "lt": 4, "ndev": 2, "age": 2.0, "nuc": 2, "aexp": 1}
    assert x.lines_after == 5 and x.kind == "source" and x.language == "Python"


def test_history_follows_renames(three_commits: RepoBuilder) -> None:
    three_commits.move("a/x.py", "c/z.py")
    three_commits.commit("Move x", author=BOB)
    moved = mine(three_commits)[3]
    [z] = moved.files
    assert (z.status, z.old_path) == ("R", "a/x.py")
    assert z.features["ndev"] == 2 and z.features["nuc"] == 3 and z.features["lt"] == 5
    assert z.features["aexp"] == 1 and moved.features["nrename"] == 1


def test_developer_identity_ignores_email_case(three_commits: RepoBuilder) -> None:
    three_commits.write("a/x.py", "0\n")
    three_commits.commit("Rewrite", author=("Robert", "bob@EXAMPLE.com"))
    last = mine(three_commits)[3].features
    assert last["exp"] == 1 and last["ndev"] == 2


def test_merges_carry_no_change_and_no_experience(builder: RepoBuilder) -> None:
    builder.write("a.txt", "1\n")
    builder.commit("root", author=ALICE)
    builder.checkout("-b", "topic")
    builder.write("b.txt", "1\n")
    builder.commit("topic work", author=BOB)
    builder.checkout("main")
    builder.write("a.txt", "1\n2\n")
    builder.commit("main work", author=ALICE)
    builder.merge("topic", "Merge topic")
    builder.write("a.txt", "1\n2\n3\n")
    builder.commit("after", author=ALICE)
    commits = mine(builder)
    merge, after = commits[-2], commits[-1]
    assert merge.commit.is_merge and merge.features["nf"] == 0 and not merge.is_fix
    assert after.features["exp"] == 2
    assert after.features["lt"] == 2


def test_binary_and_submodule_lines_do_not_count(builder: RepoBuilder) -> None:
    builder.write("img.png", b"\x89PNG\x00\x00data")
    builder.write("a.txt", "1\n")
    first = builder.commit("root")
    builder.git("update-index", "--add", "--cacheinfo", f"160000,{first},ext")
    builder.git("commit", "-q", "-m", "submodule")
    root, sub = mine(builder)
    assert root.features["la"] == 1 and root.features["nbinary"] == 1
    assert sub.features["la"] == 0 and sub.files[0].kind == "submodule"


def test_hour_and_weekday_use_the_author_time_zone(builder: RepoBuilder) -> None:
    builder.write("a.txt", "1\n")
    builder.commit("late", tz="+0900")
    [commit] = mine(builder)
    local = commit.commit.author_time + 9 * 3600
    assert commit.features["hour"] == (local // 3600) % 24
    assert commit.features["weekday"] == (local // 86400 + 3) % 7


def test_every_catalogued_feature_is_computed_and_nothing_else(three_commits: RepoBuilder) -> None:
    commit = mine(three_commits)[2]
    assert set(commit.features) == set(CHANGE_FEATURE_NAMES)
    assert all(set(f.features) == set(FILE_FEATURE_NAMES) for f in commit.files)


def test_incremental_run_equals_a_full_run(three_commits: RepoBuilder) -> None:
    repo = GitRepo(three_commits.path)
    first = list(mine_history(repo, HistoryState()))
    three_commits.write("b/y.py", "1\n2c\n3\n")
    three_commits.commit("More y", author=BOB)
    full = mine(three_commits)
    state = HistoryState()
    replay_history(state, (m.commit for m in first), repo)
    [new] = list(mine_history(repo, state, ["HEAD"], [first[-1].commit.sha]))
    assert new.features == full[-1].features
    assert [f.features for f in new.files] == [f.features for f in full[-1].files]


def test_lines_of_a_blob_made_by_a_merge_are_counted_by_git(builder: RepoBuilder) -> None:
    builder.write("a.txt", "base\n")
    builder.commit("root")
    builder.checkout("-b", "topic")
    builder.write("a.txt", "topic\n")
    builder.commit("topic")
    builder.checkout("main")
    builder.write("a.txt", "main\n")
    builder.commit("main")
    builder.git("merge", "-q", "topic", check_conflicts=False)
    builder.write("a.txt", "resolved\nby hand\nthree\n")
    builder.git("commit", "-q", "-am", "merge with resolution")
    builder.write("a.txt", "resolved\nby hand\nthree\nfour\n")
    builder.commit("after")
    assert mine(builder)[-1].features["lt"] == 3


def test_entropy_and_recent_experience_formulas() -> None:
    assert entropy([0, 0]) == 0.0
    assert entropy([5]) == 0.0
    assert entropy([1, 1, 1, 1]) == pytest.approx(2.0)
    assert recent_experience({2020: 2, 2018: 3}, 2020) == pytest.approx(2 + 3 / 3)
    assert recent_experience({}, 2020) == 0.0
