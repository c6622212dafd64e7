"""create_app: what it checks at creation, /healthz and /ping."""

from __future__ import annotations

import dataclasses

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine, inspect

from app.server import create_app
from app.settings import Settings, SettingsError
from app.storage.database import create_store_engine
from tests.webhooks.conftest import SECRET, deliverer, load, unused_port
from webhooks.blueprint import webhook_state


def test_without_a_webhook_secret_the_app_is_not_created(settings: Settings) -> None:
    with pytest.raises(SettingsError, match="DIFFRISK_WEBHOOK_SECRET is not set: use the secret"):
        create_app(dataclasses.replace(settings, webhook_secret=""))


@pytest.mark.parametrize(("redis_url", "message"), [
    ("", "DIFFRISK_REDIS_URL \\(or REDIS_URL\\) is not set"),
    ("http://127.0.0.1:6379", "is not a Redis URL"),
])
def test_without_a_usable_redis_url_the_app_is_not_created(
        settings: Settings, redis_url: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        create_app(dataclasses.replace(settings, redis_url=redis_url))


def test_the_app_opens_and_migrates_the_store_from_the_settings(settings: Settings) -> None:
    app = create_app(settings)
    assert app.config["MAX_CONTENT_LENGTH"] == settings.max_webhook_bytes + 1
    engine = webhook_state(app).engine
    assert "deliveries" in inspect(engine).get_table_names()
    answer = deliverer(app.test_client())("pull_request", load("pull_request.opened"))
    assert answer.status_code == 202
    assert SECRET not in repr(settings)


def test_healthz_reports_redis_and_the_database(client: FlaskClient) -> None:
    answer = client.get("/healthz")
    assert (answer.status_code, answer.get_json()) == (
        200, {"ok": True, "redis": True, "database": True})


def test_healthz_with_redis_down_is_still_ok_deliveries_go_pending(
        settings: Settings, dead_redis: Redis, engine: Engine) -> None:
    answer = create_app(settings, redis=dead_redis, engine=engine).test_client().get("/healthz")
    assert (answer.status_code, answer.get_json()) == (
        200, {"ok": True, "redis": False, "database": True})


def test_ping_is_a_bare_ok(client: FlaskClient) -> None:
    answer = client.get("/ping")
    assert (answer.status_code, answer.data, answer.mimetype) == (200, b"ok", "text/plain")


def test_healthz_without_the_database_is_503(settings: Settings, redis: Redis) -> None:
    broken = create_store_engine(f"postgresql://postgres@127.0.0.1:{unused_port()}/none")
    answer = create_app(settings, redis=redis, engine=broken).test_client().get("/healthz")
    assert (answer.status_code, answer.get_json()) == (
        503, {"ok": False, "redis": True, "database": False})
