"""Bare mirrors of installed repositories, kept in sync with `git clone --mirror` and
`git fetch --prune`.

The installation token reaches git only as an HTTP header through the environment
(GIT_CONFIG_COUNT / GIT_CONFIG_KEY_0=http.extraHeader): never in the URL, the command line, the
mirror's git config or a log line. Clone URLs must be https:// unless the settings allow local
ones (file:// and paths, for tests and self-hosted setups).
"""

from __future__ import annotations

import base64
import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

from app.settings import Settings

NAME_PART = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
GIT_TIMEOUT_SECONDS = 1800
NETWORK_MARKERS = ("could not resolve host", "connection timed out", "connection refused",
                   "connection reset", "operation timed out", "the remote end hung up",
                   "returned error: 5", "early eof", "rpc failed")


class MirrorError(RuntimeError):
    """The mirror cannot be made or brought up to date; `retryable` when the network failed."""

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


def split_repository(repository: str) -> tuple[str, str]:
    """owner and name of "owner/name", checked to be safe as directory names."""
    owner, _, name = repository.partition("/")
    for part in (owner, name):
        if not NAME_PART.match(part) or part in (".", ".."):
            raise MirrorError(f"repository {repository[:200]!r} is not an owner/name pair")
    return owner, name


def mirror_path(settings: Settings, installation_id: int, repository: str) -> Path:
    """Where the installation's mirror of the repository lives."""
    owner, name = split_repository(repository)
    return installation_dir(settings, installation_id) / owner / f"{name}.git"


def installation_dir(settings: Settings, installation_id: int) -> Path:
    """The directory holding every mirror of one installation."""
    return settings.data_dir.expanduser() / "mirrors" / str(int(installation_id))


def check_clone_url(url: str, allow_local: bool) -> str:
    """The clone URL when it is allowed: https:// (or, when allowed, file:// and paths)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname and not parts.username and "@" not in \
            parts.netloc:
        return url
    local = parts.scheme == "file" or (not parts.scheme and url.startswith("/"))
    if local and allow_local:
        return url
    hint = (" or a local path (allowed: DIFFRISK_ALLOW_LOCAL_CLONE_URLS is set)" if allow_local
            else "; local paths need DIFFRISK_ALLOW_LOCAL_CLONE_URLS=true")
    raise MirrorError(f"clone URL {url[:200]!r} is not allowed: use an https:// URL without "
                      f"credentials{hint}")


def git_environment(token: str | None, allow_local: bool) -> dict[str, str]:
    """The environment of a git command: the token as an HTTP header, no prompts, no helpers."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GIT_", "SSH_ASKPASS"))}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C",
                "GIT_ALLOW_PROTOCOL": "https:file" if allow_local else "https",
                "GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "credential.helper",
                "GIT_CONFIG_VALUE_0": ""})
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update({"GIT_CONFIG_KEY_1": "http.extraHeader",
                    "GIT_CONFIG_VALUE_1": f"Authorization: Basic {basic}"})
    else:
        env.update({"GIT_CONFIG_KEY_1": "core.askPass", "GIT_CONFIG_VALUE_1": ""})
    return env


def _scrub(text: str, token: str | None) -> str:
    """Text without the token (nor its Basic form), one line, bounded."""
    first = (text.strip().splitlines() or ["no message"])[-1]
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        first = first.replace(token, "***").replace(basic, "***")
    return first[:300]


def run_git(args: list[str], env: Mapping[str, str], token: str | None,
            cwd: Path | None = None) -> str:
    """Run git; its stdout, or a MirrorError with git's last line of stderr (scrubbed)."""
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, env=dict(env), capture_output=True,
                              text=True, timeout=GIT_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise MirrorError(f"git {args[0]} took over {GIT_TIMEOUT_SECONDS} s",
                          retryable=True) from None
    if proc.returncode != 0:
        message = _scrub(proc.stderr, token)
        retryable = any(marker in message.lower() for marker in NETWORK_MARKERS)
        raise MirrorError(f"git {args[0]} failed: {message}", retryable=retryable)
    return proc.stdout


@contextmanager
def mirror_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the mirror (one sync at a time across processes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def has_commit(path: Path, sha: str, env: Mapping[str, str]) -> bool:
    """Whether the mirror holds the commit."""
    proc = subprocess.run(["git", "-C", str(path), "cat-file", "-e", f"{sha}^{{commit}}"],
                          env=dict(env), capture_output=True, check=False)
    return proc.returncode == 0


def _fetch_head(path: Path, url: str, sha: str, number: int | None, env: Mapping[str, str],
                token: str | None) -> None:
    """Fetch the pull request's head ref (or the commit itself) when the sync missed it."""
    if number is not None:
        ref = f"refs/pull/{int(number)}/head"
        run_git(["-C", str(path), "fetch", "--quiet", "--", url, f"+{ref}:{ref}"], env, token)
    if not has_commit(path, sha, env):
        with suppress(MirrorError):  # servers may refuse a fetch by sha
            run_git(["-C", str(path), "fetch", "--quiet", "--", url, sha], env, token)
    if not has_commit(path, sha, env):
        raise MirrorError(f"commit {sha[:12]} is not in the repository (force-pushed away?)")


def sync_mirror(settings: Settings, installation_id: int, repository: str, clone_url: str,
                token: str | None, head_sha: str | None = None,
                number: int | None = None) -> Path:
    """Clone or update the bare mirror; make sure head_sha is in it. The mirror's path."""
    url = check_clone_url(clone_url, settings.allow_local_clone_urls)
    if head_sha is not None and not SHA.match(head_sha):
        raise MirrorError(f"head {head_sha[:80]!r} is not a commit sha")
    path = mirror_path(settings, installation_id, repository)
    env = git_environment(token, settings.allow_local_clone_urls)
    with mirror_lock(path):
        if (path / "HEAD").is_file():
            run_git(["-C", str(path), "remote", "set-url", "origin", url], env, token)
            run_git(["-C", str(path), "fetch", "--prune", "--quiet", "origin"], env, token)
        else:
            shutil.rmtree(path, ignore_errors=True)
            partial = path.with_name(path.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            run_git(["clone", "--mirror", "--quiet", "--", url, str(partial)], env, token)
            partial.rename(path)
        if head_sha is not None and not has_commit(path, head_sha, env):
            _fetch_head(path, url, head_sha, number, env, token)
    return path


def delete_mirror(settings: Settings, installation_id: int, repository: str) -> None:
    """Remove one repository's mirror (and its lock file)."""
    path = mirror_path(settings, installation_id, repository)
    shutil.rmtree(path, ignore_errors=True)
    (path.parent / f".{path.name}.lock").unlink(missing_ok=True)


def delete_installation_mirrors(settings: Settings, installation_id: int) -> None:
    """Remove every mirror of an installation."""
    shutil.rmtree(installation_dir(settings, installation_id), ignore_errors=True)
