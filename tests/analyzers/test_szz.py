"""SZZ on built histories: each refinement, paths, renames, merges, report dates and bounds."""

from __future__ import annotations

import os

import pytest

from analyzers.blame import line_ranges, parse_porcelain
from analyzers.errors import MissingRefError
from analyzers.fixdiff import parse_fix_diffs, unquote_path
from analyzers.git import GitRepo, decode_path
from analyzers.szz import (
    BlamedLine,
    FixCommit,
    SzzLink,
    SzzOptions,
    declared_ignored_revisions,
    find_bug_inducing,
    select_ignored_revisions,
)
from analyzers.szzlines import (
    code_key,
    comment_markers,
    cosmetic_lines,
    is_comment_only,
    is_generated,
)
from tests.gitbuild import RepoBuilder

PLAIN = SzzOptions.plain()
OURS = SzzOptions()
BODY = "def area(width, height):\n    scale = 1\n    return width + height\n"
FIXED = "def area(width, height):\n    scale = 1\n    return width * height\n"


def fix_commit(builder: RepoBuilder, sha: str, report_time: int | None = None) -> FixCommit:
    """The FixCommit of sha with its real committer time."""
    return FixCommit(sha, int(builder.git("show", "-s", "--format=%ct", sha)), report_time)


def label(builder: RepoBuilder, sha: str, options: SzzOptions = OURS,
          report_time: int | None = None) -> list[SzzLink]:
    """The links our SZZ finds for one fix of the built repository."""
    fix = fix_commit(builder, sha, report_time)
    return list(find_bug_inducing(GitRepo(builder.path), [fix], options))


def inducing(links: list[SzzLink]) -> set[str]:
    """The bug-inducing shas of some links."""
    return {link.inducing_sha for link in links}


def test_links_a_changed_line_to_the_commit_that_wrote_it(builder: RepoBuilder) -> None:
    builder.write("geo.py", "def area(width, height):\n    return width * height\n")
    builder.commit("add area")
    builder.write("geo.py", BODY)
    bug = builder.commit("scale areas")
    builder.write("geo.py", FIXED)
    fix = builder.commit("fix area")
    links = label(builder, fix)
    assert links == [SzzLink(
        fix_sha=fix, inducing_sha=bug, path="geo.py",
        lines=(BlamedLine(fix_line=3, inducing_line=3, content="    return width + height"),),
        known_at=fix_commit(builder, fix).commit_time,
    )]


def test_an_abbreviated_fix_sha_gives_full_shas(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    builder.commit("add area")
    builder.write("geo.py", FIXED)
    fix = fix_commit(builder, builder.commit("fix area"))
    short = FixCommit(fix.sha[:10], fix.commit_time)
    links = list(find_bug_inducing(GitRepo(builder.path), [short]))
    assert [link.fix_sha for link in links] == [fix.sha]
    with pytest.raises(MissingRefError):
        list(find_bug_inducing(GitRepo(builder.path), [FixCommit("HEAD", fix.commit_time)]))


def test_root_commit_can_be_the_inducing_commit(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    root = builder.commit("initial import")
    builder.write("geo.py", FIXED)
    assert inducing(label(builder, builder.commit("fix area"))) == {root}


def test_fix_that_only_adds_lines_has_no_links(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    builder.commit("add area")
    builder.write("geo.py", BODY.replace("    scale", "    assert width >= 0\n    scale"))
    fix = builder.commit("fix negative widths")
    assert label(builder, fix) == []
    assert label(builder, fix, PLAIN) == []


def test_lines_keep_their_numbers_in_both_commits(builder: RepoBuilder) -> None:
    builder.write("calc.py", "a = 1\nb = 2\n")
    first = builder.commit("start")
    builder.write("calc.py", "header = 0\na = 1\nb = 2\nc = a - b\nd = 4\n")
    second = builder.commit("grow")
    builder.write("calc.py", "header = 0\na = 10\nb = 2\nc = a + b\nd = 4\n")
    links = label(builder, builder.commit("fix sums"))
    lines = {link.inducing_sha: link.lines for link in links}
    assert lines[first] == (BlamedLine(2, 1, "a = 1"),)
    assert lines[second] == (BlamedLine(4, 4, "c = a - b"),)


def test_blank_lines_are_skipped_unless_plain(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    builder.commit("add area")
    builder.write("geo.py", BODY + "\n\nLIMIT = 3\n")
    spacer = builder.commit("add limit")
    builder.write("geo.py", BODY + "LIMIT = 3\n")
    fix = builder.commit("fix layout bug")
    assert label(builder, fix) == []
    assert inducing(label(builder, fix, PLAIN)) == {spacer}


def test_comment_lines_are_skipped_unless_plain(builder: RepoBuilder) -> None:
    builder.write("geo.py", "# areas of rectangles\n" + BODY)
    commented = builder.commit("add area")
    builder.write("geo.py", "# areas of rectangles (not circles)\n" + BODY)
    fix = builder.commit("fix docs bug")
    assert label(builder, fix) == []
    assert inducing(label(builder, fix, PLAIN)) == {commented}


def test_a_changed_trailing_comment_is_cosmetic(builder: RepoBuilder) -> None:
    builder.write("geo.py", "limit = 3  # rows\n")
    written = builder.commit("add limit")
    builder.write("geo.py", "limit = 3  # rows per page\n")
    fix = builder.commit("fix comment")
    assert label(builder, fix) == []
    assert inducing(label(builder, fix, PLAIN)) == {written}


def test_lines_reindented_by_the_fix_are_cosmetic(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    builder.commit("add area")
    builder.write("geo.py", BODY.replace("    scale = 1\n", "    scale = 1\n    offset = 0\n"))
    neighbour = builder.commit("add offset")
    builder.write("geo.py", "def area(width, height):\n    scale = 1\n    if width:\n"
                  "        offset = 0\n        return width * height\n")
    fix = builder.commit("fix area")
    found = label(builder, fix)
    assert neighbour not in inducing(found)
    assert [line.content for link in found for line in link.lines] == [
        "    return width + height"]
    assert neighbour in inducing(label(builder, fix, PLAIN))


def test_blame_looks_through_whitespace_changes(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    bug = builder.commit("add area")
    builder.write("geo.py", BODY.replace("width + height", "width+height"))
    spaces = builder.commit("tidy spaces")
    builder.write("geo.py", FIXED)
    fix = builder.commit("fix area")
    assert inducing(label(builder, fix)) == {bug}
    assert inducing(label(builder, fix, PLAIN)) == {spaces}


def test_blame_looks_through_ignored_revisions(builder: RepoBuilder) -> None:
    builder.write("geo.py", "NAME = 'area'\n" + BODY)
    bug = builder.commit("add area")
    builder.write("geo.py", 'NAME = "area"\n' + BODY.replace("return", "return  ") + "X = 1\n")
    mechanical = builder.commit("reformat")
    builder.write("geo.py", 'NAME = "areas"\n' + FIXED)
    fix = builder.commit("fix area")
    options = SzzOptions(ignore_revs=frozenset({mechanical}))
    assert inducing(label(builder, fix, options)) == {bug}
    assert inducing(label(builder, fix)) == {mechanical, bug}
    assert inducing(label(builder, fix, PLAIN)) == {mechanical}


def test_lines_still_attributed_to_an_ignored_revision_are_dropped(
        builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    builder.commit("add area")
    builder.write("geo.py", BODY + "VENDORED = 1\n")
    vendored = builder.commit("vendor everything")
    builder.write("geo.py", BODY + "VENDORED = 2\n")
    fix = builder.commit("fix vendored value")
    assert label(builder, fix, SzzOptions(ignore_revs=frozenset({vendored}))) == []
    assert inducing(label(builder, fix)) == {vendored}


def test_select_ignored_revisions_takes_merges_and_huge_commits() -> None:
    commits = [("merge", 0, 0, True), ("wide", 101, 300, False), ("long", 3, 5001, False),
               ("normal", 100, 5000, False)]
    assert select_ignored_revisions(commits) == {"merge", "wide", "long"}
    assert select_ignored_revisions(commits, max_files=200, max_lines=10_000,
                                    include_merges=False) == frozenset()


def test_rename_before_the_fix_is_followed(builder: RepoBuilder) -> None:
    builder.write("old name.py", BODY)
    bug = builder.commit("add area")
    builder.git("mv", "old name.py", "new name.py")
    builder.commit("rename module")
    builder.write("new name.py", FIXED)
    fix = builder.commit("fix area")
    links = label(builder, fix)
    assert [(link.inducing_sha, link.path) for link in links] == [(bug, "new name.py")]


def test_rename_in_the_fix_reports_the_path_in_the_parent(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY + "".join(f"CONSTANT_{i} = {i}\n" for i in range(20)))
    bug = builder.commit("add area")
    builder.delete("geo.py")
    builder.write("shapes.py", FIXED + "".join(f"CONSTANT_{i} = {i}\n" for i in range(20)))
    fix = builder.commit("fix area, rename module")
    assert [(link.inducing_sha, link.path) for link in label(builder, fix)] == [(bug, "geo.py")]


def test_a_deleted_file_is_blamed(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    bug = builder.commit("add area")
    builder.delete("geo.py")
    assert inducing(label(builder, builder.commit("fix: drop broken module"))) == {bug}


NASTY_NAMES = [
    b"with space.py", b'with "quotes".py', b"with\nnewline.py", b"with\ttab.py",
    b"back\\slash.py", "caf\u00e9 \u65e5\u672c.py".encode(), b"latin1 \xe9\xff.py",
    b"dir with space/-dash.py", b"glob*[chars]?.py", b":(top)magic.py",
]


@pytest.mark.parametrize("name", NASTY_NAMES, ids=repr)
def test_paths_survive_quoting(builder: RepoBuilder, name: bytes) -> None:
    builder.write(name, BODY)
    bug = builder.commit("add area")
    builder.write(name, FIXED)
    links = label(builder, builder.commit("fix area"))
    assert [(link.inducing_sha, link.path) for link in links] == [(bug, decode_path(name))]


def test_merges_are_never_candidates(builder: RepoBuilder) -> None:
    builder.write("calc.py", "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n")
    start = builder.commit("add values")
    builder.checkout("-b", "topic")
    builder.write("calc.py", "a = 10\nb = 2\nc = 3\nd = 4\ne = 5\n")
    branch_bug = builder.commit("scale a")
    builder.checkout("main")
    builder.write("calc.py", "a = 1\nb = 2\nc = 3\nd = 4\ne = 50\n")
    builder.commit("scale e")
    builder.git("merge", "-q", "--no-ff", "--no-commit", "topic")
    builder.write("calc.py", "a = 10\nb = 2\nc = 30\nd = 4\ne = 50\n")
    evil_merge = builder.commit("Merge topic, scaling c by hand")
    builder.write("calc.py", "a = 10\nb = 2\nc = 3\nd = 4\ne = 50\n")
    fix = builder.commit("fix c")
    assert label(builder, fix) == []
    assert label(builder, fix, PLAIN) == []
    looking_through = SzzOptions(ignore_revs=frozenset({evil_merge}))
    assert inducing(label(builder, fix, looking_through)) == {start}
    known = list(find_bug_inducing(GitRepo(builder.path), [fix_commit(builder, fix)],
                                   merges=frozenset({evil_merge})))
    assert known == []
    builder.write("calc.py", "a = 1\nb = 2\nc = 3\nd = 4\ne = 50\n")
    assert inducing(label(builder, builder.commit("fix a"))) == {branch_bug}


def test_known_merges_are_taken_from_the_caller(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    bug = builder.commit("add area")
    builder.write("geo.py", FIXED)
    fix = fix_commit(builder, builder.commit("fix area"))
    repo = GitRepo(builder.path)
    assert list(find_bug_inducing(repo, [fix], merges=frozenset({bug}))) == []
    assert inducing(list(find_bug_inducing(repo, [fix], merges=frozenset()))) == {bug}


def test_declared_ignored_revisions_reads_the_projects_list(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    builder.commit("add area")
    repo = GitRepo(builder.path)
    assert declared_ignored_revisions(repo) == frozenset()
    full = "a" * 40
    builder.write(".git-blame-ignore-revs", f"# black\n{full}  # reformat\nabc1234\n\n")
    builder.commit("list formatting commits")
    assert declared_ignored_revisions(repo) == {full}


def test_a_merge_as_fix_has_no_links(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    builder.commit("add area")
    builder.checkout("-b", "topic")
    builder.write("geo.py", FIXED)
    builder.commit("fix area")
    builder.checkout("main")
    builder.write("other.py", "x = 1\n")
    builder.commit("other")
    assert label(builder, builder.merge("topic", "Merge fix of area")) == []


def test_candidates_newer_than_the_report_are_dropped(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    bug = builder.commit("add area")
    reported = builder.clock + 1
    builder.write("geo.py", BODY.replace("scale = 1", "scale = 2"))
    later = builder.commit("tweak scale", days=2)
    builder.write("geo.py", FIXED.replace("scale = 1", "scale = 3"))
    fix = builder.commit("fix area")
    assert inducing(label(builder, fix, report_time=reported)) == {bug}
    assert inducing(label(builder, fix, report_time=None)) == {bug, later}
    assert inducing(label(builder, fix, PLAIN, report_time=reported)) == {bug, later}


def test_candidates_newer_than_the_fix_are_dropped(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    builder.commit("add area", days=30)
    builder.write("geo.py", FIXED)
    fix = builder.commit("fix area", days=-10)
    assert label(builder, fix) == []


def test_fix_touching_too_many_files_is_skipped(builder: RepoBuilder) -> None:
    for i in range(4):
        builder.write(f"m{i}.py", BODY)
    builder.commit("add modules")
    for i in range(4):
        builder.write(f"m{i}.py", FIXED)
    fix = builder.commit("fix all areas")
    assert label(builder, fix, SzzOptions(max_fix_files=3)) == []
    assert len(label(builder, fix, SzzOptions(max_fix_files=4))) == 4


def test_file_with_too_many_deleted_lines_is_skipped(builder: RepoBuilder) -> None:
    builder.write("big.py", "".join(f"v{i} = {i}\n" for i in range(10)))
    builder.write("geo.py", BODY)
    bug = builder.commit("add modules")
    builder.write("big.py", "".join(f"v{i} = {i + 1}\n" for i in range(10)))
    builder.write("geo.py", FIXED)
    fix = builder.commit("fix values")
    links = label(builder, fix, SzzOptions(max_deleted_lines=9))
    assert [(link.inducing_sha, link.path) for link in links] == [(bug, "geo.py")]


def test_generated_files_and_overlong_lines_are_not_blamed(builder: RepoBuilder) -> None:
    long_line = "DATA = '" + "x" * 1000 + "'\n"
    builder.write("static/app.min.js", "var a=1;\n")
    builder.write("geo.py", long_line + BODY)
    bug = builder.commit("add files")
    builder.write("static/app.min.js", "var a=2;\n")
    builder.write("geo.py", long_line.replace("x", "y") + FIXED)
    fix = builder.commit("fix files")
    found = label(builder, fix)
    assert [(link.path, len(link.lines)) for link in found] == [("geo.py", 1)]
    assert {link.path for link in label(builder, fix, PLAIN)} == {"geo.py", "static/app.min.js"}
    assert {link.inducing_sha for link in found} == {bug}


def test_binary_files_submodules_and_symlinks_are_skipped(builder: RepoBuilder) -> None:
    builder.write("logo.bin", b"\x00\x01\x02")
    builder.write("geo.py", BODY)
    (builder.path / "vendor").mkdir()
    builder.git("update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},vendor")
    os.symlink("geo.py", builder.path / "link.py")
    bug = builder.commit("add files")
    builder.write("logo.bin", b"\x00\x03\x02")
    builder.write("geo.py", FIXED)
    builder.git("update-index", "--cacheinfo", f"160000,{'2' * 40},vendor")
    (builder.path / "link.py").unlink()
    os.symlink("other.py", builder.path / "link.py")
    fix = builder.commit("fix assets")
    assert [(link.inducing_sha, link.path) for link in label(builder, fix)] == [(bug, "geo.py")]


def test_one_and_two_workers_agree(builder: RepoBuilder) -> None:
    fixes = []
    for i in range(6):
        builder.write(f"m{i}.py", BODY)
        builder.commit(f"add m{i}")
    for i in range(6):
        builder.write(f"m{i}.py", FIXED)
        fixes.append(fix_commit(builder, builder.commit(f"fix m{i}")))
    repo = GitRepo(builder.path)
    one = list(find_bug_inducing(repo, fixes, SzzOptions(workers=1)))
    two = list(find_bug_inducing(repo, fixes, SzzOptions(workers=2)))
    assert one == two
    assert [link.fix_sha for link in one] == [fix.sha for fix in fixes]


def test_no_fixes_no_links(builder: RepoBuilder) -> None:
    builder.write("geo.py", BODY)
    builder.commit("add area")
    assert list(find_bug_inducing(GitRepo(builder.path), [])) == []


@pytest.mark.parametrize("bad", [{"workers": 0}, {"max_fix_files": -1},
                                 {"max_deleted_lines": 1.5}, {"max_line_bytes": 0},
                                 {"ignore_revs": "abc"}])
def test_options_reject_nonsense(bad: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        SzzOptions(**bad)  # type: ignore[arg-type]


def test_plain_turns_every_refinement_off() -> None:
    plain = SzzOptions.plain(workers=3)
    assert not (plain.skip_blank_lines or plain.skip_comment_lines or plain.ignore_whitespace
                or plain.skip_cosmetic_changes or plain.skip_generated_files
                or plain.respect_report_time or plain.ignore_revs)
    assert plain.workers == 3


@pytest.mark.parametrize(("label_bytes", "path"), [
    (b"a/plain.py", b"a/plain.py"),
    (b"a/with space.py\t", b"a/with space.py"),
    (b'"a/q\\"uote\\\\\\n\\t.py"', b'a/q"uote\\\n\t.py'),
    (b'"a/caf\\303\\251.py"', "a/caf\u00e9.py".encode()),
])
def test_unquote_path(label_bytes: bytes, path: bytes) -> None:
    assert unquote_path(label_bytes) == path


def test_parser_tells_deleted_lines_from_headers() -> None:
    stream = (b"\x1eabc def\n\ndiff --git a/x.sql b/x.sql\nindex 1..2 100644\n--- a/x.sql\n"
              b"+++ b/x.sql\n@@ -2,2 +2 @@ ctx\n--- drop\n-+++ keep\n\\ No newline at end of file\n"
              b"+new\n@@ -9,0 +9 @@\n+tail\n\x1e123 456\n")
    first, second = parse_fix_diffs([stream[:17], stream[17:]], max_files=5,
                                    max_deleted_lines=5)
    assert first.sha == "abc" and first.parents == ("def",)
    (file,) = first.files
    assert file.old_path == "x.sql"
    assert file.deleted == ((2, b"-- drop"), (3, b"+++ keep"))
    assert file.added == (b"new", b"tail")
    assert second.files == () and second.parents == ("456",)


def test_line_ranges_merge_neighbours() -> None:
    assert line_ranges([7, 1, 2, 3, 9, 8, 12]) == [(1, 3), (7, 9), (12, 12)]


def test_parse_porcelain_repeats_commit_times() -> None:
    sha = "a" * 40
    output = (f"{sha} 5 1 2\nauthor A\nauthor-time 10\ncommitter-time 11\nsummary s\n"
              f"filename f\n\tfirst\n{sha} 6 2\n\tsecond\n").encode()
    records = parse_porcelain(output)
    assert [(r.final_line, r.orig_line, r.content, r.committer_time) for r in records] == [
        (1, 5, b"first", 11), (2, 6, b"second", 11)]


@pytest.mark.parametrize(("path", "text", "comment"), [
    ("a.py", b"    # note", True),
    ("a.py", b'    """Docstring."""', True),
    ("a.py", b"    x = '#'  # note", False),
    ("a.c", b" * continued", True),
    ("a.c", b"    x = a * b; // note", False),
    ("a.c", b"#include <stdio.h>", False),
    ("a.sql", b"-- note", True),
    ("a.css", b"a { background: url(http://x/y.png); }", False),
    ("notes.txt", b"# heading", False),
    ("Makefile", b"# target", True),
])
def test_comment_only_lines(path: str, text: bytes, comment: bool) -> None:
    assert is_comment_only(text, comment_markers(path)) is comment


@pytest.mark.parametrize(("path", "generated"), [
    ("static/app.min.js", True), ("a/style.min.css", True), ("yarn.lock", True),
    ("Cargo.lock", True), ("app.js", False), ("minimal.py", False),
])
def test_generated_files_are_told_by_name(path: str, generated: bool) -> None:
    assert is_generated(path) is generated


def test_code_key_drops_whitespace_and_trailing_comments() -> None:
    markers = comment_markers("a.py")
    assert code_key(b"  x  =  f('#', 1)   # why", markers) == b"x=f('#',1)"
    assert code_key(b"x = 's\\'#'  # c", markers) == b"x='s\\'#'"


def test_cosmetic_lines_pair_each_re_added_line_once() -> None:
    deleted = [(1, b"x = 1"), (2, b"x = 1"), (3, b"y = 2"), (4, b"")]
    added = [b"    x = 1", b"y = 3", b""]
    assert cosmetic_lines(deleted, added, comment_markers("a.py")) == {1}
