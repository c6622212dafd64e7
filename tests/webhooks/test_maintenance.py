"""Maintenance rounds: replay, sweep through the fake GitHub as the App, prune; one process a
round."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from redis import Redis
from rq import Queue
from sqlalchemy import Engine

from app.github_auth import AppCredentials, load_app_credentials
from app.server import create_app
from app.settings import Settings
from tests.fakegithub import FakeGitHub
from tests.webhooks.conftest import Deliver, deliverer, load, rows
from webhooks.maintenance import LOCK_KEY, maintenance_loop, run_maintenance_once, take_round
from workers.queue import ANALYSES


@pytest.fixture(scope="module")
def pem() -> str:
    """A fresh RSA key standing in for the App's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    """A running fake GitHub."""
    with FakeGitHub() as server:
        yield server
        assert server.violations == [] and server.response_violations == []


@pytest.fixture
def down(settings: Settings, dead_redis: Redis, engine: Engine) -> Deliver:
    """Send deliveries to a receiver whose Redis is down."""
    return deliverer(create_app(settings, redis=dead_redis, engine=engine).test_client())


class OneRound(threading.Event):
    """A stop event that stops the loop after its first wait, so a test needs no timing."""

    def wait(self, timeout: float | None = None) -> bool:
        self.set()
        return True


def listed(guid: str, code: int, number: int) -> dict[str, object]:
    when = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"id": number, "guid": guid, "delivered_at": when, "redelivery": False,
            "duration": 0.2, "status": "Invalid HTTP Response: 503", "status_code": code,
            "event": "pull_request", "action": "opened", "installation_id": 1,
            "repository_id": 186853002}


def test_a_round_replays_sweeps_as_the_app_and_prunes(
        settings: Settings, engine: Engine, redis: Redis, down: Deliver, deliver: Deliver,
        fake: FakeGitHub, pem: str) -> None:
    down("pull_request", load("pull_request.opened"), delivery_id="pending")
    fake.deliveries.extend([listed("lost", 503, 31), listed("pending", 503, 32)])
    app = dataclasses.replace(settings, app_id="4242", private_key=pem,
                              github_api_url=fake.base_url)
    report = run_maintenance_once(app, engine, redis, load_app_credentials(app))
    assert report == {"replayed": 1, "redelivered": [31], "pruned": 0, "swept": True}
    assert fake.redeliveries == [31]
    assert [r.path for r in fake.requests] == ["/app/hook/deliveries",
                                               "/app/hook/deliveries/31/attempts"]
    assert all(r.authorization and r.authorization.startswith("Bearer ")
               for r in fake.requests)
    later = datetime.now(UTC) + timedelta(days=8)
    assert run_maintenance_once(app, engine, redis, None, later)["pruned"] == 1
    assert rows(engine) == []


def test_without_credentials_or_redis_a_round_still_runs_what_it_can(
        settings: Settings, engine: Engine, dead_redis: Redis, down: Deliver) -> None:
    down("pull_request", load("pull_request.opened"), delivery_id="pending")
    report = run_maintenance_once(settings, engine, dead_redis, None, time.time())
    assert report == {"replayed": 0, "redelivered": [], "pruned": 0, "swept": False}
    assert rows(engine)[0].status == "pending"


def test_one_process_a_round_does_the_work(settings: Settings, engine: Engine, redis: Redis,
                                           down: Deliver) -> None:
    down("pull_request", load("pull_request.opened"), delivery_id="pending")
    redis.set(LOCK_KEY, "another process", ex=60)
    maintenance_loop(settings, engine, redis, None, 60, OneRound())
    assert rows(engine)[0].status == "pending"
    redis.delete(LOCK_KEY)
    maintenance_loop(settings, engine, redis, None, 60, OneRound())
    assert rows(engine)[0].status == "queued" and Queue(ANALYSES, connection=redis).count == 1
    assert 0 < int(redis.ttl(LOCK_KEY)) <= 60
    assert take_round(redis, 60) is False


def test_a_failing_round_is_logged_and_the_loop_goes_on(
        settings: Settings, engine: Engine, redis: Redis, fake: FakeGitHub, pem: str,
        caplog: pytest.LogCaptureFixture) -> None:
    fake.fail_next("GET", "/app/hook/deliveries", 404)
    app = dataclasses.replace(settings, app_id="4242", private_key=pem,
                              github_api_url=fake.base_url)
    credentials: AppCredentials = load_app_credentials(app)
    maintenance_loop(app, engine, redis, credentials, 60, OneRound())
    assert "maintenance round failed: GitHub answered" in caplog.text
    assert pem.splitlines()[1] not in caplog.text


def test_with_redis_down_the_loop_skips_the_round(settings: Settings, engine: Engine,
                                                  dead_redis: Redis) -> None:
    assert take_round(dead_redis, 60) is False
    maintenance_loop(settings, engine, dead_redis, None, 60, OneRound())
