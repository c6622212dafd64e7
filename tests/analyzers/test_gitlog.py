"""The log parser on histories with every odd case the issue names."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analyzers.errors import (
    CorruptRepositoryError,
    EmptyRepositoryError,
    MissingRefError,
    NotARepositoryError,
    ShallowRepositoryError,
)
from analyzers.git import GitRepo, decode_path, encode_path, printable_path
from analyzers.gitlog import RawCommit, iter_log, parse_log
from tests.gitbuild import RepoBuilder


def log(builder: RepoBuilder) -> list[RawCommit]:
    return list(iter_log(GitRepo(builder.path), ["HEAD"]))


def files_of(commit: RawCommit) -> dict[str, tuple[str, int, int, bool]]:
    return {f.path: (f.status, f.added, f.deleted, f.binary) for f in commit.files}


ODD_NAMES = ["with space.txt", "ré sumé.txt", 'quo"te.txt', "new\nline.txt", "tab\there.txt",
             ":colon-first.txt", "back\\slash.txt"]


def test_root_commit_and_odd_paths_are_parsed_exactly(builder: RepoBuilder) -> None:
    for name in ODD_NAMES:
        builder.write(name, "one\ntwo\n")
    builder.commit("root")
    [root] = log(builder)
    assert root.parents == ()
    assert files_of(root) == {name: ("A", 2, 0, False) for name in ODD_NAMES}


def test_non_utf8_path_round_trips_to_the_same_bytes(builder: RepoBuilder) -> None:
    builder.write(b"caf\xe9.txt", "x\n")
    builder.commit("latin-1 name")
    [commit] = log(builder)
    [change] = commit.files
    assert encode_path(change.path) == b"caf\xe9.txt"
    assert printable_path(change.path) == "caf\\xe9.txt"
    assert decode_path(b"caf\xe9.txt") == change.path


def test_non_utf8_message_is_read(builder: RepoBuilder) -> None:
    builder.write("a.txt", "x\n")
    builder.git("add", "-A")
    builder.git("commit", "-q", "-F", "-", input_bytes=b"r\xe9sum\xe9 broken bytes\n")
    [commit] = log(builder)
    assert commit.message.endswith("sum\xe9 broken bytes\n") or "\ufffd" in commit.message


def test_undecodable_message_bytes_are_replaced() -> None:
    stream = (b"\x1e" + b"a" * 40 + b"\0\0N\0n@x\0" + b"1600000000 +0000\0"
              + b"1600000000\0bad \xff\xfe bytes\n\0\0")
    [commit] = parse_log([stream[:17], stream[17:]])
    assert commit.message == "bad \ufffd\ufffd bytes\n"
    assert commit.files == ()


def test_binary_submodule_and_empty_commits(builder: RepoBuilder) -> None:
    builder.write("image.bin", b"\x00\x01\x02binary")
    builder.write("a.txt", "x\n")
    first = builder.commit("root")
    builder.git("update-index", "--add", "--cacheinfo", f"160000,{first},vendor/lib")
    builder.git("commit", "-q", "-m", "add submodule")
    builder.git("commit", "-q", "--allow-empty", "-m", "nothing")
    root, submodule, empty = log(builder)
    assert files_of(root)["image.bin"] == ("A", 0, 0, True)
    [gitlink] = submodule.files
    assert gitlink.is_submodule and gitlink.path == "vendor/lib"
    assert empty.files == ()


def test_renames_keep_the_old_path_and_copies_are_new_files(builder: RepoBuilder) -> None:
    body = "".join(f"line {i}\n" for i in range(40))
    builder.write("src/old.py", body)
    builder.write("src/orig.py", body.replace("line", "row"))
    builder.commit("root")
    builder.git("mv", "src/old.py", "src/new name.py")
    builder.commit("rename")
    builder.write("src/copy.py", body.replace("line", "row"))
    builder.write("src/orig.py", body.replace("line", "row") + "more\n")
    builder.commit("copy")
    _, rename, copy = log(builder)
    [renamed] = rename.files
    assert (renamed.status, renamed.old_path, renamed.path) == ("R", "src/old.py",
                                                                "src/new name.py")
    copied = next(f for f in copy.files if f.path == "src/copy.py")
    assert (copied.status, copied.old_path, copied.added) == ("A", None, 40)


def test_merges_and_multiple_roots(builder: RepoBuilder) -> None:
    builder.write("a.txt", "a\n")
    builder.commit("root one")
    builder.checkout("--orphan", "other")
    builder.git("rm", "-q", "-rf", ".")
    builder.write("b.txt", "b\n")
    builder.commit("root two")
    builder.checkout("main")
    builder.clock += 86_400
    builder.git("merge", "-q", "--no-ff", "--allow-unrelated-histories", "-m", "join", "other")
    commits = log(builder)
    assert sum(1 for c in commits if not c.parents) == 2
    merge = commits[-1]
    assert merge.is_merge and merge.files == ()
    assert [c.message.strip() for c in commits][-1] == "join"


def test_exclude_streams_only_new_commits(builder: RepoBuilder) -> None:
    builder.write("a.txt", "1\n")
    first = builder.commit("one")
    builder.write("a.txt", "2\n")
    second = builder.commit("two")
    assert [c.sha for c in iter_log(GitRepo(builder.path), ["HEAD"], [first])] == [second]


def test_author_time_zone_is_kept(builder: RepoBuilder) -> None:
    builder.write("a.txt", "1\n")
    builder.commit("one", tz="-0530")
    [commit] = log(builder)
    assert commit.author_tz_minutes == -330


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(NotARepositoryError, match="not a git repository"):
        GitRepo(tmp_path)
    with pytest.raises(NotARepositoryError, match="not a directory"):
        GitRepo(tmp_path / "missing")


def test_empty_repository_and_missing_ref(builder: RepoBuilder) -> None:
    repo = GitRepo(builder.path)
    with pytest.raises(EmptyRepositoryError, match="no commits yet"):
        repo.resolve("HEAD")
    builder.write("a.txt", "1\n")
    builder.commit("one")
    with pytest.raises(MissingRefError, match="'nope' not found"):
        repo.resolve("nope")
    with pytest.raises(MissingRefError):
        repo.resolve("--output=x")


def test_shallow_clone_is_refused(builder: RepoBuilder, tmp_path: Path) -> None:
    for i in range(3):
        builder.write("a.txt", f"{i}\n")
        builder.commit(f"c{i}")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{builder.path}",
                    str(shallow)], check=True)
    with pytest.raises(ShallowRepositoryError, match="fetch --unshallow"):
        GitRepo(shallow).require_full_history()


def test_corrupt_object_is_named(builder: RepoBuilder) -> None:
    builder.write("a.txt", "1\n")
    builder.commit("one")
    builder.write("a.txt", "2\n")
    builder.commit("two")
    tree = builder.git("rev-parse", "HEAD~1^{tree}").strip()
    (builder.path / ".git" / "objects" / tree[:2] / tree[2:]).unlink()
    with pytest.raises(CorruptRepositoryError, match="git fsck"):
        log(builder)
