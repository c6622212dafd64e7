"""The App's workers under test: a fake GitHub that checks App JWTs and installation tokens, a
test RSA key, a history repository whose models are learned once per session (each test gets a
copy of that data directory), and the worker's environment pointing at all of it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.analysis.run import AnalyzeRequest, analyze
from app.settings import Settings
from tests.app.test_action_run import patches
from tests.fakegithub import FakeGitHub
from tests.fakegithub_auth import AppAuth
from tests.gitbuild import RepoBuilder
from tests.history_repo import build_long_history
from workers import context
from workers.mirror import sync_mirror

APP_ID = "4242"
INSTALLATION = 77
REPOSITORY = "octo/demo"
NUMBER = 7


@dataclass(frozen=True)
class AppKey:
    """The test App's RSA key pair (PEM)."""

    private: str
    public: str


@dataclass(frozen=True)
class History:
    """A learned-from repository: main, a pull request branch with two heads, the warm store."""

    builder: RepoBuilder
    base: str
    head: str
    newer: str
    data: Path  # a data directory whose store has mined and trained on main


@pytest.fixture(scope="session")
def app_key() -> AppKey:
    """A fresh 2048-bit RSA key for the test App."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return AppKey(private, public.decode())


def template_settings(data: Path) -> Settings:
    """Settings of a data directory with its own SQLite store and local clone URLs."""
    return Settings(data_dir=data, database_url=f"sqlite:///{data / 'diffrisk.db'}",
                    allow_local_clone_urls=True)


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    """The long history on main, a pull request adding a module, a second push to it."""
    builder = RepoBuilder(tmp_path_factory.mktemp("history") / "repo")
    base = build_long_history(builder, commits=220)
    builder.checkout("-b", "feature")
    mod3 = (builder.path / "pkg/mod3.py").read_text()
    builder.write("pkg/mod3.py", mod3 + "\n\ndef div(a, b):\n    if b == 0:\n        return 0\n"
                                        "    return a / b\n")
    builder.write("pkg/report.py", "from pkg import mod3\n\n\ndef show(a, b):\n"
                                   "    return mod3.div(a, b)\n")
    head = builder.commit("Add div and a report", author=("Eve", "eve@example.com"))
    builder.write("pkg/report.py", "from pkg import mod3\n\n\ndef show(a, b):\n"
                                   "    return mod3.div(a, b) or 0\n")
    newer = builder.commit("Guard the report", author=("Eve", "eve@example.com"))
    builder.checkout("main")
    data = tmp_path_factory.mktemp("warm") / "data"
    settings = template_settings(data)
    mirror = sync_mirror(settings, INSTALLATION, REPOSITORY, str(builder.path), None)
    analyze(settings, AnalyzeRequest(mirror, base, head, REPOSITORY, gate_ref="main"))
    return History(builder, base, head, newer, data)


@pytest.fixture
def data_dir(history: History, tmp_path: Path) -> Path:
    """A copy of the warm data directory (store and mirror) for this test alone."""
    data = tmp_path / "data"
    shutil.copytree(history.data, data)
    return data


@pytest.fixture
def fake(app_key: AppKey) -> Iterator[FakeGitHub]:
    """A running fake GitHub that authenticates like GitHub does for the test App."""
    with FakeGitHub() as server:
        server.auth = AppAuth(APP_ID, app_key.public)
        yield server


@pytest.fixture
def worker_env(monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub, app_key: AppKey,
               data_dir: Path, redis_url: str) -> Iterator[dict[str, str]]:
    """The environment a worker process reads its settings from, installed for this test."""
    environ = {"DIFFRISK_APP_ID": APP_ID, "DIFFRISK_PRIVATE_KEY": app_key.private,
               "DIFFRISK_GITHUB_API_URL": fake.base_url, "DIFFRISK_DATA_DIR": str(data_dir),
               "DIFFRISK_DATABASE_URL": f"sqlite:///{data_dir / 'diffrisk.db'}",
               "DIFFRISK_REDIS_URL": redis_url, "DIFFRISK_ALLOW_LOCAL_CLONE_URLS": "true",
               "DIFFRISK_WRITE_INTERVAL_SECONDS": "0"}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    context.reset()
    yield environ
    context.reset()


def open_pull(fake: FakeGitHub, history: History, head: str) -> None:
    """Register the pull request at head with GitHub's diff entries of base..head."""
    fake.add_pull(REPOSITORY, NUMBER, head, history.base,
                  patches(history.builder, history.base, head))


def job_arguments(history: History, head: str, **changes: Any) -> dict[str, Any]:
    """The keyword arguments the receiver enqueues analyze_pull_request with."""
    return {"installation_id": INSTALLATION, "repository": REPOSITORY,
            "clone_url": str(history.builder.path), "number": NUMBER, "head_sha": head,
            "base_sha": history.base, "default_branch": "main", **changes}
