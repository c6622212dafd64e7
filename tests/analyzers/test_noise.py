"""Noise reasons and gitattributes matching, on strings and on trees the tests build."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analyzers.git import GitRepo
from analyzers.noise import (
    GitAttributes,
    Linguist,
    attribute_folders,
    glob_regex,
    has_generated_header,
    is_minified,
    load_gitattributes,
    noise_reason,
    parse_gitattributes,
)
from tests.gitbuild import RepoBuilder

UNSET = Linguist()


@pytest.mark.parametrize(("pattern", "path", "matches"), [
    ("*.min.js", "a.min.js", True),
    ("*.min.js", "a.js", False),
    ("*", "a/b", False),
    ("vendor/**", "vendor/a/b.c", True),
    ("vendor/**", "vendor", False),
    ("**/gen.py", "gen.py", True),
    ("**/gen.py", "a/b/gen.py", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "ab", False),
    ("docs/*.html", "docs/x.html", True),
    ("docs/*.html", "docs/x/y.html", False),
    ("file?.txt", "file1.txt", True),
    ("file?.txt", "file/.txt", False),
    ("[ab].py", "b.py", True),
    ("[!ab].py", "c.py", True),
    ("[!ab].py", "a.py", False),
    ("[]].py", "].py", True),
    ("x[", "x[", True),
    ("a\\*b", "a*b", True),
    ("a\\*b", "axb", False),
    ("na.me", "naxme", False),
])
def test_glob_regex_follows_gitignore_rules(pattern: str, path: str, matches: bool) -> None:
    assert (glob_regex(pattern).fullmatch(path) is not None) is matches


def test_parse_gitattributes_reads_set_unset_and_unspecified() -> None:
    text = ("# comment\n\n[attr]gen linguist-generated\n*.pb.go linguist-generated text\n"
            "keep.pb.go -linguist-generated\nold.pb.go linguist-generated=false\n"
            "lib/** linguist-vendored=true\nlib/own/** !linguist-vendored\n"
            "docs/ linguist-generated\n*.c diff\n\"odd \\\"name\\\".js\" linguist-generated\r\n")
    rules = parse_gitattributes("", text)
    assert [rule.values for rule in rules] == [
        (("linguist-generated", True),), (("linguist-generated", False),),
        (("linguist-generated", False),), (("linguist-vendored", True),),
        (("linguist-vendored", None),), (("linguist-generated", True),),
    ]
    assert rules[-1].matches('x/odd "name".js')


def test_later_lines_and_deeper_files_override() -> None:
    rules = (*parse_gitattributes("", "gen/** linguist-generated\n*.md linguist-vendored\n"
                                      "README.md -linguist-vendored\n"),
             *parse_gitattributes("gen", "keep.py -linguist-generated\n/top.py !linguist-generated"
                                         "\n"))
    attributes = GitAttributes(rules)
    assert attributes.linguist("gen/a.py") == Linguist(generated=True)
    assert attributes.linguist("gen/sub/keep.py") == Linguist(generated=False)
    assert attributes.linguist("gen/top.py") == Linguist(generated=None)
    assert attributes.linguist("gen/sub/top.py") == Linguist(generated=True)
    assert attributes.linguist("x/notes.md") == Linguist(vendored=True)
    assert attributes.linguist("README.md") == Linguist(vendored=False)
    assert attributes.linguist("other.py") == UNSET


def test_anchored_patterns_are_relative_to_their_folder() -> None:
    attributes = GitAttributes(parse_gitattributes("web", "/docs/*.html linguist-generated\n"))
    assert attributes.linguist("web/docs/a.html").generated is True
    assert attributes.linguist("docs/a.html").generated is None
    assert attributes.linguist("web/x/docs/a.html").generated is None


def test_attribute_folders_are_ancestors_root_first() -> None:
    assert attribute_folders(["a/b/c.py", "a/d.py", "e.py"]) == ["", "a", "a/b"]


@pytest.mark.parametrize("name", ["package-lock.json", "yarn.lock", "poetry.lock", "Cargo.lock",
                                  "go.sum", "Gemfile.lock", "composer.lock", "pnpm-lock.yaml"])
def test_lock_files(name: str) -> None:
    assert noise_reason(f"app/{name}", UNSET, b"{}\n") == "lock file"
    assert noise_reason(name, UNSET, None) == "lock file"


@pytest.mark.parametrize("path", ["vendor/lib.go", "a/third_party/x.c", "web/node_modules/m/i.js",
                                  "third-party/y.py"])
def test_vendored_folders(path: str) -> None:
    assert noise_reason(path, UNSET, None) == "vendored"


def test_vendoring_names_only_match_whole_folders() -> None:
    assert noise_reason("vendors.py", UNSET, None) is None
    assert noise_reason("src/my_vendor/a.py", UNSET, None) is None


def test_minified_by_name_and_by_long_lines() -> None:
    assert is_minified("static/app.min.js", None)
    assert is_minified("static/app.min.css", None)
    long_line = b"var a=1;" * 200
    assert is_minified("static/app.js", long_line)
    assert is_minified("static/site.css", long_line + b"\n" + long_line)
    assert not is_minified("static/app.js", b"function f() {\n  return 1;\n}\n" * 50)
    assert not is_minified("data.py", long_line)  # only scripts and stylesheets


def test_generated_headers() -> None:
    assert has_generated_header(b"// Code generated by protoc-gen-go. DO NOT EDIT.\n")
    assert has_generated_header(b"# Generated by the protocol buffer compiler.  DO NOT EDIT!\n")
    assert has_generated_header(b"/**\n * @generated by codegen\n */\n")
    assert not has_generated_header(b"def generate():\n    pass\n")
    assert not has_generated_header(b"# do not edit this by hand\n")
    assert not has_generated_header(None)


def test_attributes_override_heuristics() -> None:
    assert noise_reason("vendor/ours.go", Linguist(vendored=False), None) is None
    assert noise_reason("src/a.py", Linguist(vendored=True), None) == "vendored"
    assert noise_reason("api.py", Linguist(generated=True), None) == "generated"
    header = b"// Code generated by x. DO NOT EDIT.\n"
    assert noise_reason("yarn.lock", Linguist(generated=False), header) is None
    assert noise_reason("a.go", Linguist(generated=False), header) is None
    assert noise_reason("a.go", UNSET, header) == "generated"
    assert noise_reason("a.go", UNSET, b"package a\n") is None


def _attributes_tree(builder: RepoBuilder) -> str:
    builder.write(".gitattributes", "*.gen.py linguist-generated\nthird/** linguist-vendored\n")
    builder.write("third/.gitattributes", "ours/** -linguist-vendored\n")
    builder.write("pkg/.gitattributes", "*.gen.py linguist-generated=false\n")
    builder.write("evil/real", "* linguist-generated\n")
    builder.write("a.py", "x = 1\n")
    (builder.path / "evil" / ".gitattributes").symlink_to("real")
    return builder.commit("attributes")


def test_load_gitattributes_reads_nested_files_of_the_commit(builder: RepoBuilder) -> None:
    commit = _attributes_tree(builder)
    builder.write(".gitattributes", "")  # the work tree does not count
    paths = ["x/y.gen.py", "pkg/z.gen.py", "third/lib/a.c", "third/ours/b.c", "evil/c.py"]
    attributes = load_gitattributes(GitRepo(builder.path), commit, paths)
    assert [attributes.linguist(path) for path in paths] == [
        Linguist(generated=True), Linguist(generated=False), Linguist(vendored=True),
        Linguist(vendored=False), UNSET,  # a symlinked .gitattributes is ignored, as git does
    ]


def test_load_gitattributes_on_a_bare_mirror(builder: RepoBuilder, tmp_path: Path) -> None:
    commit = _attributes_tree(builder)
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(builder.path), str(mirror)],
                   check=True)
    attributes = load_gitattributes(GitRepo(mirror), commit, ["third/lib/a.c"])
    assert attributes.linguist("third/lib/a.c") == Linguist(vendored=True)
