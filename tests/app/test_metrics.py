"""GET /metrics: real RQ queues on the test Redis and real rows in both databases."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.server import create_app, receiver_redis
from app.settings import Settings
from app.storage.schema import Analysis, Delivery
from tests.webhooks.conftest import unused_port
from workers.queue import ANALYSES, MAINTENANCE

SECRET = "metrics-secret"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = receiver_redis(Settings(redis_url=redis_url))
    yield client
    client.close()


def scrape(client: FlaskClient) -> Samples:
    """Every sample of the page, by (name, sorted labels)."""
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.get_data(as_text=True))
            for s in family.samples}


def app_client(redis: Redis, engine: Engine, database_url: str) -> FlaskClient:
    settings = Settings(webhook_secret=SECRET, database_url=database_url)
    return create_app(settings, redis=redis, engine=engine).test_client()


def store_rows(engine: Engine) -> None:
    """Deliveries in four states (the pending one an hour old) and analyses in three."""
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with Session(engine) as session, session.begin():
        for number, status in enumerate(("queued", "queued", "pending", "ignored")):
            session.add(Delivery(delivery_id=f"d{number}", event="pull_request", status=status,
                                 body=b"{}", received_at=hour_ago if status == "pending" else
                                 datetime.now(UTC)))
        for number, (status, conclusion) in enumerate(
                (("completed", "success"), ("completed", "failure"), ("completed", "success"),
                 ("running", None))):
            session.add(Analysis(repository="octo/secret-name", head_sha=f"{number:040x}",
                                 config_hash="", status=status, conclusion=conclusion))


def test_the_page_counts_jobs_deliveries_and_analyses(redis: Redis, engine: Engine,
                                                      database_url: str) -> None:
    analyses = Queue(ANALYSES, connection=redis)
    failing = Queue(MAINTENANCE, connection=redis)
    failing.enqueue("builtins.int", "not a number")  # fails when worked
    SimpleWorker([failing], connection=redis).work(burst=True)
    first = analyses.enqueue("builtins.len", "abc")
    analyses.enqueue("builtins.len", "abcd")
    analyses.enqueue("builtins.len", "x", depends_on=first)  # deferred until first finishes
    analyses.enqueue_in(timedelta(hours=1), "builtins.len", "y")
    idle = Worker([analyses], connection=redis)
    idle.register_birth()  # type: ignore[no-untyped-call]
    store_rows(engine)
    try:
        samples = scrape(app_client(redis, engine, database_url))
    finally:
        idle.register_death()  # type: ignore[no-untyped-call]

    def jobs(queue: str, state: str) -> float:
        return samples[("diffrisk_queue_jobs", (("queue", queue), ("state", state)))]

    assert (jobs(ANALYSES, "queued"), jobs(ANALYSES, "deferred"),
            jobs(ANALYSES, "scheduled"), jobs(ANALYSES, "failed")) == (2, 1, 1, 0)
    assert (jobs(MAINTENANCE, "queued"), jobs(MAINTENANCE, "failed")) == (0, 1)
    assert samples[("diffrisk_workers", ())] == 1
    assert samples[("diffrisk_deliveries", (("status", "queued"),))] == 2
    assert samples[("diffrisk_deliveries", (("status", "pending"),))] == 1
    assert 3590 < samples[("diffrisk_oldest_waiting_delivery_age_seconds", ())] < 3700
    assert samples[("diffrisk_analyses", (("conclusion", "success"), ("status", "completed")))] == 2
    assert samples[("diffrisk_analyses", (("conclusion", ""), ("status", "running")))] == 1
    assert abs(samples[("diffrisk_last_analysis_update_timestamp_seconds", ())]
               - time.time()) < 120
    assert samples[("diffrisk_up", (("service", "redis"),))] == 1
    assert samples[("diffrisk_up", (("service", "database"),))] == 1


def test_the_page_names_no_repository(redis: Redis, engine: Engine, database_url: str) -> None:
    store_rows(engine)
    page = app_client(redis, engine, database_url).get("/metrics").get_data(as_text=True)
    assert "diffrisk_analyses" in page
    assert "secret-name" not in page and "octo" not in page


def test_an_empty_store_has_nothing_waiting(redis: Redis, engine: Engine,
                                            database_url: str) -> None:
    samples = scrape(app_client(redis, engine, database_url))
    assert samples[("diffrisk_oldest_waiting_delivery_age_seconds", ())] == 0
    assert ("diffrisk_last_analysis_update_timestamp_seconds", ()) not in samples
    assert samples[("diffrisk_queue_jobs", (("queue", ANALYSES), ("state", "queued")))] == 0


def test_redis_down_is_reported_and_the_database_still_counted(engine: Engine,
                                                               database_url: str) -> None:
    down = receiver_redis(Settings(redis_url=f"redis://127.0.0.1:{unused_port()}/15"))
    store_rows(engine)
    samples = scrape(app_client(down, engine, database_url))
    assert samples[("diffrisk_up", (("service", "redis"),))] == 0
    assert samples[("diffrisk_up", (("service", "database"),))] == 1
    assert samples[("diffrisk_deliveries", (("status", "queued"),))] == 2
    assert not any(name == "diffrisk_queue_jobs" for name, _ in samples)
    down.close()
