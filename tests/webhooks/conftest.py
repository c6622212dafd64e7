"""The receiver under test: a Flask test client on real Redis (db 15) and a real store."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app.server import create_app, receiver_redis
from app.settings import Settings
from app.storage.database import open_store
from app.storage.schema import Delivery

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "github" / "webhooks"
SECRET = "it's a secret to everybody"
Deliver = Callable[..., TestResponse]


def load(name: str) -> dict[str, Any]:
    """An official example payload (a fresh copy the test may change)."""
    payload: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return copy.deepcopy(payload)


def sign(body: bytes, secret: str = SECRET) -> str:
    """The X-Hub-Signature-256 GitHub would send for the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def unused_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def rows(engine: Engine) -> list[Delivery]:
    """All delivery rows, oldest first, bodies loaded."""
    with Session(engine, expire_on_commit=False) as session:
        found = list(session.scalars(select(Delivery).order_by(Delivery.id)))
        for row in found:
            _ = row.body
        return found


@pytest.fixture
def settings(redis_url: str, sqlite_url: str) -> Settings:
    """Settings of a receiver on the test Redis and a SQLite store."""
    return Settings(webhook_secret=SECRET, redis_url=redis_url, database_url=sqlite_url)


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """A migrated SQLite store."""
    store = open_store(sqlite_url)
    yield store
    store.dispose()


@pytest.fixture
def redis(settings: Settings) -> Iterator[Redis]:
    """The receiver's Redis client on the test db."""
    client = receiver_redis(settings)
    yield client
    client.close()


@pytest.fixture
def dead_redis(settings: Settings) -> Iterator[Redis]:
    """A receiver's Redis client pointed at a port nothing listens on: Redis is down."""
    down = Settings(redis_url=f"redis://127.0.0.1:{unused_port()}/15")
    client = receiver_redis(down)
    yield client
    client.close()


@pytest.fixture
def app(settings: Settings, redis: Redis, engine: Engine) -> Flask:
    """The receiver with Redis up."""
    return create_app(settings, redis=redis, engine=engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the receiver with Redis up."""
    return app.test_client()


def deliverer(client: FlaskClient) -> Deliver:
    """A function sending one signed delivery through the client."""
    def deliver(event: str, payload: dict[str, Any] | bytes, delivery_id: str | None = None,
                signature: str | None = None, **headers: str) -> TestResponse:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        sent = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
                "X-Hub-Signature-256": sign(body) if signature is None else signature,
                "Content-Type": "application/json", **headers}
        return client.post("/webhooks/github", data=body,
                           headers={k: v for k, v in sent.items() if v != ""})
    return deliver


@pytest.fixture
def deliver(client: FlaskClient) -> Deliver:
    """Send a signed delivery to the receiver with Redis up."""
    return deliverer(client)
