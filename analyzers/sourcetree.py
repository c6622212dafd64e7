"""Read the files the import graph needs from git: all of them at a commit, or those a change
touches, bounded in count and bytes; symlinks and submodules are never read."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

from analyzers import imports_python
from analyzers.depgraph import SourceFile, graph_language
from analyzers.git import GitRepo, decode_path, missing_blob, read_blobs
from analyzers.imports_js import TSCONFIG_NAMES

REGULAR_FILE_MODES = frozenset({b"100644", b"100755"})  # not symlinks (120000), submodules


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what read_source_files reads; files past them stay nodes without imports."""

    max_files: int = 50_000
    max_file_bytes: int = imports_python.MAX_PARSE_BYTES
    max_total_bytes: int = 256 << 20


def read_source_files(repo: GitRepo, commit: str,
                      limits: ReadLimits = ReadLimits()) -> list[SourceFile]:
    """The graph's files at a commit (sources and tsconfigs; no symlinks), read in one batch;
    files past the limits come with empty content."""
    sha = repo.resolve(commit)
    listing = repo.output(["ls-tree", "-r", "-z", "-l", "--full-tree", sha])
    wanted: list[tuple[str, str]] = []
    skipped: list[str] = []
    total = 0
    for path, blob, size in _tree_entries(listing):
        if len(wanted) + len(skipped) >= limits.max_files:
            break
        if size > limits.max_file_bytes or total + size > limits.max_total_bytes:
            skipped.append(path)
        else:
            wanted.append((path, blob))
            total += size
    contents = _contents(repo, list(dict.fromkeys(blob for _, blob in wanted)))
    files = [SourceFile(path, contents[blob]) for path, blob in wanted]
    return files + [SourceFile(path, b"") for path in skipped]


def read_change(repo: GitRepo, base: str, head: str,
                limits: ReadLimits = ReadLimits()) -> dict[str, bytes | None]:
    """The graph's files that differ between two commits, with their content at head (None:
    gone, or no longer a regular file), in the form update_graph takes."""
    raw = repo.output(["diff", "--raw", "-z", "--no-renames", "--no-abbrev",
                       repo.resolve(base), repo.resolve(head)])
    fields = raw.split(b"\0")
    new_blobs: dict[str, str | None] = {}
    for meta, raw_path in zip(fields[0:-1:2], fields[1::2], strict=True):
        _, new_mode, _, new_blob, _ = meta.split()
        path = decode_path(raw_path)
        if _is_read(path):
            regular = new_mode in REGULAR_FILE_MODES
            new_blobs[path] = new_blob.decode() if regular else None
    contents = _contents(repo, sorted({blob for blob in new_blobs.values() if blob}))
    return {path: None if blob is None else _bounded(contents[blob], limits)
            for path, blob in new_blobs.items()}


def _bounded(content: bytes, limits: ReadLimits) -> bytes:
    return content if len(content) <= limits.max_file_bytes else b""


def _is_read(path: str) -> bool:
    """Whether the graph needs the file: a source in its languages or a tsconfig."""
    return bool(graph_language(path)) or posixpath.basename(path) in TSCONFIG_NAMES


def _tree_entries(listing: bytes) -> Iterable[tuple[str, str, int]]:
    """(path, blob, size) of the regular files ls-tree lists that the graph needs."""
    for entry in listing.split(b"\0"):
        meta, _, raw_path = entry.partition(b"\t")
        fields = meta.split()
        if len(fields) != 4 or fields[1] != b"blob" or fields[0] not in REGULAR_FILE_MODES:
            continue
        path = decode_path(raw_path)
        if _is_read(path):
            yield path, fields[2].decode(), int(fields[3])


def _contents(repo: GitRepo, blobs: list[str]) -> dict[str, bytes]:
    """Contents of blobs through one batched `git cat-file`."""
    contents = {}
    for sha, found in read_blobs(repo, blobs).items():
        if found is None:
            raise missing_blob(repo, sha)
        contents[sha] = found.content
    return contents
