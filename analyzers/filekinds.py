"""Classify a path: its language and whether it is source, test, doc, config or other."""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache

LANGUAGES: dict[str, str] = {
    ".py": "Python", ".pyi": "Python", ".pyx": "Cython",
    ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript", ".jsx": "JavaScript",
    ".ts": "TypeScript", ".tsx": "TypeScript", ".mts": "TypeScript", ".cts": "TypeScript",
    ".java": "Java", ".kt": "Kotlin", ".kts": "Kotlin", ".scala": "Scala", ".groovy": "Groovy",
    ".go": "Go", ".rs": "Rust", ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++",
    ".cxx": "C++", ".hpp": "C++", ".hh": "C++", ".hxx": "C++", ".m": "Objective-C",
    ".mm": "Objective-C", ".cs": "C#", ".fs": "F#", ".vb": "Visual Basic",
    ".rb": "Ruby", ".php": "PHP", ".swift": "Swift", ".dart": "Dart", ".lua": "Lua",
    ".pl": "Perl", ".pm": "Perl", ".r": "R", ".jl": "Julia", ".hs": "Haskell",
    ".ml": "OCaml", ".ex": "Elixir", ".exs": "Elixir", ".erl": "Erlang", ".clj": "Clojure",
    ".sh": "Shell", ".bash": "Shell", ".zsh": "Shell", ".ps1": "PowerShell",
    ".sql": "SQL", ".vue": "Vue", ".svelte": "Svelte", ".html": "HTML", ".htm": "HTML",
    ".css": "CSS", ".scss": "SCSS", ".less": "Less",
    ".md": "Markdown", ".rst": "reStructuredText", ".txt": "Text", ".adoc": "AsciiDoc",
    ".json": "JSON", ".yml": "YAML", ".yaml": "YAML", ".toml": "TOML", ".ini": "INI",
    ".cfg": "INI", ".xml": "XML", ".ipynb": "Jupyter Notebook",
}
LANGUAGE_BY_NAME = {"Makefile": "Makefile", "Dockerfile": "Dockerfile", "CMakeLists.txt": "CMake"}

DOC_EXTENSIONS = frozenset({".md", ".rst", ".txt", ".adoc", ".rdoc", ".textile", ".org"})
DOC_DIRS = frozenset({"doc", "docs", "documentation", "man"})
DOC_NAMES = re.compile(r"^(README|CHANGELOG|CHANGES|HISTORY|NEWS|LICEN[CS]E|AUTHORS|CONTRIBUTING"
                       r"|COPYING|NOTICE)(\..*)?$", re.IGNORECASE)
CONFIG_EXTENSIONS = frozenset({".yml", ".yaml", ".toml", ".ini", ".cfg", ".conf", ".json",
                               ".xml", ".properties", ".gradle", ".lock", ".env", ".editorconfig"})
CONFIG_NAMES = frozenset({
    "Makefile", "Dockerfile", "CMakeLists.txt", "setup.py", "setup.cfg", "pyproject.toml",
    "package.json", "tsconfig.json", "pom.xml", "build.gradle", "go.mod", "go.sum",
    "Cargo.toml", "Gemfile", "requirements.txt", "tox.ini", "MANIFEST.in", ".gitignore",
    ".gitattributes", ".gitmodules", ".travis.yml", "Pipfile", "noxfile.py", "conftest.py",
})
TEST_DIRS = frozenset({"test", "tests", "testing", "spec", "specs", "__tests__", "t"})
TEST_NAME = re.compile(
    r"(^test_.*\.py$|_test\.(py|go|rb|exs?|cc|cpp|c)$|^test.*\.(js|ts)$|\.(test|spec)\.[jt]sx?$"
    r"|(Test|Tests|IT)\.(java|kt|scala|cs)$|_spec\.rb$|Spec\.(scala|groovy)$)"
)
SOURCE_LANGUAGES = frozenset(LANGUAGES.values()) - {
    "Markdown", "reStructuredText", "Text", "AsciiDoc", "JSON", "YAML", "TOML", "INI", "XML",
}


@lru_cache(maxsize=1 << 16)
def language_of(path: str) -> str | None:
    """The language a file is written in, from its name, or None when unknown."""
    name = posixpath.basename(path)
    if name in LANGUAGE_BY_NAME:
        return LANGUAGE_BY_NAME[name]
    return LANGUAGES.get(posixpath.splitext(name)[1].lower())


@lru_cache(maxsize=1 << 16)
def file_kind(path: str) -> str:
    """One of source, test, doc, config or other, from the path alone."""
    name = posixpath.basename(path)
    folders = path.split("/")[:-1]
    lowered = {folder.lower() for folder in folders}
    extension = posixpath.splitext(name)[1].lower()
    language = language_of(path)
    if language in SOURCE_LANGUAGES and (TEST_NAME.search(name) or lowered & TEST_DIRS):
        return "test"
    if name in CONFIG_NAMES or extension in CONFIG_EXTENSIONS or ".github" in folders:
        return "config"
    if DOC_NAMES.match(name) or extension in DOC_EXTENSIONS or lowered & DOC_DIRS:
        return "doc"
    if language in SOURCE_LANGUAGES:
        return "source"
    return "other"
