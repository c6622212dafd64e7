"""Accepting a verified delivery: dedupe, persist, enqueue — or keep it pending and replay it.

A delivery is committed to the deliveries table before any job is enqueued; when Redis cannot
be reached it stays there as pending and replay_pending enqueues it later, so none is lost.
Duplicates (GitHub redelivers with the same X-GitHub-Delivery) are caught by a Redis key and,
when Redis is down, by the table's unique delivery_id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.storage.schema import Delivery
from webhooks.payload import PayloadError
from webhooks.routes import ANALYZE, Routing, route
from webhooks.supersede import cancel_if_queued, record_head
from workers.queue import JobSpec, enqueue_job, live_job

DEDUPE_SECONDS = 3 * 86_400  # GitHub redelivers within 3 days
ORPHAN_SECONDS = 120  # a row still "received" this long after its request died is replayed
KEEP_DAYS = 7  # queued and ignored rows older than this are pruned
REPLAY_BATCH = 500


@dataclass(frozen=True)
class Received:
    """A delivery whose signature checked out, parsed."""

    delivery_id: str
    event: str
    action: str
    body: bytes
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What became of a delivery: queued, pending, ignored or duplicate."""

    status: str
    jobs: tuple[str, ...] = ()
    reason: str = ""


def dedupe_key(delivery_id: str) -> str:
    """The Redis key marking a delivery as seen."""
    return f"diffrisk:delivery:{delivery_id}"


def accept(engine: Engine, redis: Redis, received: Received, routing: Routing,
           now: datetime | None = None) -> Outcome:
    """Dedupe, persist, then enqueue the routed jobs (pending when Redis is unreachable)."""
    now = now or datetime.now(UTC)
    redis_up = _claim(redis, received.delivery_id)
    if redis_up is False:
        return Outcome("duplicate")
    status = "ignored" if routing.ignored else "received" if redis_up else "pending"
    try:
        row_id = _insert(engine, received, status, routing.ignored, now)
    except Exception:
        if redis_up:
            _release(redis, received.delivery_id)
        raise
    if row_id is None:
        return Outcome("duplicate")
    if status != "received":
        return Outcome(status, reason=routing.ignored)
    return _enqueue_row(engine, redis, row_id, routing.jobs, now)


def _claim(redis: Redis, delivery_id: str) -> bool | None:
    """True when first seen, False for a duplicate, None when Redis is unreachable."""
    try:
        return bool(redis.set(dedupe_key(delivery_id), 1, nx=True, ex=DEDUPE_SECONDS))
    except RedisError:
        return None


def _release(redis: Redis, delivery_id: str) -> None:
    """Forget the dedupe key of a delivery that could not be stored (GitHub will retry it)."""
    try:
        redis.delete(dedupe_key(delivery_id))
    except RedisError:
        return


def _insert(engine: Engine, received: Received, status: str, reason: str,
            now: datetime) -> int | None:
    """The new row's id, or None when the delivery id is stored already."""
    installation = received.payload.get("installation")
    installation_id = installation.get("id") if isinstance(installation, Mapping) else None
    row = Delivery(delivery_id=received.delivery_id, event=received.event,
                   action=received.action, status=status, jobs=[],
                   installation_id=installation_id if _storable(installation_id) else None,
                   body=b"" if status == "ignored" else received.body,
                   error=reason or None, received_at=now, updated_at=now)
    with Session(engine) as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            return None
        return row.id


def _storable(installation_id: object) -> bool:
    """Whether an (unvalidated) installation id fits the BIGINT column."""
    return (isinstance(installation_id, int) and not isinstance(installation_id, bool)
            and 0 < installation_id < 2**63)


def _enqueue_row(engine: Engine, redis: Redis, row_id: int, jobs: tuple[JobSpec, ...],
                 received_at: datetime) -> Outcome:
    """Enqueue a stored delivery's jobs and record the outcome on its row."""
    try:
        ids = tuple(enqueue(redis, spec, received_at.timestamp()) for spec in jobs)
    except RedisError as error:
        _set_status(engine, row_id, "pending", error=type(error).__name__)
        return Outcome("pending")
    _set_status(engine, row_id, "queued", jobs=list(ids))
    return Outcome("queued", ids)


def enqueue(redis: Redis, spec: JobSpec, stamp: float) -> str:
    """Enqueue one job; an analysis of a newer head cancels the pull request's queued older one."""
    superseded = None
    if spec.function == ANALYZE and spec.kwargs.get("number") is not None:
        superseded = record_head(redis, spec, stamp)
    existing = live_job(redis, spec.job_id)
    if existing is not None and existing.kwargs != dict(spec.kwargs):
        cancel_if_queued(redis, spec.job_id)  # e.g. a queued draft analysis, now ready
    job = enqueue_job(redis, spec)
    if superseded:
        cancel_if_queued(redis, superseded)
    return job.id


def _set_status(engine: Engine, row_id: int, status: str, jobs: list[str] | None = None,
                error: str | None = None) -> None:
    values: dict[str, Any] = {"status": status, "error": error,
                              "updated_at": datetime.now(UTC)}
    if jobs is not None:
        values["jobs"] = jobs
    with Session(engine) as session:
        session.execute(update(Delivery).where(Delivery.id == row_id).values(**values))
        session.commit()


def replay_pending(engine: Engine, redis: Redis, now: datetime | None = None) -> int:
    """Route and enqueue pending (and orphaned) deliveries oldest first; how many were queued."""
    now = now or datetime.now(UTC)
    queued = 0
    for row_id in _replayable(engine, now):
        claimed = _claim_row(engine, row_id, now)
        if claimed is None:
            continue
        outcome = _replay_row(engine, redis, claimed)
        if outcome.status == "pending":
            break  # Redis is down again: the rest wait for the next round
        queued += outcome.status == "queued"
    return queued


def _orphaned(now: datetime) -> Any:
    """Rows waiting for Redis, or left "received" by a request that died before enqueueing."""
    cutoff = now - timedelta(seconds=ORPHAN_SECONDS)
    return or_(Delivery.status == "pending",
               (Delivery.status == "received") & (Delivery.updated_at < cutoff))


def _replayable(engine: Engine, now: datetime) -> list[int]:
    query = (select(Delivery.id).where(_orphaned(now))
             .order_by(Delivery.received_at, Delivery.id).limit(REPLAY_BATCH))
    with Session(engine) as session:
        return list(session.scalars(query))


def _claim_row(engine: Engine, row_id: int, now: datetime) -> Delivery | None:
    """Mark the row as being replayed by this process; None when another got it first."""
    with Session(engine, expire_on_commit=False) as session:
        claimed = session.execute(
            update(Delivery).where(Delivery.id == row_id, _orphaned(now))
            .values(status="received", updated_at=now)).rowcount  # type: ignore[attr-defined]
        session.commit()
        if not claimed:
            return None
        row = session.get(Delivery, row_id)
        if row is not None:
            _ = row.body  # deferred: load it while the session is open
        return row


def _replay_row(engine: Engine, redis: Redis, row: Delivery) -> Outcome:
    try:
        payload = json.loads(row.body)
        if not isinstance(payload, dict):
            raise PayloadError("the body is not a JSON object")
        routing = route(row.event, row.action, payload, row.delivery_id)
    except (ValueError, PayloadError) as error:
        routing = Routing(ignored=f"cannot replay: {str(error)[:200]}")
    if routing.ignored:
        _set_status(engine, row.id, "ignored", error=routing.ignored)
        return Outcome("ignored", reason=routing.ignored)
    received_at = row.received_at
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)  # SQLite keeps UTC without its zone
    return _enqueue_row(engine, redis, row.id, routing.jobs, received_at)


def prune_deliveries(engine: Engine, now: datetime, keep_days: int = KEEP_DAYS) -> int:
    """Delete queued and ignored deliveries older than keep_days; how many went."""
    cutoff = now - timedelta(days=keep_days)
    with Session(engine) as session:
        result = session.execute(delete(Delivery).where(
            Delivery.status.in_(("queued", "ignored")), Delivery.received_at < cutoff))
        session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]


def stored_delivery_ids(engine: Engine, guids: list[str]) -> set[str]:
    """Which of these delivery ids have a row."""
    found: set[str] = set()
    with Session(engine) as session:
        for start in range(0, len(guids), 500):
            chunk = guids[start:start + 500]
            found.update(session.scalars(
                select(Delivery.delivery_id).where(Delivery.delivery_id.in_(chunk))))
    return found

