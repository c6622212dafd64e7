"""The import graph of a repository: files are nodes, an edge goes from importer to imported.
Built once per commit, then updated from a pull request's changed files, re-parsing only those
and re-resolving only the imports that an added or removed file could answer differently."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from analyzers import imports_js, imports_python
from analyzers.filekinds import language_of
from analyzers.git import printable_path
from analyzers.imports_js import TSCONFIG_NAMES, TsConfig
from analyzers.imports_python import PyImport

GRAPH_FORMAT = 1
PYTHON = "Python"
JS_LANGUAGES = frozenset({"JavaScript", "TypeScript"})
CHANGED_FILL = "#ffd7d7"

Spec = PyImport | str


@dataclass(frozen=True)
class SourceFile:
    """A file of the repository at one commit."""

    path: str
    content: bytes


def graph_language(path: str) -> str | None:
    """The language a file takes part in the graph as, or None if it is not a node."""
    language = language_of(path)
    if language == PYTHON and path.endswith(".py"):
        return PYTHON
    return language if language in JS_LANGUAGES else None


class ImportGraph:
    """A networkx.DiGraph of file paths (node attribute "language"), importer -> imported, with
    the parsed imports and tsconfig settings needed to update it without re-parsing."""

    def __init__(self, graph: nx.DiGraph, imports: dict[str, tuple[Spec, ...]],
                 configs: dict[str, TsConfig]) -> None:
        self.graph = graph
        self.imports = imports
        self.configs = configs

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, for a per-commit cache."""
        files = [{"path": path, "language": language,
                  "imports": [_spec_to_json(spec) for spec in self.imports.get(path, ())]}
                 for path, language in sorted(self.graph.nodes(data="language"))]
        return {"format": GRAPH_FORMAT, "files": files,
                "edges": sorted([source, target] for source, target in self.graph.edges),
                "configs": {path: imports_js.tsconfig_to_dict(config)
                            for path, config in sorted(self.configs.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportGraph:
        """The graph to_dict gave; ValueError for another format."""
        if data.get("format") != GRAPH_FORMAT:
            raise ValueError(f"import graph format {data.get('format')!r} is not "
                             f"{GRAPH_FORMAT}: rebuild the graph from the commit")
        graph = nx.DiGraph()
        imports: dict[str, tuple[Spec, ...]] = {}
        for item in data["files"]:
            graph.add_node(item["path"], language=item["language"])
            imports[item["path"]] = tuple(_spec_from_json(spec) for spec in item["imports"])
        graph.add_edges_from((source, target) for source, target in data["edges"])
        configs = {path: imports_js.tsconfig_from_dict(config)
                   for path, config in data["configs"].items()}
        return cls(graph, imports, configs)


def _spec_to_json(spec: Spec) -> Any:
    if isinstance(spec, PyImport):
        return [spec.module, spec.level, list(spec.names)]
    return spec


def _spec_from_json(data: Any) -> Spec:
    if isinstance(data, str):
        return data
    return PyImport(data[0], data[1], tuple(data[2]))


class _Resolver:
    """Resolves a file's imports against the files and settings of one graph."""

    def __init__(self, graph: ImportGraph) -> None:
        self.graph = graph
        self.files = set(graph.graph.nodes)
        self.roots = imports_python.python_roots(self.files)
        self.configs = _configs_by_folder(graph.configs)

    def targets(self, path: str) -> set[str]:
        """The files the file's imports load (never itself)."""
        found: set[str] = set()
        for spec in self.graph.imports.get(path, ()):
            if isinstance(spec, PyImport):
                found.update(imports_python.resolve_python(spec, path, self.files, self.roots))
            else:
                found.update(imports_js.resolve_js(spec, path, self.files, self._config(path)))
        found.discard(path)
        return found

    def leaves(self, path: str) -> set[str]:
        """Last path parts of every file that could answer one of the file's imports."""
        leaves: set[str] = set()
        for spec in self.graph.imports.get(path, ()):
            if isinstance(spec, PyImport):
                leaves |= imports_python.import_leaves(spec)
            else:
                leaves |= imports_js.import_leaves(spec, path, self._config(path))
        return leaves

    def _config(self, importer: str) -> TsConfig | None:
        return imports_js.nearest_tsconfig(importer, self.configs)


def _configs_by_folder(configs: Mapping[str, TsConfig]) -> dict[str, TsConfig]:
    """tsconfig.json wins over jsconfig.json in the same folder."""
    ordered = sorted(configs.items(), key=lambda item: posixpath.basename(item[0]) ==
                     "tsconfig.json")
    return {config.folder: config for _, config in ordered}


def _parse(language: str, content: bytes) -> tuple[Spec, ...]:
    if language == PYTHON:
        return tuple(imports_python.parse_python_imports(content))
    return tuple(imports_js.parse_js_imports(content))


def _set_file(graph: ImportGraph, path: str, content: bytes) -> None:
    """Add or replace a node (or tsconfig) from its content; edges are left to the caller."""
    if posixpath.basename(path) in TSCONFIG_NAMES:
        config = imports_js.parse_tsconfig(path, content)
        if config is None:
            graph.configs.pop(path, None)
        else:
            graph.configs[path] = config
    language = graph_language(path)
    if language is not None:
        graph.graph.add_node(path, language=language)
        graph.imports[path] = _parse(language, content)


def _remove_file(graph: ImportGraph, path: str) -> None:
    graph.configs.pop(path, None)
    graph.imports.pop(path, None)
    if path in graph.graph:
        graph.graph.remove_node(path)


def _resolve(graph: ImportGraph, paths: Iterable[str]) -> None:
    """Replace the out-edges of the files with their current resolution."""
    resolver = _Resolver(graph)
    for path in paths:
        graph.graph.remove_edges_from(list(graph.graph.out_edges(path)))
        graph.graph.add_edges_from((path, target) for target in resolver.targets(path))


def build_graph(files: Iterable[SourceFile]) -> ImportGraph:
    """The import graph of a set of files (a repository at one commit)."""
    graph = ImportGraph(nx.DiGraph(), {}, {})
    for source in files:
        _set_file(graph, source.path, source.content)
    _resolve(graph, list(graph.graph.nodes))
    return graph


def update_graph(graph: ImportGraph, changed: Mapping[str, bytes | None], *,
                 copy: bool = True) -> ImportGraph:
    """The graph with the changes applied (path -> new content, None = deleted), equal to
    build_graph over the changed repository; a new graph unless copy=False, which updates the
    given one (cheaper when it came fresh from the cache)."""
    old_configs = _configs_by_folder(graph.configs)
    new = graph
    if copy:
        new = ImportGraph(graph.graph.copy(), dict(graph.imports), dict(graph.configs))
    added = {path for path, content in changed.items()
             if content is not None and path not in new.graph and graph_language(path)}
    removed = {path for path, content in changed.items()
               if content is None and path in new.graph}
    for path, content in changed.items():
        if content is None:
            _remove_file(new, path)
        else:
            _set_file(new, path, content)
    stale = {path for path in changed if path in new.graph}
    moved = added | removed
    if any(posixpath.basename(path) == imports_python.INIT for path in moved):
        stale |= _nodes_of(new, {PYTHON})
    if _configs_by_folder(new.configs) != old_configs:
        stale |= _nodes_of(new, JS_LANGUAGES)
    if moved:
        stale |= _importers_of_leaves(new, moved)
    _resolve(new, sorted(stale))
    return new


def _nodes_of(graph: ImportGraph, languages: Iterable[str]) -> set[str]:
    wanted = set(languages)
    return {path for path, language in graph.graph.nodes(data="language")
            if language in wanted}


def _importers_of_leaves(graph: ImportGraph, paths: Iterable[str]) -> set[str]:
    """Files with an import that one of the paths could answer, judged by last path parts."""
    names: set[str] = set()
    for path in paths:
        names |= (imports_python.file_leaves(path) if path.endswith(".py")
                  else imports_js.file_leaves(path))
    resolver = _Resolver(graph)
    return {path for path in graph.imports if not names.isdisjoint(resolver.leaves(path))}


def change_subgraph(graph: ImportGraph, changed_paths: Iterable[str]) -> nx.DiGraph:
    """The changed files, what they import and what imports them (node attribute "changed")."""
    changed = {path for path in changed_paths if path in graph.graph}
    nodes = set(changed)
    for path in changed:
        nodes.update(graph.graph.successors(path), graph.graph.predecessors(path))
    sub = graph.graph.subgraph(nodes).copy()
    nx.set_node_attributes(sub, {path: path in changed for path in sub}, "changed")
    return sub


def subgraph_json(sub: nx.DiGraph) -> dict[str, Any]:
    """Nodes and edges as plain data, sorted, paths printable."""
    nodes = [{"path": printable_path(path), "language": data.get("language"),
              "changed": bool(data.get("changed"))} for path, data in sorted(sub.nodes(data=True))]
    edges = [{"source": printable_path(source), "target": printable_path(target)}
             for source, target in sorted(sub.edges)]
    return {"nodes": nodes, "edges": edges}


def subgraph_dot(sub: nx.DiGraph) -> str:
    """Graphviz source of the subgraph; changed files are filled."""
    lines = ["digraph imports {", "  rankdir=LR;", "  node [shape=box];"]
    for path, data in sorted(sub.nodes(data=True)):
        style = f', style=filled, fillcolor="{CHANGED_FILL}"' if data.get("changed") else ""
        lines.append(f"  {_dot_id(path)} [label={_dot_id(path)}{style}];")
    lines.extend(f"  {_dot_id(source)} -> {_dot_id(target)};"
                 for source, target in sorted(sub.edges))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_id(path: str) -> str:
    text = printable_path(path).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'
