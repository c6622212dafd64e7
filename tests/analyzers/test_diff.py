"""The pull request diff: statuses, hunks on both sides, noise, odd input and limits."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analyzers.diff import ChangedFile, DiffLimits, Hunk, pull_request_diff
from analyzers.errors import MissingRefError
from analyzers.git import GitRepo, decode_path, encode_path
from tests.gitbuild import RepoBuilder

TEN = "".join(f"line {n}\n" for n in range(1, 11))


def _branch(builder: RepoBuilder, files: dict[str, str | bytes]) -> str:
    """Commit files on main, then start branch `pr` from there; return the fork point."""
    for name, content in files.items():
        builder.write(name, content)
    fork = builder.commit("base", allow_empty=True)
    builder.checkout("-b", "pr")
    return fork


def _diff(builder: RepoBuilder, limits: DiffLimits | None = None) -> dict[str, ChangedFile]:
    change = pull_request_diff(GitRepo(builder.path), "main", "pr", limits or DiffLimits())
    return {changed.path: changed for changed in change.files}


def test_modified_file_hunks_on_both_sides(builder: RepoBuilder) -> None:
    twenty = "".join(f"line {n}\n" for n in range(1, 21))
    _branch(builder, {"a.py": twenty})
    lines = twenty.splitlines(keepends=True)
    lines[1] = "changed 2\n"  # old line 2 becomes new line 2
    del lines[14]  # old line 15 deleted
    lines.append("line 21\n")  # new line 20
    builder.write("a.py", "".join(lines))
    builder.commit("edit")
    changed = _diff(builder)["a.py"]
    assert (changed.status, changed.old_path, changed.additions, changed.deletions) == (
        "modified", None, 2, 2)
    assert changed.hunks == (  # 3 lines of context; the second hunk's contexts touch
        Hunk(old_start=1, old_count=5, new_start=1, new_count=5, added=(2,), deleted=(2,)),
        Hunk(old_start=12, old_count=9, new_start=12, new_count=9, added=(20,), deleted=(15,)),
    )
    assert changed.changed_new_lines() == frozenset([*range(1, 6), *range(12, 21)])
    assert (changed.language, changed.binary, changed.skipped) == ("Python", False, None)


def test_added_and_deleted_files(builder: RepoBuilder) -> None:
    _branch(builder, {"old.py": "a\nb\n"})
    builder.delete("old.py")
    builder.write("new.py", "x\ny\nz\n")
    builder.commit("swap")
    files = _diff(builder)
    assert files["old.py"].status == "deleted"
    assert files["old.py"].hunks == (Hunk(1, 2, 0, 0, (), (1, 2)),)
    assert files["old.py"].changed_new_lines() == frozenset()
    assert files["new.py"].status == "added"
    assert files["new.py"].hunks == (Hunk(0, 0, 1, 3, (1, 2, 3), ()),)


def test_rename_with_edits(builder: RepoBuilder) -> None:
    _branch(builder, {"src/old.py": TEN})
    builder.move("src/old.py", "lib/new.py")
    builder.write("lib/new.py", TEN.replace("line 5\n", "line five\n"))
    builder.commit("rename")
    changed = _diff(builder)["lib/new.py"]
    assert (changed.status, changed.old_path, changed.additions, changed.deletions) == (
        "renamed", "src/old.py", 1, 1)
    assert changed.hunks == (Hunk(2, 7, 2, 7, (5,), (5,)),)


def test_copy_with_edits(builder: RepoBuilder) -> None:
    _branch(builder, {"orig.py": TEN})
    builder.write("orig.py", TEN + "line 11\n")
    builder.write("copy.py", TEN.replace("line 1\n", "first\n"))
    builder.commit("copy")
    files = _diff(builder)
    assert (files["copy.py"].status, files["copy.py"].old_path) == ("copied", "orig.py")
    assert files["copy.py"].hunks == (Hunk(1, 4, 1, 4, (1,), (1,)),)
    assert files["orig.py"].status == "modified"


def test_binary_symlink_and_submodule_are_skipped(builder: RepoBuilder) -> None:
    fork = _branch(builder, {"keep.txt": "k\n"})
    builder.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (builder.path / "escape").symlink_to("../../../etc/passwd")
    builder.git("add", "-A")
    builder.git("update-index", "--add", "--cacheinfo", f"160000,{fork},sub")
    builder.git("commit", "-q", "-m", "odd kinds")  # commit(), with add -A, would drop sub
    files = _diff(builder)
    assert (files["logo.png"].binary, files["logo.png"].skipped) == (True, "binary")
    assert (files["logo.png"].additions, files["logo.png"].hunks) == (0, ())
    assert (files["escape"].status, files["escape"].skipped) == ("added", "symlink")
    assert (files["sub"].status, files["sub"].skipped) == ("added", "submodule")


def test_file_turned_into_a_symlink(builder: RepoBuilder) -> None:
    _branch(builder, {"target.py": "t\n", "f.py": "a\nb\n"})
    builder.delete("f.py")
    (builder.path / "f.py").symlink_to("target.py")
    builder.commit("link")
    changed = _diff(builder)["f.py"]
    assert (changed.status, changed.skipped, changed.additions, changed.deletions) == (
        "modified", "symlink", 1, 2)


def test_deleted_and_readded_within_the_range(builder: RepoBuilder) -> None:
    _branch(builder, {"a.py": TEN})
    builder.delete("a.py")
    builder.commit("delete")
    builder.write("a.py", TEN.replace("line 10\n", "line ten\n"))
    builder.commit("re-add")
    files = _diff(builder)
    assert list(files) == ["a.py"]
    assert files["a.py"].status == "modified"
    assert files["a.py"].hunks == (Hunk(7, 4, 7, 4, (10,), (10,)),)


ODD_NAMES = [b"with space.py", b'qu"ote.py', b"new\nline.py", b"tab\there.py",
             b"back\\slash.py", b"caf\xc3\xa9.py", b"latin\xe9.py"]


def _numbered(n: int, last: str) -> str:
    return "".join(f"file {n} line {k}\n" for k in range(1, 11)) + last


def test_odd_paths_added_and_renamed(builder: RepoBuilder) -> None:
    _branch(builder, {f"old{n}.py": _numbered(n, "end\n") for n in range(len(ODD_NAMES))})
    for n, name in enumerate(ODD_NAMES):
        builder.write(b"dir " + name, f"x = {n}\n")
        builder.move(f"old{n}.py", decode_path(b"moved/" + name))
        builder.write(b"moved/" + name, _numbered(n, "moved\n"))
    builder.commit("odd names")
    files = _diff(builder)
    for n, name in enumerate(ODD_NAMES):
        added = files[decode_path(b"dir " + name)]
        assert encode_path(added.path) == b"dir " + name
        assert (added.status, added.hunks) == ("added", (Hunk(0, 0, 1, 1, (1,), ()),))
        moved = files[decode_path(b"moved/" + name)]
        assert (moved.status, moved.old_path) == ("renamed", f"old{n}.py")
        assert moved.hunks == (Hunk(8, 4, 8, 4, (11,), (11,)),)
    assert len(files) == 2 * len(ODD_NAMES)


def test_non_utf8_content(builder: RepoBuilder) -> None:
    _branch(builder, {"legacy.py": b"# caf\xe9\nx = 1\n"})
    builder.write("legacy.py", b"# caf\xe9\nx = '\xff\xfe'\n")
    builder.commit("latin-1")
    changed = _diff(builder)["legacy.py"]
    assert (changed.binary, changed.skipped) == (False, None)
    assert changed.hunks == (Hunk(1, 2, 1, 2, (2,), (2,)),)


def test_generated_header_is_read_from_the_head_version(builder: RepoBuilder) -> None:
    header = "// Code generated by protoc-gen-go. DO NOT EDIT.\n"
    _branch(builder, {"api.pb.go": header + TEN * 3, "late.go": "x\n" * 3000 + header})
    builder.write("api.pb.go", header + TEN * 3 + "extra\n")  # the header is outside the hunk
    builder.write("late.go", "y\n" + "x\n" * 3000 + header)  # a header past the first 2 KB
    builder.write("new.go", header + "package api\n")
    builder.commit("regenerate")
    files = _diff(builder)
    assert files["api.pb.go"].skipped == "generated"
    assert files["new.go"].skipped == "generated"
    assert files["late.go"].skipped is None


@pytest.mark.parametrize("name", ["package-lock.json", "yarn.lock", "poetry.lock", "Cargo.lock",
                                  "go.sum", "Gemfile.lock", "composer.lock", "pnpm-lock.yaml"])
def test_lock_files_are_skipped(builder: RepoBuilder, name: str) -> None:
    _branch(builder, {})
    builder.write(f"web/{name}", "lock: 1\n")
    builder.commit("lock")
    assert _diff(builder)[f"web/{name}"].skipped == "lock file"


def test_minified_and_vendored_files_are_skipped(builder: RepoBuilder) -> None:
    _branch(builder, {})
    builder.write("static/app.min.js", "var a=1;\n")
    builder.write("static/bundle.js", "var a=1;" * 300 + "\n")
    builder.write("static/app.js", "function f() {\n  return 1;\n}\n")
    for folder in ("vendor", "third_party", "node_modules"):
        builder.write(f"{folder}/lib/x.js", "x\n")
    builder.commit("assets")
    skipped = {changed.path: changed.skipped for changed in
               pull_request_diff(GitRepo(builder.path), "main", "pr").skipped()}
    assert skipped == {
        "static/app.min.js": "minified", "static/bundle.js": "minified",
        "vendor/lib/x.js": "vendored", "third_party/lib/x.js": "vendored",
        "node_modules/lib/x.js": "vendored",
    }


def test_gitattributes_root_and_nested_set_and_unset(builder: RepoBuilder) -> None:
    _branch(builder, {".gitattributes": "*.gen.py linguist-generated\n/docs/*.html "
                                        "linguist-generated\nvendor/** -linguist-vendored\n",
                      "api/.gitattributes": "keep.gen.py linguist-generated=false\n"})
    for name in ("a.gen.py", "api/keep.gen.py", "api/x.gen.py", "docs/i.html",
                 "src/docs/i.html", "vendor/ours.py"):
        builder.write(name, "x = 1\n")
    builder.commit("attributed")
    skipped = {path: changed.skipped for path, changed in _diff(builder).items()}
    assert skipped == {"a.gen.py": "generated", "api/keep.gen.py": None,
                       "api/x.gen.py": "generated", "docs/i.html": "generated",
                       "src/docs/i.html": None, "vendor/ours.py": None}


def test_a_pull_request_cannot_mark_its_own_code_generated(builder: RepoBuilder) -> None:
    _branch(builder, {"a.py": TEN})
    builder.write(".gitattributes", "*.py linguist-generated\n")
    builder.write("hidden.py", "import os\nos.system('x')\n")
    builder.commit("sneaky")
    assert _diff(builder)["hidden.py"].skipped is None


def test_the_repositorys_diff_drivers_never_run(builder: RepoBuilder, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    _branch(builder, {".gitattributes": "*.py diff=evil\n", "a.py": TEN})
    for key in ("textconv", "command"):
        builder.git("config", f"diff.evil.{key}", f"touch {marker}; cat")
    builder.write("a.py", TEN + "more\n")
    builder.commit("edit")
    assert _diff(builder)["a.py"].hunks == (Hunk(8, 3, 8, 4, (11,), ()),)
    assert not marker.exists()


def test_the_repositorys_diff_settings_do_not_change_the_hunks(builder: RepoBuilder) -> None:
    _branch(builder, {"a.py": TEN.replace("line 5\n", "\n")})
    builder.write("a.py", TEN.replace("line 5\n", "\n").replace("line 3\n", "three\n"))
    builder.commit("edit")
    plain = _diff(builder)
    for key, value in [("diff.context", "0"), ("diff.noprefix", "true"),
                       ("diff.suppressBlankEmpty", "true"), ("diff.algorithm", "patience"),
                       ("diff.interHunkContext", "10"), ("color.diff", "always"),
                       ("diff.relative", "true"), ("core.quotePath", "true")]:
        builder.git("config", key, value)
    assert _diff(builder) == plain
    assert plain["a.py"].hunks == (Hunk(1, 6, 1, 6, (3,), (3,)),)


def test_too_many_files_truncates(builder: RepoBuilder) -> None:
    _branch(builder, {})
    for n in range(5):
        builder.write(f"f{n}.py", f"x = {n}\n")
    builder.commit("five")
    change = pull_request_diff(GitRepo(builder.path), "main", "pr", DiffLimits(max_files=3))
    assert change.truncated
    assert [changed.path for changed in change.files] == ["f0.py", "f1.py", "f2.py"]
    assert not pull_request_diff(GitRepo(builder.path), "main", "pr").truncated


def test_huge_patches_and_files_are_too_large(builder: RepoBuilder) -> None:
    _branch(builder, {"hunky.py": TEN * 3, "big.py": "b\n" * 1000})
    builder.write("huge.py", "x = 1\n" * 100)
    builder.write("hunky.py", TEN.replace("line 1\n", "one\n") + TEN
                  + TEN.replace("line 10\n", "ten\n"))
    builder.write("big.py", "b\n" * 999 + "c\n")
    builder.commit("large")
    limits = DiffLimits(max_patch_bytes_per_file=200, max_hunks_per_file=1, max_file_bytes=1500)
    files = _diff(builder, limits)
    assert (files["huge.py"].skipped, files["huge.py"].hunks) == ("too large", ())
    assert files["huge.py"].additions == 100  # still counted
    assert (files["hunky.py"].skipped, files["hunky.py"].hunks) == ("too large", ())
    assert files["big.py"].skipped == "too large"
    assert {changed.skipped for changed in _diff(builder).values()} == {None}


def test_the_diff_starts_at_the_merge_base(builder: RepoBuilder) -> None:
    fork = _branch(builder, {"a.py": TEN})
    builder.write("b.py", "pr\n")
    builder.commit("pr work")
    builder.checkout("main")
    builder.write("a.py", TEN + "main moved on\n")
    builder.write("c.py", "main\n")
    builder.commit("main work")
    change = pull_request_diff(GitRepo(builder.path), "main", "pr")
    assert change.base == fork
    assert change.head == builder.git("rev-parse", "pr").strip()
    assert [changed.path for changed in change.files] == ["b.py"]


def test_bare_mirror_gives_the_same_diff(builder: RepoBuilder, tmp_path: Path) -> None:
    _branch(builder, {".gitattributes": "gen/** linguist-generated\n", "a.py": TEN})
    builder.write("gen/x.py", "x\n")
    builder.write("a.py", TEN + "more\n")
    builder.commit("pr")
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(builder.path), str(mirror)],
                   check=True)
    assert pull_request_diff(GitRepo(mirror), "main", "pr") == pull_request_diff(
        GitRepo(builder.path), "main", "pr")
    assert pull_request_diff(GitRepo(mirror), "main", "pr").skipped()[0].path == "gen/x.py"


def test_unknown_refs(builder: RepoBuilder) -> None:
    _branch(builder, {"a.py": "x\n"})
    repo = GitRepo(builder.path)
    with pytest.raises(MissingRefError):
        pull_request_diff(repo, "main", "no-such-branch")
    with pytest.raises(MissingRefError):
        pull_request_diff(repo, "--output=/tmp/x", "pr")


def test_unrelated_histories(builder: RepoBuilder) -> None:
    _branch(builder, {"a.py": "x\n"})
    builder.checkout("--orphan", "other")
    builder.commit("unrelated")
    with pytest.raises(MissingRefError):
        pull_request_diff(GitRepo(builder.path), "main", "other")


def test_no_change(builder: RepoBuilder) -> None:
    fork = _branch(builder, {"a.py": "x\n"})
    change = pull_request_diff(GitRepo(builder.path), "main", "pr")
    assert (change.base, change.head, change.files, change.truncated) == (fork, fork, (), False)
