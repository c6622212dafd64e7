"""Dedupe, persist-before-enqueue, pending and replay, superseding — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from app.server import create_app
from app.settings import Settings
from app.storage.database import create_store_engine, open_store
from app.storage.schema import Delivery
from tests.webhooks.conftest import Deliver, deliverer, load, rows, unused_port
from webhooks.intake import ORPHAN_SECONDS, dedupe_key, replay_pending
from webhooks.supersede import head_key
from workers.queue import ANALYSES, job_key

REPO = "Codertocat/Hello-World"
OLD, NEW = "1" * 40, "2" * 40


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated store, once on SQLite and once on PostgreSQL."""
    store = open_store(database_url)
    yield store
    store.dispose()


@pytest.fixture
def down(settings: Settings, dead_redis: Redis, engine: Engine) -> Deliver:
    """Send deliveries to a receiver whose Redis is down."""
    return deliverer(create_app(settings, redis=dead_redis, engine=engine).test_client())


def pull(action: str = "synchronize", head: str = NEW, draft: bool = False) -> dict[str, Any]:
    """A pull request #2 event with this head."""
    payload = load(f"pull_request.{action}")
    payload["pull_request"]["head"]["sha"] = head
    payload["pull_request"]["draft"] = draft
    return payload


def analyses(redis: Redis) -> list[Job]:
    return Queue(ANALYSES, connection=redis).jobs


def take_all(redis: Redis) -> None:
    """Run the queued analyses away: the worker took them, they finished and expired."""
    for job in Queue(ANALYSES, connection=redis).jobs:
        job.delete()


def status(redis: Redis, head: str) -> JobStatus:
    return Job.fetch(job_key("analyze", REPO, head), connection=redis).get_status()


def test_a_redelivery_is_a_duplicate_and_not_enqueued_twice(deliver: Deliver, redis: Redis,
                                                            engine: Engine) -> None:
    first = deliver("pull_request", pull(), delivery_id="same")
    take_all(redis)
    again = deliver("pull_request", pull(), delivery_id="same")
    assert first.status_code == 202
    assert (again.status_code, again.get_json()) == (200, {"duplicate": True})
    assert analyses(redis) == [] and len(rows(engine)) == 1


def test_the_table_catches_duplicates_the_redis_key_missed(deliver: Deliver, redis: Redis,
                                                           engine: Engine) -> None:
    deliver("pull_request", pull(), delivery_id="same")
    redis.delete(dedupe_key("same"))
    take_all(redis)
    assert deliver("pull_request", pull(), delivery_id="same").get_json() == {"duplicate": True}
    assert analyses(redis) == [] and len(rows(engine)) == 1


def test_with_redis_down_the_delivery_is_kept_pending_and_duplicates_caught_by_the_table(
        down: Deliver, redis: Redis, engine: Engine) -> None:
    first = down("pull_request", pull(), delivery_id="while-down")
    again = down("pull_request", pull(), delivery_id="while-down")
    assert (first.status_code, first.get_json()) == (202, {"pending": True})
    assert (again.status_code, again.get_json()) == (200, {"duplicate": True})
    [row] = rows(engine)
    assert (row.status, row.jobs) == ("pending", [])
    assert analyses(redis) == []


def test_pending_deliveries_are_replayed_once_redis_is_back(
        down: Deliver, redis: Redis, dead_redis: Redis, engine: Engine) -> None:
    down("pull_request", pull(), delivery_id="while-down")
    assert replay_pending(engine, dead_redis) == 0
    assert rows(engine)[0].status == "pending"
    assert replay_pending(engine, redis) == 1
    [job] = analyses(redis)
    assert job.kwargs["head_sha"] == NEW
    [row] = rows(engine)
    assert (row.status, row.jobs, row.error) == ("queued", [job.id], None)
    assert replay_pending(engine, redis) == 0
    assert len(analyses(redis)) == 1


def test_replay_goes_oldest_first_so_the_newest_head_wins(
        down: Deliver, redis: Redis, engine: Engine) -> None:
    down("pull_request", pull("opened", OLD), delivery_id="older")
    down("pull_request", pull("synchronize", NEW), delivery_id="newer")
    assert replay_pending(engine, redis) == 2
    assert [job.kwargs["head_sha"] for job in analyses(redis)] == [NEW]
    assert status(redis, OLD) == JobStatus.CANCELED
    assert redis.get(head_key(REPO, 2)) == NEW.encode()


def test_a_late_replay_does_not_displace_a_newer_head(
        down: Deliver, deliver: Deliver, redis: Redis, engine: Engine) -> None:
    down("pull_request", pull("opened", OLD), delivery_id="older")
    deliver("pull_request", pull("synchronize", NEW), delivery_id="newer")
    assert replay_pending(engine, redis) == 1
    assert status(redis, NEW) == JobStatus.QUEUED
    assert redis.get(head_key(REPO, 2)) == NEW.encode()


def test_a_row_left_received_by_a_dead_request_is_replayed_after_a_while(
        deliver: Deliver, redis: Redis, engine: Engine) -> None:
    deliver("pull_request", pull(), delivery_id="orphan")
    take_all(redis)
    with Session(engine) as session:
        session.execute(update(Delivery).values(status="received", jobs=[]))
        session.commit()
    now = datetime.now(UTC)
    assert replay_pending(engine, redis, now) == 0
    later = now + timedelta(seconds=ORPHAN_SECONDS + 1)
    assert replay_pending(engine, redis, later) == 1
    assert rows(engine)[0].status == "queued" and len(analyses(redis)) == 1


def test_a_newer_head_cancels_the_queued_analysis_of_the_older(
        deliver: Deliver, redis: Redis) -> None:
    deliver("pull_request", pull("opened", OLD))
    deliver("pull_request", pull("synchronize", NEW))
    assert [job.kwargs["head_sha"] for job in analyses(redis)] == [NEW]
    assert status(redis, OLD) == JobStatus.CANCELED
    assert redis.get(head_key(REPO, 2)) == NEW.encode()


def test_a_running_older_analysis_is_left_to_the_worker(deliver: Deliver, redis: Redis) -> None:
    deliver("pull_request", pull("opened", OLD))
    older = Job.fetch(job_key("analyze", REPO, OLD), connection=redis)
    Queue(ANALYSES, connection=redis).remove(older)
    older.set_status(JobStatus.STARTED)
    deliver("pull_request", pull("synchronize", NEW))
    assert status(redis, OLD) == JobStatus.STARTED


def test_ready_for_review_replaces_a_queued_draft_analysis_of_the_same_head(
        deliver: Deliver, redis: Redis) -> None:
    deliver("pull_request", pull("opened", NEW, draft=True))
    deliver("pull_request", pull("ready_for_review", NEW))
    [job] = analyses(redis)
    assert job.kwargs["draft"] is False


def test_the_same_head_twice_is_one_job(deliver: Deliver, redis: Redis) -> None:
    deliver("pull_request", pull("opened", NEW))
    deliver("pull_request", pull("reopened", NEW))
    assert len(analyses(redis)) == 1 and status(redis, NEW) == JobStatus.QUEUED


def test_a_store_that_cannot_be_written_is_503_and_the_delivery_can_come_again(
        settings: Settings, redis: Redis) -> None:
    broken = create_store_engine(f"postgresql://postgres@127.0.0.1:{unused_port()}/none")
    client: FlaskClient = create_app(settings, redis=redis, engine=broken).test_client()
    answer = deliverer(client)("pull_request", pull(), delivery_id="unstored")
    assert answer.status_code == 503 and "redelivered" in answer.get_json()["error"]
    assert redis.get(dedupe_key("unstored")) is None
    assert analyses(redis) == []
