"""The one place that runs git: a local repository, read-only, never its code."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from analyzers.errors import (
    CorruptRepositoryError,
    EmptyRepositoryError,
    MissingRefError,
    NotARepositoryError,
    ShallowRepositoryError,
)

# Options that make git's output stable and safe to parse: no pager, no colour, raw
# (unquoted) paths, no external diff or text conversion drivers from the repository.
GIT_CONFIG = (
    "-c", "core.quotePath=false",
    "-c", "diff.external=",
    "-c", "color.ui=never",
    "-c", "log.showSignature=false",
    "-c", "diff.renameLimit=2000",
)
READ_CHUNK = 1 << 20
# cat-file requests written at once: well below a pipe's 64 KiB buffer, so never blocking.
REQUEST_BYTES = 16 << 10
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_EXTERNAL_DIFF"):
        env.pop(key, None)
    env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1"})
    return env


def _widen_pipe(pipe: IO[bytes]) -> None:
    """Let git run ahead of the parser by up to READ_CHUNK bytes (Linux; best effort)."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(pipe.fileno(), F_SETPIPE_SZ, READ_CHUNK)


def split_stream(chunks: Iterable[bytes], separator: bytes) -> Iterator[bytes]:
    """The separated records of a chunked byte stream, whatever the chunk boundaries."""
    rest = b""
    for chunk in chunks:
        parts = (rest + chunk).split(separator)
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def decode_path(raw: bytes) -> str:
    """Decode a path from git so that encode_path() gives the same bytes back."""
    return raw.decode("utf-8", "surrogateescape")


def encode_path(path: str) -> bytes:
    """The bytes git knows a decoded path by."""
    return path.encode("utf-8", "surrogateescape")


def printable_path(path: str) -> str:
    """A path that any database and terminal accept (undecodable bytes become \\xNN)."""
    return encode_path(path).decode("utf-8", "backslashreplace")


class GitRepo:
    """A local git repository (a working clone or a bare mirror) read through git itself."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).resolve()
        if not self.path.is_dir():
            raise NotARepositoryError(
                f"{self.path} is not a directory: pass --repo with the path of a git clone"
            )
        probe = self._run(["rev-parse", "--git-dir"], check=False)
        if probe.returncode != 0:
            raise NotARepositoryError(
                f"{self.path} is not a git repository: pass --repo with the path of a git "
                "clone or a bare mirror"
            )
        self.git_dir = (self.path / probe.stdout.decode().strip()).resolve()

    def _run(
        self, args: Sequence[str], *, check: bool = True, input_bytes: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        cmd = ["git", *GIT_CONFIG, "-C", str(self.path), *args]
        proc = subprocess.run(
            cmd, input=input_bytes, capture_output=True, env=_git_env(), check=False
        )
        if check and proc.returncode != 0:
            raise self._error_for(args, proc.stderr)
        return proc

    def _error_for(self, args: Sequence[str], stderr: bytes) -> Exception:
        text = stderr.decode("utf-8", "replace").strip().splitlines()
        first = text[0] if text else "no message"
        lowered = first.lower()
        if "bad object" in lowered or "corrupt" in lowered or "loose object" in lowered or (
            "unable to read" in lowered
        ):
            return CorruptRepositoryError(
                f"git could not read {self.path} ({first}): the repository may be corrupt; "
                "run `git fsck` there and re-clone if it fails"
            )
        return CorruptRepositoryError(f"git {args[0]} failed in {self.path}: {first}")

    def output(self, args: Sequence[str], input_bytes: bytes | None = None) -> bytes:
        """Run a git command and return its standard output; raise a named error on failure."""
        return self._run(args, input_bytes=input_bytes).stdout

    def stream(self, args: Sequence[str], input_bytes: bytes | None = None) -> Iterator[bytes]:
        """Yield chunks of a long git command's output as it runs, in bounded memory."""
        cmd = ["git", *GIT_CONFIG, "-C", str(self.path), *args]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_git_env(),
        )
        assert proc.stdout is not None and proc.stderr is not None
        try:
            if input_bytes is not None:
                assert proc.stdin is not None
                proc.stdin.write(input_bytes)
                proc.stdin.close()
            _widen_pipe(proc.stdout)
            while chunk := os.read(proc.stdout.fileno(), READ_CHUNK):
                yield chunk
            stderr = proc.stderr.read()
            if proc.wait() != 0:
                raise self._error_for(args, stderr)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def is_shallow(self) -> bool:
        """Whether the repository is a shallow clone."""
        return (self.git_dir / "shallow").exists()

    def resolve(self, ref: str) -> str:
        """The full commit sha a branch, tag or commit name points to."""
        if ref.startswith("-"):
            raise MissingRefError(f"{ref!r} is not a ref name: pass a branch, tag or commit")
        proc = self._run(["rev-parse", "--verify", "--quiet", "--end-of-options",
                          f"{ref}^{{commit}}"], check=False)
        if proc.returncode != 0:
            if ref == "HEAD" and not self.has_commits():
                raise EmptyRepositoryError(
                    f"{self.path} has no commits yet: commit something first or pass another "
                    "repository"
                )
            raise MissingRefError(
                f"ref {ref!r} not found in {self.path}: pass an existing branch, tag or commit"
            )
        return proc.stdout.decode().strip()

    def has_commits(self) -> bool:
        """Whether any ref of the repository points to a commit."""
        proc = self._run(["rev-list", "-n", "1", "--all"], check=False)
        return proc.returncode == 0 and bool(proc.stdout.strip())

    def commit_exists(self, sha: str) -> bool:
        """Whether a commit object with this sha is in the repository."""
        proc = self._run(["cat-file", "-e", f"{sha}^{{commit}}"], check=False)
        return proc.returncode == 0

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether the first commit is in the history of the second."""
        proc = self._run(["merge-base", "--is-ancestor", ancestor, descendant], check=False)
        return proc.returncode == 0

    def default_branch(self) -> str | None:
        """The branch pull requests target: origin's HEAD, else main or master; None if none."""
        remote = self._run(["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"], check=False)
        if remote.returncode == 0 and remote.stdout.strip():
            return remote.stdout.decode().strip().removeprefix("refs/remotes/")
        for name in ("main", "master"):
            if self._run(["rev-parse", "--verify", "--quiet", f"refs/heads/{name}"],
                         check=False).returncode == 0:
                return name
        return None

    def require_full_history(self) -> None:
        """Refuse a shallow clone with a message that says how to fix it."""
        if self.is_shallow():
            raise ShallowRepositoryError(
                f"{self.path} is a shallow clone, so its history is cut: run "
                "`git fetch --unshallow` there (in CI: actions/checkout with fetch-depth: 0)"
            )


@dataclass(frozen=True)
class Blob:
    """A blob read from git: its sha and its content (cut at the reader's byte limit)."""

    sha: str
    content: bytes


class BlobReader:
    """One long-lived `git cat-file --batch -z`: objects by name (a sha or `rev:path`), asked
    for in groups that fit a pipe, each answer cut at a byte limit and the rest drained."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self._proc: subprocess.Popen[bytes] | None = None

    def read(self, names: Sequence[str], max_bytes: int | None = None,
             ) -> dict[str, Blob | None]:
        """Each named object's first max_bytes bytes (all when None); None when the name is
        missing or not a blob."""
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        answers: dict[str, Blob | None] = {}
        for group in _request_groups(names):
            proc.stdin.write(b"".join(encode_path(name) + b"\0" for name in group))
            proc.stdin.flush()
            for name in group:
                answers[name] = self._answer(proc.stdout, max_bytes)
        return answers

    def _answer(self, stdout: IO[bytes], max_bytes: int | None) -> Blob | None:
        parts = stdout.readline().split()
        if not parts:
            raise self._stopped_early()
        if len(parts) != 3 or not parts[2].isdigit():
            return None  # "<name> missing" or "<name> ambiguous"
        size = int(parts[2])
        content = stdout.read(size if max_bytes is None else min(size, max_bytes))
        unread = size - len(content) + 1  # the rest of a large object and the newline after it
        while unread > 0:
            chunk = stdout.read(min(unread, READ_CHUNK))
            if not chunk:
                raise self._stopped_early()
            unread -= len(chunk)
        return Blob(parts[0].decode(), content) if parts[1] == b"blob" else None

    def _stopped_early(self) -> CorruptRepositoryError:
        return CorruptRepositoryError(f"git cat-file stopped early in {self.repo.path}: the "
                                      "repository may be corrupt; run `git fsck` there")

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", *GIT_CONFIG, "-C", str(self.repo.path), "cat-file", "--batch", "-z"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=_git_env())
        return self._proc

    def close(self) -> None:
        """Stop the git process, if one was started."""
        if self._proc is not None:
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.close()
            self._proc.wait()
            self._proc.stdout.close()
            self._proc = None

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def read_blobs(repo: GitRepo, names: Sequence[str], max_bytes: int | None = None,
               ) -> dict[str, Blob | None]:
    """Objects by name with one short-lived BlobReader (see BlobReader.read)."""
    if not names:
        return {}
    with BlobReader(repo) as reader:
        return reader.read(names, max_bytes)


def missing_blob(repo: GitRepo, blob: str) -> CorruptRepositoryError:
    """The error for a blob the history names but the object store lacks."""
    return CorruptRepositoryError(f"blob {blob} is missing from {repo.path}: the repository "
                                  "may be corrupt; run `git fsck` there")


def _request_groups(names: Sequence[str]) -> Iterator[Sequence[str]]:
    """Consecutive groups of names whose requests fit well inside a 64 KiB pipe."""
    start, size = 0, 0
    for index, name in enumerate(names):
        size += len(encode_path(name)) + 1
        if size > REQUEST_BYTES and index > start:
            yield names[start:index]
            start, size = index, len(encode_path(name)) + 1
    if start < len(names):
        yield names[start:]
