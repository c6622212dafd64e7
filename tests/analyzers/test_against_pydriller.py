"""The miner against PyDriller on LA, LD, NF, NDEV and AGE of every non-merge commit.

Both comparisons leave out only the documented differences of
benchmarks.pydriller_reference.documented_exclusions: copies (git -C, which PyDriller does not
run) and file/symlink type changes (two files in PyDriller's patch, one path for the miner).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from benchmarks.pydriller_reference import (
    Agreement,
    compare_with_miner,
    documented_exclusions,
    mined_records,
)
from tests.gitbuild import RepoBuilder

HERE = Path(__file__).resolve().parent
# PyDriller reads about 250 commits/s: past this many, compare the history of an older commit.
MAX_COMMITS = 1000
ALICE = ("Alice", "alice@example.com")
BOB = ("Bob", "bob@example.com")
BOB_ELSEWHERE = ("Bobby", "BOB@old.example.com")
CAROL = ("Carol", "carol@example.com")
SOURCE = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(10))


def _git(cwd: Path | str, *args: str) -> str:
    """Output of a git command, or '' when it fails."""
    proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                          check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def own_history() -> tuple[str, str]:
    """This checkout's root and the revision whose history to compare; skip when unusable."""
    root = _git(HERE, "rev-parse", "--show-toplevel")
    if not root:
        pytest.skip("the project is not a git checkout here, so it has no history to compare")
    if _git(root, "rev-parse", "--is-shallow-repository") == "true":
        pytest.skip("shallow checkout: its history is cut (in CI: actions/checkout with "
                    "fetch-depth: 0)")
    count = int(_git(root, "rev-list", "--count", "HEAD") or 0)
    if count < 3:
        pytest.skip(f"the project's history has {count} commit(s); the comparison needs 3")
    if count <= MAX_COMMITS:
        return root, "HEAD"
    # In topological order every ancestor of a commit precedes it: its history is this short.
    return root, _git(root, "rev-list", "--topo-order", "--reverse", "HEAD").split()[
        MAX_COMMITS - 1]


def assert_full_agreement(agreement: Agreement) -> None:
    """Every compared feature of every non-merge commit agrees, on the same commits."""
    assert agreement.commits > 0
    assert (agreement.only_ours, agreement.only_reference) == ([], [])
    assert agreement.mismatches == []


def test_own_history_agrees_with_pydriller() -> None:
    root, revision = own_history()
    _, documented = compare_with_miner(root, revision)
    assert_full_agreement(documented)


def build_tricky_history(builder: RepoBuilder) -> dict[str, str]:
    """Renames, a merge, a deletion and re-addition, a copy, a type change, a binary file, a
    backwards clock and a mailmapped author; returns the shas by role."""
    shas = {}
    builder.write(".mailmap", "Bob <bob@example.com> <bob@old.example.com>\n")
    builder.write("calc/ops.py", SOURCE)
    builder.write("calc/util.py", "A = 1\n")
    builder.write("logo.png", b"\x89PNG\0\1\2")
    builder.write("tool.sh", "#!/bin/sh\necho tool\n")
    shas["root"] = builder.commit("Add calc", author=ALICE)
    builder.write("calc/ops.py", SOURCE + "def g(x):\n    return x\n")
    builder.write("calc/util.py", "A = 1\nB = 1\n")
    builder.commit("Add g", author=BOB)
    builder.git("mv", "calc/ops.py", "calc/core.py")
    builder.commit("Rename ops to core", author=ALICE)
    builder.checkout("-b", "feature")
    builder.write("calc/core.py", SOURCE + "def g(x):\n    return -x\n")
    builder.commit("Negate g", author=CAROL)
    builder.checkout("main")
    builder.write("calc/util.py", "A = 2\n")
    builder.commit("Bump A", author=BOB_ELSEWHERE)
    shas["merge"] = builder.merge("feature", "Merge feature", author=ALICE)
    builder.delete("calc/util.py")
    shas["drop"] = builder.commit("Drop util", author=ALICE)
    builder.write("calc/util.py", "B = 3\n")
    builder.commit("Bring util back", author=CAROL)
    builder.write("calc/util.py", "B = 4\n")
    shas["backdated"] = builder.commit("Backdated change", author=ALICE, days=-2)
    builder.write("calc/copy.py", SOURCE + "def g(x):\n    return -x\n")
    builder.write("calc/core.py", SOURCE + "def g(x):\n    return -x - 1\n")
    shas["copy"] = builder.commit("Copy core, change core", author=BOB)
    builder.write("calc/copy.py", SOURCE + "def h(x):\n    return -x\n")
    shas["after_copy"] = builder.commit("Change the copy", author=ALICE)
    builder.delete("tool.sh")
    os.symlink("calc/core.py", builder.path / "tool.sh")
    shas["type_change"] = builder.commit("Make tool a link", author=CAROL)
    builder.write("logo.png", b"\x89PNG\0\3\4")
    builder.commit("New logo", author=BOB)
    return shas


def test_built_history_agrees_but_for_documented_differences(builder: RepoBuilder) -> None:
    shas = build_tricky_history(builder)
    everything, documented = compare_with_miner(str(builder.path))
    assert_full_agreement(documented)
    mined = mined_records(str(builder.path))
    assert mined[shas["drop"]].features["ndev"] == 2  # Alice, and Bob under two addresses
    assert mined[shas["backdated"]].features["age"] == 0  # the clock went back: no negative age
    excluded = documented_exclusions(mined.values())
    assert excluded == {shas["type_change"]: frozenset({"nf"})}
    assert {(m.sha, m.feature) for m in everything.mismatches} == {(shas["type_change"], "nf")}
    statuses = {path: status for status, path, _ in mined[shas["copy"]].files}
    assert statuses["calc/copy.py"] == "A"  # a copy is a new file, with no inherited history
