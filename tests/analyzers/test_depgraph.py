"""The import graph: build from a built repository, incremental update equals a full rebuild,
JSON round trip, change subgraph and its json/dot forms."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping

import pytest

from analyzers.depgraph import (
    ImportGraph,
    SourceFile,
    build_graph,
    change_subgraph,
    subgraph_dot,
    subgraph_json,
    update_graph,
)
from analyzers.git import GitRepo
from analyzers.sourcetree import ReadLimits, read_change, read_source_files
from tests.gitbuild import RepoBuilder

Files = Mapping[str, str]


def build(files: Files) -> ImportGraph:
    return build_graph(SourceFile(path, text.encode()) for path, text in files.items())


def edges(graph: ImportGraph) -> set[tuple[str, str]]:
    return set(graph.graph.edges)


PYTHON_REPO = {
    "pkg/__init__.py": "from .core import run\n",
    "pkg/core.py": "import os\nfrom pkg import util\nfrom . import missing\n",
    "pkg/util.py": "def helper():\n    import pkg.core\n",
    "app.py": "import pkg\nimport helpers\nfrom pkg.util import helper\nimport numpy\n",
    "src/lib/__init__.py": "",
    "src/lib/api.py": "from ..outside import x\nfrom lib import api\n",
    "tests/test_app.py": "import app\nimport conftest_helpers\n",
}


def test_build_python_graph() -> None:
    graph = build(PYTHON_REPO)
    assert edges(graph) == {
        ("pkg/__init__.py", "pkg/core.py"),
        ("pkg/core.py", "pkg/util.py"), ("pkg/core.py", "pkg/__init__.py"),
        ("pkg/util.py", "pkg/core.py"),
        ("app.py", "pkg/__init__.py"), ("app.py", "pkg/util.py"),
        ("tests/test_app.py", "app.py"),
    }
    assert graph.graph.nodes["app.py"]["language"] == "Python"


def test_cycles_are_kept() -> None:
    graph = build({"a.py": "import b\n", "b.py": "import a\n"})
    assert edges(graph) == {("a.py", "b.py"), ("b.py", "a.py")}


JS_REPO = {
    "tsconfig.json": '{"compilerOptions": {"baseUrl": "src", "paths": {"@/*": ["*"]}}}',
    "src/main.ts": 'import { a } from "./a";\nimport lib from "@/lib";\nimport "react";\n',
    "src/a.tsx": 'export * from "./b.js";\nconst c = require("../c.cjs");\n',
    "src/b.ts": 'export const b = import("./main");\n',
    "src/lib/index.js": "module.exports = {};\n",
    "c.cjs": 'require("./src/nowhere");\n',
    "README.md": 'import "./src/main"\n',
}


def test_build_js_graph() -> None:
    graph = build(JS_REPO)
    assert edges(graph) == {
        ("src/main.ts", "src/a.tsx"), ("src/main.ts", "src/lib/index.js"),
        ("src/a.tsx", "src/b.ts"), ("src/a.tsx", "c.cjs"), ("src/b.ts", "src/main.ts"),
    }
    assert graph.graph.nodes["src/a.tsx"]["language"] == "TypeScript"
    assert "README.md" not in graph.graph and "tsconfig.json" not in graph.graph


EDITS: dict[str, tuple[Files, dict[str, str | None]]] = {
    "added file resolves an import": (PYTHON_REPO, {"helpers.py": "import pkg\n"}),
    "added submodule replaces a package fallback": (PYTHON_REPO, {"pkg/missing.py": ""}),
    "deleted file": (PYTHON_REPO, {"pkg/util.py": None}),
    "renamed file": (PYTHON_REPO, {"pkg/util.py": None, "pkg/tools.py": "import os\n"}),
    "added __init__ changes roots": (PYTHON_REPO, {"tests/__init__.py": ""}),
    "deleted __init__": (PYTHON_REPO, {"src/lib/__init__.py": None}),
    "modified imports": (PYTHON_REPO, {"app.py": "from pkg import core\n", "x.py": None}),
    "script folder module": (PYTHON_REPO, {"tests/conftest_helpers.py": "import app\n"}),
    "index file added": ({**JS_REPO, "src/lib/index.js": "1"},
                         {"src/lib/index.js": None, "src/lib.ts": ""}),
    "js renamed": (JS_REPO, {"src/b.ts": None, "src/b.js": 'import "./a"'}),
    "tsconfig changed": (JS_REPO, {"tsconfig.json": '{"compilerOptions": {"baseUrl": "."}}'}),
    "tsconfig deleted": (JS_REPO, {"tsconfig.json": None}),
    "nested tsconfig added": (JS_REPO, {"src/jsconfig.json": '{"compilerOptions": {}}'}),
    "unresolved js now resolves": (JS_REPO, {"src/nowhere/index.mjs": 'import "../a"'}),
    "non-source files": (JS_REPO, {"README.md": None, "docs/x.txt": "import y"}),
}


@pytest.mark.parametrize("name", EDITS)
def test_update_equals_full_rebuild(name: str) -> None:
    base, change = EDITS[name]
    before = build(base)
    frozen = json.dumps(before.to_dict())
    changed = {path: None if text is None else text.encode() for path, text in change.items()}
    after = update_graph(before, changed)
    head = {path: text for path, text in {**base, **change}.items() if text is not None}
    assert after.to_dict() == build(head).to_dict()
    assert json.dumps(before.to_dict()) == frozen, "update_graph must not modify its input"
    in_place = build(base)
    assert update_graph(in_place, changed, copy=False) is in_place
    assert in_place.to_dict() == after.to_dict()


def test_update_edges_of_a_known_edit() -> None:
    graph = update_graph(build(PYTHON_REPO), {"helpers.py": b"", "pkg/util.py": None})
    assert ("app.py", "helpers.py") in edges(graph)
    assert ("app.py", "pkg/__init__.py") in edges(graph)
    assert not any("pkg/util.py" in edge for edge in edges(graph))


def test_json_round_trip() -> None:
    graph = build({**PYTHON_REPO, **JS_REPO})
    data = json.loads(json.dumps(graph.to_dict()))
    again = ImportGraph.from_dict(data)
    assert again.to_dict() == data
    assert edges(again) == edges(graph)
    changed = {"helpers.py": b"", "src/b.ts": None}
    assert update_graph(again, changed).to_dict() == update_graph(graph, changed).to_dict()
    with pytest.raises(ValueError, match="format"):
        ImportGraph.from_dict({**data, "format": 0})


def test_change_subgraph_json_and_dot() -> None:
    graph = build({"a.py": "import b\n", "b.py": "import c\n", "c.py": "import d\n",
                   "d.py": "", 'we"ird.py': "import b\n"})
    sub = change_subgraph(graph, ["b.py", "gone.py"])
    assert set(sub.nodes) == {"a.py", "b.py", "c.py", 'we"ird.py'}
    assert subgraph_json(sub) == {
        "nodes": [{"path": "a.py", "language": "Python", "changed": False},
                  {"path": "b.py", "language": "Python", "changed": True},
                  {"path": "c.py", "language": "Python", "changed": False},
                  {"path": 'we"ird.py', "language": "Python", "changed": False}],
        "edges": [{"source": "a.py", "target": "b.py"}, {"source": "b.py", "target": "c.py"},
                  {"source": 'we"ird.py', "target": "b.py"}],
    }
    assert subgraph_dot(sub) == (
        'digraph imports {\n  rankdir=LR;\n  node [shape=box];\n'
        '  "a.py" [label="a.py"];\n'
        '  "b.py" [label="b.py", style=filled, fillcolor="#ffd7d7"];\n'
        '  "c.py" [label="c.py"];\n'
        '  "we\\"ird.py" [label="we\\"ird.py"];\n'
        '  "a.py" -> "b.py";\n  "b.py" -> "c.py";\n  "we\\"ird.py" -> "b.py";\n}\n')


def test_read_source_files_skips_symlinks_and_bounds_sizes(builder: RepoBuilder) -> None:
    builder.write("pkg/__init__.py", "")
    builder.write("pkg/mod.py", "from . import big\n")
    builder.write("pkg/big.py", "import os\n" * 200)
    builder.write("web/tsconfig.json", '{"compilerOptions": {"baseUrl": "."}}')
    builder.write("web/app.ts", 'import "x";\n')
    builder.write("logo.png", b"\x89PNG\0")
    builder.write("caf\xe9.py", b"import pkg\n# \xff\n")
    os.symlink("/etc/passwd", builder.path / "pkg" / "link.py")
    builder.commit("Add files")
    files = read_source_files(GitRepo(builder.path), "HEAD", ReadLimits(max_file_bytes=1000))
    contents = {source.path: source.content for source in files}
    assert set(contents) == {"pkg/__init__.py", "pkg/mod.py", "pkg/big.py", "web/app.ts",
                             "web/tsconfig.json", "caf\xe9.py"}
    assert contents["pkg/big.py"] == b""
    assert contents["pkg/mod.py"] == b"from . import big\n"
    graph = build_graph(files)
    assert edges(graph) == {("pkg/mod.py", "pkg/big.py"), ("caf\xe9.py", "pkg/__init__.py")}
    assert "pkg/link.py" not in graph.graph


def test_read_source_files_bounds_file_count(builder: RepoBuilder) -> None:
    for number in range(5):
        builder.write(f"m{number}.py", "import os\n")
    builder.commit("Add modules")
    repo = GitRepo(builder.path)
    assert len(read_source_files(repo, "HEAD", ReadLimits(max_files=3))) == 3
    files = read_source_files(repo, "HEAD", ReadLimits(max_total_bytes=0))
    assert [source.content for source in files] == [b""] * 5


def test_update_between_commits_equals_build_at_head(builder: RepoBuilder) -> None:
    for path, text in PYTHON_REPO.items():
        builder.write(path, text)
    base = builder.commit("Base")
    builder.write("helpers.py", "import pkg.util\n")
    builder.move("pkg/util.py", "pkg/tools.py")
    builder.write("app.py", "from pkg import tools\n")
    builder.delete("src/lib/__init__.py")
    builder.delete("pkg/core.py")
    os.symlink("util.py", builder.path / "pkg" / "core.py")
    head = builder.commit("Change")
    repo = GitRepo(builder.path)
    changed = read_change(repo, base, head)
    assert changed == {"helpers.py": b"import pkg.util\n", "pkg/util.py": None,
                       "pkg/tools.py": PYTHON_REPO["pkg/util.py"].encode(),
                       "app.py": b"from pkg import tools\n", "src/lib/__init__.py": None,
                       "pkg/core.py": None}
    updated = update_graph(build_graph(read_source_files(repo, base)), changed)
    assert updated.to_dict() == build_graph(read_source_files(repo, head)).to_dict()
    assert ("app.py", "pkg/tools.py") in edges(updated)


UNIVERSE = ["a.py", "b.py", "pkg/__init__.py", "pkg/b.py", "pkg/sub/__init__.py",
            "pkg/sub/c.py", "src/d.py", "src/ns/e.py", "tools/f.py", "tools/b.py",
            "web/x.ts", "web/lib/index.ts", "web/lib.js", "web/y.js", "web/b.tsx",
            "web/tsconfig.json", "tsconfig.json"]
LINES = ["import a\n", "import b\n", "import pkg.b\n", "from pkg import b, sub\n",
         "from .sub import c\n", "from . import b\n", "from .. import b\n", "import d, ns.e\n",
         "import pkg.sub.c\n", "import f\n", 'import "./lib";\n', 'require("./b")\n',
         'import("../web/y.js")\n', 'import x from "lib";\n', 'export * from "b";\n',
         'import "./x"\n']
CONFIGS = ['{"compilerOptions": {"baseUrl": "."}}',
           '{"compilerOptions": {"paths": {"*": ["web/*", "pkg/*"]}}}', "{}"]


def random_content(path: str, rng: random.Random) -> str:
    if path.endswith("tsconfig.json"):
        return rng.choice(CONFIGS)
    return "".join(rng.sample(LINES, rng.randint(0, 4)))


def test_random_edit_sequences_equal_full_rebuilds() -> None:
    rng = random.Random(20261122)
    files = {path: random_content(path, rng) for path in rng.sample(UNIVERSE, 8)}
    graph = build(files)
    for _ in range(300):
        change: dict[str, str | None] = {}
        for path in rng.sample(UNIVERSE, rng.randint(1, 3)):
            change[path] = None if path in files and rng.random() < 0.4 else random_content(
                path, rng)
        graph = update_graph(graph, {path: None if text is None else text.encode()
                                     for path, text in change.items()})
        files = {path: text for path, text in {**files, **change}.items() if text is not None}
        assert graph.to_dict() == build(files).to_dict(), change
