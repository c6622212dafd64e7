"""`diffrisk worker`: an RQ worker serving diffrisk's queues in order (analyses first)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue, Worker
from rq.job import Job

from app.settings import Settings
from workers import context
from workers.jobs import conclude_killed_job
from workers.queue import QUEUES

log = logging.getLogger(__name__)
REDIS_BACKOFF_MAX = 30.0  # seconds between attempts to reach Redis again
HEALTHY_RUN = 300.0  # a worker that ran this long before failing starts the backoff afresh


class DiffriskWorker(Worker):
    """RQ's forking worker that mints (or reuses) the job's installation token in the
    long-lived parent before forking, so the in-memory token cache outlives each job, and
    remembers whether it was asked to stop (RQ's loop also ends on any error it catches)."""

    stop_asked = False

    def handle_warm_shutdown_request(self) -> None:
        """Note that SIGINT or SIGTERM asked the worker to stop."""
        self.stop_asked = True
        super().handle_warm_shutdown_request()  # type: ignore[no-untyped-call]

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Warm the token cache for the job's installation, then run it in a work horse."""
        kwargs = job.kwargs if isinstance(job.kwargs, dict) else {}
        installation = kwargs.get("installation_id")
        if isinstance(installation, int) and not isinstance(installation, bool):
            try:
                context.current().token(installation)
            except Exception as error:  # the job mints again and reports it
                log.warning("could not mint a token for installation %s before the job: %s",
                            installation, type(error).__name__)
        super().execute_job(job, queue)


def build_worker(settings: Settings, queues: Sequence[str] = QUEUES,
                 name: str | None = None) -> DiffriskWorker:
    """An RQ worker on REDIS_URL for the queues, its jobs using these settings."""
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: point it at the Redis the webhooks queue to")
    context.install(settings).credentials  # noqa: B018 - a bad App id or key fails here, not per job
    connection = Redis.from_url(settings.redis_url)
    return DiffriskWorker([Queue(queue, connection=connection) for queue in queues],
                  connection=connection, name=name,
                  work_horse_killed_handler=conclude_killed_job)


def run_worker(settings: Settings, burst: bool = False, queues: Sequence[str] = QUEUES,
               name: str | None = None, sleep: Callable[[float], None] = time.sleep,
               build: Callable[[Settings, Sequence[str], str | None], DiffriskWorker]
               = build_worker, clock: Callable[[], float] = time.monotonic) -> bool:
    """Work the queues until stopped (or, with burst, until they are empty). A Redis outage is
    waited out with backoff (jobs stay in Redis), not a crash: also one that strikes between
    jobs, which RQ's loop logs as an unhandled exception and quits on. The backoff starts
    afresh after a worker that had run for HEALTHY_RUN seconds."""
    wait, restarted = 1.0, False
    while True:
        started = clock()
        try:
            worker = build(settings, queues, name)
            if restarted and name:  # the outage may have kept our last registration alive
                worker.register_death()  # type: ignore[no-untyped-call]
            worked = worker.work(burst=burst, with_scheduler=True)
        except RedisConnectionError as error:
            if burst:
                raise
            reason = f"Redis is unreachable ({type(error).__name__})"
        else:
            if burst or worker.stop_asked:
                return bool(worked)
            reason = "the worker quit on an error (logged above)"
        if clock() - started >= HEALTHY_RUN:
            wait = 1.0
        log.warning("%s: starting again in %.0f s", reason, wait)
        restarted = True
        sleep(wait)
        wait = min(wait * 2, REDIS_BACKOFF_MAX)
