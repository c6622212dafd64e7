"""The GitHub App's web server: create_app(settings) builds the Flask app; nothing runs at import.

Routes: POST /webhooks/github (the receiver), GET /reports/OWNER/NAME/SHA?sig=… (an
analysis's HTML report, the check run's details page), GET /metrics (queues, deliveries and
analyses in Prometheus' format), GET /healthz (Redis and database reachability), GET or POST
/ping (a bare "ok" that does no work: the benchmark's baseline).
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.github_auth import require_webhook_secret
from app.metrics import init_metrics
from app.report_page import ReportState, init_report_page
from app.settings import Settings, SettingsError
from app.storage.database import open_store
from webhooks.blueprint import WebhookState, init_webhooks, webhook_state

REDIS_TIMEOUT_SECONDS = 0.5  # a down Redis must not hold a delivery: it goes pending instead


def receiver_redis(settings: Settings) -> Redis:
    """A Redis client with short timeouts and one retry, for the request path."""
    if not settings.redis_url:
        raise SettingsError("DIFFRISK_REDIS_URL (or REDIS_URL) is not set: point it at the Redis "
                            "the workers use, e.g. redis://127.0.0.1:6379/0")
    try:
        return Redis.from_url(settings.redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                              socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                              retry=Retry(NoBackoff(), 1))
    except ValueError as error:
        raise SettingsError(f"DIFFRISK_REDIS_URL is not a Redis URL ({error}): use "
                            "redis://host:port/db") from None


def create_app(settings: Settings, redis: Redis | None = None,
               engine: Engine | None = None) -> Flask:
    """The web app receiving GitHub's webhooks; a missing setting raises SettingsError."""
    secret = require_webhook_secret(settings)
    redis = redis if redis is not None else receiver_redis(settings)
    engine = engine if engine is not None else open_store(settings.store_url)
    app = Flask(__name__)
    # One byte over: reading limit + 1 bytes of a stream tells an oversize body from a full one.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_webhook_bytes + 1
    init_webhooks(app, WebhookState(secret, settings.max_webhook_bytes, redis, engine))
    init_report_page(app, ReportState(settings.webhook_secret, engine))
    init_metrics(app, redis, engine)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/ping", "ping", ping, methods=["GET", "POST"])
    return app


def healthz() -> ResponseReturnValue:
    """Whether Redis and the database answer; 503 when the database (needed to accept) does not."""
    state = webhook_state(current_app)
    redis_ok = _redis_answers(state.redis)
    database_ok = _database_answers(state.engine)
    return jsonify({"ok": database_ok, "redis": redis_ok, "database": database_ok}), (
        200 if database_ok else 503)


def ping() -> ResponseReturnValue:
    """A bare 200 doing no work (benchmarks compare deliveries against it)."""
    return "ok", 200, {"Content-Type": "text/plain"}


def _redis_answers(redis: Redis) -> bool:
    try:
        return bool(redis.ping())
    except RedisError:
        return False


def _database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
