"""The GitHub App end to end, every part in its own process: a signed official
pull_request.opened payload (rewritten to point at a test repository) posted to `diffrisk serve`,
picked up by `diffrisk worker`, reported to the fake GitHub as a check run (in_progress, then
completed with annotations) and a review. Redis is then stopped: a synchronize delivery sent
meanwhile is kept in PostgreSQL, replayed once Redis is back, and updates the earlier review
comments instead of duplicating them."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import create_engine, select

from app.storage.schema import Delivery
from tests.app.test_action_run import patches
from tests.app_processes import AppProcess, RedisServer, free_port, post_delivery, wait_until
from tests.fakegithub import FakeGitHub
from tests.gitbuild import RepoBuilder
from tests.history_repo import pull_request_on_history

WEBHOOKS = Path(__file__).parent / "fixtures/github/webhooks"
SECRET = "e2e-webhook-secret"
REPOSITORY = "Codertocat/Hello-World"
ANALYSIS_TIMEOUT = 420.0


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    """The App's private key for this test."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_of(key: rsa.RSAPrivateKey) -> str:
    """The key as PEM text."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def pull_request_payload(action: str, builder: RepoBuilder, base: str, head: str) -> Any:
    """The official example of the action, moved onto the test repository and commits."""
    payload = json.loads((WEBHOOKS / f"pull_request.{action}.json").read_text())
    payload = copy.deepcopy(payload)
    payload["repository"].update(clone_url=str(builder.path), default_branch="main")
    payload["pull_request"]["base"].update(sha=base, ref="main")
    payload["pull_request"]["head"].update(sha=head)
    payload["pull_request"]["draft"] = False
    if action == "synchronize":
        payload.update(before=base, after=head)
    return payload


@pytest.fixture
def history(builder: RepoBuilder) -> tuple[str, str]:
    """A history to learn from on main and a pull request branch on top."""
    return pull_request_on_history(builder)


@pytest.fixture
def stack(tmp_path: Path, postgres_url: str, app_key: rsa.RSAPrivateKey
          ) -> Iterator[dict[str, Any]]:
    """Fake GitHub, our own Redis, `diffrisk serve` and `diffrisk worker`, all running."""
    redis_server = RedisServer(tmp_path / "redis").start()
    with FakeGitHub() as fake:
        fake.app_public_key = app_key.public_key()
        port = free_port()
        environ = {**os.environ, "DATABASE_URL": postgres_url, "REDIS_URL": redis_server.url,
                   "DIFFRISK_DATA_DIR": str(tmp_path / "data"), "DIFFRISK_APP_ID": "1",
                   "DIFFRISK_PRIVATE_KEY": pem_of(app_key), "DIFFRISK_WEBHOOK_SECRET": SECRET,
                   "DIFFRISK_GITHUB_API_URL": fake.base_url,
                   "DIFFRISK_ALLOW_LOCAL_CLONE_URLS": "true"}
        server = AppProcess(["serve", "--port", str(port), "--workers", "1",
                             "--maintenance-interval", "1"], environ, tmp_path / "serve.log")
        worker = AppProcess(["worker"], environ, tmp_path / "worker.log")
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: _healthy(url), 60, "diffrisk serve to answer")
            yield {"fake": fake, "redis": redis_server, "url": f"{url}/webhooks/github",
                   "server": server, "worker": worker, "database": postgres_url}
        finally:
            server.stop()
            worker.stop()
            redis_server.stop()
            print(server.output()[-4000:], worker.output()[-8000:])  # shown when a test fails


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/ping", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def completed_run(fake: FakeGitHub, head: str) -> dict[str, Any] | None:
    """The completed check run on head, if there is one yet."""
    return next((run for run in fake.check_runs.values()
                 if run["head_sha"] == head and run["status"] == "completed"), None)


def jobs_done(worker: AppProcess) -> int:
    """How many jobs the worker has finished."""
    return worker.output().count("Job OK")


def delivery_status(database: str, delivery: str) -> str | None:
    """What the store says about a delivery."""
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(Delivery.status).where(Delivery.delivery_id == delivery))
    finally:
        engine.dispose()


def test_a_pull_request_is_checked_reviewed_and_updated_across_a_redis_outage(
        builder: RepoBuilder, history: tuple[str, str], stack: dict[str, Any]) -> None:
    fake: FakeGitHub = stack["fake"]
    base, head = history
    opened = pull_request_payload("opened", builder, base, head)
    number = opened["number"]
    fake.add_pull(REPOSITORY, number, head, base, patches(builder, base, head))

    answer = post_delivery(stack["url"], "pull_request", opened, SECRET)
    assert answer.status_code == 202, answer.text
    wait_until(lambda: jobs_done(stack["worker"]) == 1, ANALYSIS_TIMEOUT, "the first analysis")
    run = completed_run(fake, head)
    assert run is not None
    creates = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/check-runs")]
    assert creates[0].body["status"] == "in_progress" and creates[0].body["head_sha"] == head
    assert run["conclusion"] in ("success", "failure", "neutral")
    assert fake.annotations.get(run["id"]), "the completed run carries annotations"
    first_comments = {c["id"] for c in fake.comments.values()}
    assert first_comments and len(fake.reviews[(REPOSITORY, number)]) == 1

    stack["redis"].stop()
    builder.write("pkg/report.py", "from pkg import mod3\n\n\ndef show(a, b):\n"
                                   "    return mod3.div(a, b) or 0\n")
    newer = builder.commit("Guard the report", author=("Eve", "eve@example.com"))
    fake.add_pull(REPOSITORY, number, newer, base, patches(builder, base, newer))
    delivery = "e2e-synchronize-during-outage"
    answer = post_delivery(stack["url"], "pull_request",
                           pull_request_payload("synchronize", builder, base, newer), SECRET,
                           delivery)
    assert answer.status_code == 202 and answer.json().get("pending") is True, answer.text
    assert delivery_status(stack["database"], delivery) == "pending"

    stack["redis"].start()
    wait_until(lambda: jobs_done(stack["worker"]) == 2, ANALYSIS_TIMEOUT, "the push's analysis")
    assert completed_run(fake, newer) is not None
    assert delivery_status(stack["database"], delivery) != "pending"
    assert {c["id"] for c in fake.comments.values()} == first_comments  # updated, not added
    assert fake.violations == [] and fake.response_violations == []
    assert all(run["status"] == "completed" for run in fake.check_runs.values())
    assert len(fake.tokens) == 1, "the worker reuses its installation token across jobs"
    token_seen = [t for t in fake.tokens if t in stack["worker"].output()
                  or t in stack["server"].output()]
    assert token_seen == [], "no installation token is ever logged"
