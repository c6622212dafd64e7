"""GET /metrics: the App's state in Prometheus' text format, read from Redis and the store.

Every figure is read when the page is scraped, from the state the receiver and the workers share
(the RQ queues in Redis, the deliveries and analyses tables), so it is the same whichever process
or gunicorn worker answers and needs no multiprocess set-up. Only counts and ages are shown:
no repository name, sha or account, so the page tells nothing about what is analysed.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Flask, current_app
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.storage.schema import Analysis, Delivery
from workers.queue import QUEUES

EXTENSION = "diffrisk_metrics"
WAITING_DELIVERIES = ("received", "pending")  # not yet handed to a queue

bp = Blueprint("metrics", __name__)


@dataclass(frozen=True)
class QueueCounts:
    """Jobs of one RQ queue by state."""

    queued: int
    started: int
    deferred: int
    scheduled: int
    failed: int


def queue_counts(redis: Redis, name: str) -> QueueCounts:
    """How many jobs of the queue wait, run, wait on others, wait for a time, or failed."""
    queue = Queue(name, connection=redis)
    return QueueCounts(queue.count, queue.started_job_registry.count,
                       queue.deferred_job_registry.count, queue.scheduled_job_registry.count,
                       queue.failed_job_registry.count)


def delivery_counts(session: Session) -> dict[str, int]:
    """Stored webhook deliveries by status."""
    rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return {status: int(count) for status, count in rows}


def oldest_waiting_delivery(session: Session) -> datetime | None:
    """When the oldest delivery not yet handed to a queue was received (None: none waits)."""
    found = session.scalar(select(func.min(Delivery.received_at))
                           .where(Delivery.status.in_(WAITING_DELIVERIES)))
    return None if found is None else _aware(found)


def analysis_counts(session: Session) -> dict[tuple[str, str], int]:
    """Stored analyses by (status, conclusion); conclusion is "" while there is none."""
    rows = session.execute(select(Analysis.status, Analysis.conclusion, func.count())
                           .group_by(Analysis.status, Analysis.conclusion))
    return {(status, conclusion or ""): int(count) for status, conclusion, count in rows}


def newest_analysis_update(session: Session) -> datetime | None:
    """When an analysis row last changed (None: there is none)."""
    found = session.scalar(select(func.max(Analysis.updated_at)))
    return None if found is None else _aware(found)


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; the store writes UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class StateCollector(Collector):
    """Reads the shared state on every scrape; a service that does not answer is reported down."""

    def __init__(self, redis: Redis, engine: Engine) -> None:
        self.redis = redis
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """The metric families of one scrape."""
        up = GaugeMetricFamily("diffrisk_up", "Whether the service answered this scrape.",
                               labels=["service"])
        redis_up = yield from self._redis_metrics()
        database_up = yield from self._database_metrics()
        up.add_metric(["redis"], float(redis_up))
        up.add_metric(["database"], float(database_up))
        yield up

    def _redis_metrics(self) -> Generator[Metric, None, bool]:
        jobs = GaugeMetricFamily("diffrisk_queue_jobs", "RQ jobs by queue and state.",
                                 labels=["queue", "state"])
        try:
            counts = {name: queue_counts(self.redis, name) for name in QUEUES}
            workers = Worker.count(connection=self.redis)
        except RedisError:
            return False
        for name, count in counts.items():
            for state in ("queued", "started", "deferred", "scheduled", "failed"):
                jobs.add_metric([name, state], float(getattr(count, state)))
        yield jobs
        yield GaugeMetricFamily("diffrisk_workers", "RQ workers registered in Redis.",
                                value=float(workers))
        return True

    def _database_metrics(self) -> Generator[Metric, None, bool]:
        now = datetime.now(UTC)
        try:
            with Session(self.engine) as session:  # one connection for the four reads
                deliveries = delivery_counts(session)
                oldest = oldest_waiting_delivery(session)
                analyses = analysis_counts(session)
                newest = newest_analysis_update(session)
        except SQLAlchemyError:
            return False
        stored = GaugeMetricFamily("diffrisk_deliveries", "Stored webhook deliveries by status.",
                                   labels=["status"])
        for status, count in sorted(deliveries.items()):
            stored.add_metric([status], float(count))
        yield stored
        yield GaugeMetricFamily(
            "diffrisk_oldest_waiting_delivery_age_seconds",
            "Age of the oldest delivery not yet queued (0: none waits).",
            value=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()))
        done = GaugeMetricFamily("diffrisk_analyses", "Stored analyses by status and conclusion.",
                                 labels=["status", "conclusion"])
        for (status, conclusion), count in sorted(analyses.items()):
            done.add_metric([status, conclusion], float(count))
        yield done
        if newest is not None:
            yield GaugeMetricFamily("diffrisk_last_analysis_update_timestamp_seconds",
                                    "When an analysis was last started or finished (unix time).",
                                    value=newest.timestamp())
        return True


def metrics_registry(redis: Redis, engine: Engine) -> CollectorRegistry:
    """A registry of its own holding the state collector (never the process-global one)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StateCollector(redis, engine))
    return registry


def init_metrics(app: Flask, redis: Redis, engine: Engine) -> None:
    """Attach the metrics registry and route to the app."""
    app.extensions[EXTENSION] = metrics_registry(redis, engine)
    app.register_blueprint(bp)


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """The current state in Prometheus' text exposition format."""
    registry: CollectorRegistry = current_app.extensions[EXTENSION]
    return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST,
                                            "Cache-Control": "no-store"}
