"""The bare mirrors: the clone URL rule, safe names, and the installation token kept out of
argv, URLs, git config and logs (it travels only as an HTTP header in git's environment)."""

from __future__ import annotations

import base64
import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from tests.fakegithub import FakeGitHub
from tests.workers.conftest import INSTALLATION, REPOSITORY, History, job_arguments, open_pull
from workers.jobs import analyze_pull_request
from workers.mirror import MirrorError, check_clone_url, mirror_path, sync_mirror


@pytest.mark.parametrize("url", ["https://github.com/octo/demo.git",
                                 "https://ghe.example.com/octo/demo.git"])
def test_https_clone_urls_are_allowed(url: str) -> None:
    assert check_clone_url(url, allow_local=False) == url


@pytest.mark.parametrize("url", ["http://github.com/octo/demo.git", "git@github.com:octo/demo",
                                 "ssh://github.com/octo/demo", "file:///srv/demo.git",
                                 "/srv/demo.git", "https://x-access-token:t@github.com/o/r",
                                 "ext::sh -c touch% /tmp/pwned", "-uhttps://github.com/o/r"])
def test_other_clone_urls_are_refused(url: str) -> None:
    with pytest.raises(MirrorError, match="not allowed"):
        check_clone_url(url, allow_local=False)


def test_local_clone_urls_need_the_setting() -> None:
    assert check_clone_url("/srv/demo.git", allow_local=True) == "/srv/demo.git"
    assert check_clone_url("file:///srv/demo.git", allow_local=True)
    with pytest.raises(MirrorError, match="not allowed"):
        check_clone_url("http://github.com/o/r", allow_local=True)


@pytest.mark.parametrize("name", ["octo", "octo/../etc", "../x/y", "octo/demo/more", "o/.",
                                  "octo/de mo", ""])
def test_repository_names_must_be_owner_and_name(name: str, tmp_path: Path) -> None:
    with pytest.raises(MirrorError, match="owner/name"):
        mirror_path(Settings(data_dir=tmp_path), 1, name)


def test_a_mirror_is_cloned_then_fetched_and_has_the_head(history: History,
                                                          tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, allow_local_clone_urls=True)
    path = sync_mirror(settings, 3, REPOSITORY, str(history.builder.path), "tok",
                       history.head, 7)
    assert path == tmp_path / "mirrors/3/octo/demo.git" and (path / "HEAD").is_file()
    history.builder.git("update-ref", "refs/pull/7/head", history.newer)
    again = sync_mirror(settings, 3, REPOSITORY, str(history.builder.path), "tok",
                        history.newer, 7)
    shown = subprocess.run(["git", "-C", str(again), "rev-parse", "refs/pull/7/head"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert shown == history.newer
    with pytest.raises(MirrorError, match="not in the repository"):
        sync_mirror(settings, 3, REPOSITORY, str(history.builder.path), "tok", "a" * 40, 7)


def test_the_token_never_reaches_argv_urls_git_config_or_logs(
        fake: FakeGitHub, history: History, data_dir: Path, worker_env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def spy(args: list[str], *rest: Any, **options: Any) -> Any:
        calls.append((list(args), dict(options.get("env") or {})))
        return real_run(args, *rest, **options)

    monkeypatch.setattr(subprocess, "run", spy)
    caplog.set_level(logging.DEBUG)
    open_pull(fake, history, history.head)
    analyze_pull_request(**job_arguments(history, history.head))
    (token,) = fake.tokens
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    assert calls and all(token not in " ".join(args) for args, _ in calls)
    assert any(env.get("GIT_CONFIG_VALUE_1") == f"Authorization: Basic {basic}"
               for _, env in calls)
    network = [env for args, env in calls if "clone" in args or "fetch" in args]
    assert network and all(env.get("GIT_TERMINAL_PROMPT") == "0" for env in network)
    git_dir = data_dir / "mirrors" / str(INSTALLATION) / "octo/demo.git"
    for path in git_dir.rglob("*"):
        if path.is_file() and path.stat().st_size < 1_000_000:
            data = path.read_bytes()
            assert token.encode() not in data and basic.encode() not in data, path
    assert token not in caplog.text and basic not in caplog.text
    assert all(token not in r.path + r.query for r in fake.requests)
    assert fake.violations == []
