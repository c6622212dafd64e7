"""JavaScript/TypeScript imports: a tokenizer that skips comments, strings, templates and regex
literals finds the module specifiers; a resolver maps them to files like Node and tsc do."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Files above this size (minified bundles, mostly) are not parsed: their node stays.
MAX_PARSE_BYTES = 1 << 20
TSCONFIG_NAMES = frozenset({"tsconfig.json", "jsconfig.json"})
EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
JS_TO_TS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<name>[A-Za-z_$][\w$]*)
  | (?P<number>\d[\w.]*)
  | (?P<punct>=>|\.\.\.|[{}()\[\];,.<>+\-*/%&|^!~?:=@#`'"\\]|.)
""", re.VERBOSE | re.DOTALL)
TEMPLATE_CHUNK = re.compile(r"(?:[^`\\$]|\\.|\$(?!\{))*(`|\$\{|\Z)", re.DOTALL)
REGEX_LITERAL = re.compile(r"/(?![*/])(?:[^/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+/[A-Za-z]*")
# After these a `/` starts a regex literal, after anything else it divides.
REGEX_AFTER_NAMES = frozenset({"return", "typeof", "case", "do", "else", "in", "of", "new",
                               "delete", "void", "throw", "instanceof", "yield", "await"})
VALUE_END_PUNCT = frozenset({")", "]", "}"})
DYNAMIC_CALLS = frozenset({"require", "import"})
LONGEST_FIRST = sorted(EXTENSIONS, key=len, reverse=True)


def parse_js_imports(content: bytes) -> list[str]:
    """Module specifiers of import/export-from/require/import() with literals, in order."""
    if (len(content) > MAX_PARSE_BYTES or b"\0" in content[:8000]
            or (b"import" not in content and b"require" not in content)):
        return []
    specs: list[str] = []
    recent: list[tuple[str, str]] = [("", ""), ("", ""), ("", "")]
    pending: str | None = None
    for token in _tokens(content.decode("utf-8", "replace")):
        if pending is not None and token[1] in {")", ","}:
            specs.append(pending)
        pending = None
        if token[0] == "string":
            before = [text if kind in {"name", "punct"} else "" for kind, text in recent]
            if before[2] in {"from", "import"} and recent[2][0] == "name" and before[1] != ".":
                specs.append(token[1])
            elif before[2] == "(" and before[1] in DYNAMIC_CALLS and before[0] != ".":
                pending = token[1]
        recent = [*recent[1:], token]
    return specs


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    """Significant tokens; a string's text is its value; templates nest through `${ }`."""
    position, braces = 0, [0]
    previous = ("", "")
    while position < len(text):
        char = text[position]
        literal = REGEX_LITERAL.match(text, position) if (
            char == "/" and _regex_allowed(previous)) else None
        if literal:
            position, token = literal.end(), ("regex", "/")
        elif char == "`" or (char == "}" and len(braces) > 1 and braces[-1] == 0):
            if char == "}":
                braces.pop()
            position, token = _template(text, position + 1, braces, opening=char == "`")
        else:
            match = TOKEN.match(text, position)
            assert match is not None  # the last alternative matches any character
            position = match.end()
            kind, value = match.lastgroup or "punct", match.group()
            if kind in {"space", "comment"}:
                continue
            if kind == "string":
                value = _unquote(value[1:-1])
            elif value in {"{", "}"}:
                braces[-1] += 1 if value == "{" else -1
            token = (kind, value)
        previous = token
        yield token


def _regex_allowed(previous: tuple[str, str]) -> bool:
    """Whether a `/` after this token starts a regex literal rather than a division."""
    kind, text = previous
    if kind == "name":
        return text in REGEX_AFTER_NAMES
    return kind in {"", "punct"} and text not in VALUE_END_PUNCT


def _template(text: str, position: int, braces: list[int],
              opening: bool) -> tuple[int, tuple[str, str]]:
    """Scan template characters up to the closing backtick or a `${`; only a whole template
    without substitutions is a string."""
    match = TEMPLATE_CHUNK.match(text, position)
    assert match is not None
    body = text[position:match.start(1)]
    if match.group(1) == "${":
        braces.append(0)
        return match.end(), ("template", body)
    return match.end(), ("string" if opening else "template", _unquote(body))


def _unquote(body: str) -> str:
    return re.sub(r"\\(.)", r"\1", body, flags=re.DOTALL) if "\\" in body else body


@dataclass(frozen=True)
class TsConfig:
    """Module resolution settings of one tsconfig.json/jsconfig.json: folders are repo paths."""

    folder: str
    base_url: str | None
    paths: tuple[tuple[str, tuple[str, ...]], ...]


def parse_tsconfig(path: str, content: bytes) -> TsConfig | None:
    """compilerOptions.baseUrl and paths of a tsconfig (comments and trailing commas allowed)."""
    text = "".join(text for kind, text in _json_tokens(content.decode("utf-8", "replace")))
    try:
        data = json.loads(re.sub(r",(\s*[}\]])", r"\1", text))
    except ValueError:
        return None
    options = data.get("compilerOptions") if isinstance(data, dict) else None
    if not isinstance(options, dict):
        return None
    folder = posixpath.dirname(path)
    base = options.get("baseUrl")
    base_url = _join(folder, base) if isinstance(base, str) else None
    raw_paths = options.get("paths")
    if not isinstance(raw_paths, dict):
        raw_paths = {}
    paths = tuple((key, tuple(t for t in targets if isinstance(t, str)))
                  for key, targets in raw_paths.items() if isinstance(targets, list))
    return TsConfig(folder, base_url, paths)


def _json_tokens(text: str) -> Iterator[tuple[str, str]]:
    """JSON with comments: keep strings as written, drop // and /* */ comments."""
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?(?:\*/|\Z)|[^"/]+|/',
                             text, re.DOTALL):
        token = match.group()
        if not token.startswith(("//", "/*")):
            yield "text", token


def tsconfig_to_dict(config: TsConfig) -> dict[str, Any]:
    """A JSON-able form of a TsConfig."""
    return {"folder": config.folder, "base_url": config.base_url,
            "paths": [[key, list(targets)] for key, targets in config.paths]}


def tsconfig_from_dict(data: Mapping[str, Any]) -> TsConfig:
    """The TsConfig that tsconfig_to_dict gave."""
    return TsConfig(data["folder"], data["base_url"],
                    tuple((key, tuple(targets)) for key, targets in data["paths"]))


def nearest_tsconfig(importer: str, configs: Mapping[str, TsConfig]) -> TsConfig | None:
    """The config of the closest folder above the importer (configs keyed by folder)."""
    folder = posixpath.dirname(importer)
    while True:
        if folder in configs:
            return configs[folder]
        if not folder:
            return None
        folder = posixpath.dirname(folder)


def candidate_bases(spec: str, importer: str, config: TsConfig | None) -> list[str]:
    """Paths (without extension) the specifier may name, in the order they are tried."""
    if spec.startswith(("./", "../")) or spec in {".", ".."}:
        joined = _join(posixpath.dirname(importer), spec)
        return [joined] if joined is not None else []
    if spec.startswith("/") or config is None:
        return []
    bases = [base for target in _path_targets(spec, config.paths)
             if (base := _join(config.base_url or config.folder, target)) is not None]
    if config.base_url is not None and (joined := _join(config.base_url, spec)) is not None:
        bases.append(joined)
    return bases


def _path_targets(spec: str, paths: tuple[tuple[str, tuple[str, ...]], ...]) -> list[str]:
    """tsc's `paths`: an exact key, else the matching pattern with the longest prefix."""
    best: tuple[int, str, tuple[str, ...]] | None = None
    for key, targets in paths:
        if key == spec:
            return list(targets)
        prefix, star, suffix = key.partition("*")
        if (star and spec.startswith(prefix) and spec.endswith(suffix)
                and len(spec) >= len(prefix) + len(suffix)
                and (best is None or len(prefix) > best[0])):
            best = (len(prefix), spec[len(prefix):len(spec) - len(suffix)], targets)
    if best is None:
        return []
    return [target.replace("*", best[1], 1) for target in best[2]]


def _join(folder: str, relative: str) -> str | None:
    """folder/relative normalised; None when it leaves the repository."""
    joined = posixpath.normpath(posixpath.join(folder, relative))
    if joined == ".":
        return ""
    if joined.startswith(("../", "/")) or joined == "..":
        return None
    return joined


def resolve_base(base: str, files: Collection[str]) -> str | None:
    """The file a path without extension names: itself, with an extension, or its index."""
    stem, extension = posixpath.splitext(base)
    candidates = [base] if extension in EXTENSIONS else []
    candidates += [stem + ts for ts in JS_TO_TS.get(extension, ())]
    candidates += [base + extension for extension in EXTENSIONS]
    candidates += [posixpath.join(base, "index" + extension) for extension in EXTENSIONS]
    return next((candidate for candidate in candidates if candidate in files), None)


def resolve_js(spec: str, importer: str, files: Collection[str],
               config: TsConfig | None) -> list[str]:
    """The repository file a specifier loads; [] for packages and missing files."""
    for base in candidate_bases(spec, importer, config):
        found = resolve_base(base, files)
        if found:
            return [found]
    return []


def import_leaves(spec: str, importer: str, config: TsConfig | None) -> set[str]:
    """Last path parts (without extension) of every file that could resolve the specifier."""
    leaves: set[str] = set()
    for base in candidate_bases(spec, importer, config):
        name = posixpath.basename(base)
        leaves |= {name, posixpath.splitext(name)[0]}
    return leaves


def file_leaves(path: str) -> set[str]:
    """The names import_leaves may know the file by: its stem; an index also by its folder."""
    name = posixpath.basename(path)
    stem = next((name[:-len(extension)] for extension in LONGEST_FIRST
                 if name.endswith(extension)), name)
    if stem == "index":
        return {stem, posixpath.basename(posixpath.dirname(path))}
    return {stem}
