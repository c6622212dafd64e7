"""A Redis outage that strikes between jobs (RQ's loop catches the error and quits) does not end
`diffrisk worker`: run_worker starts a new worker after a backoff and goes on with the queue;
a worker asked to stop stops. Real Redis, real RQ workers forking real work horses."""

from __future__ import annotations

import signal
from collections.abc import Sequence
from typing import ClassVar

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from rq.job import Job, JobStatus

from app.settings import Settings
from workers import context
from workers.runner import DiffriskWorker, run_worker

QUEUE = "diffrisk-test-restart"


class OutageAfterFirstJob(DiffriskWorker):
    """Loses Redis right after its first job, as a worker did in the end-to-end test; a later
    worker stops by itself once it has run a job (as SIGTERM would ask it to)."""

    outages = 1
    lost_deaths = 0  # how many teardowns cannot record the worker's death (Redis still down)

    def execute_job(self, job: Job, queue: Queue) -> None:
        super().execute_job(job, queue)
        if OutageAfterFirstJob.outages:
            OutageAfterFirstJob.outages -= 1
            raise RedisConnectionError("Connection closed by server.")
        self.request_stop(signal.SIGTERM, None)  # type: ignore[no-untyped-call]

    def register_death(self) -> None:
        if OutageAfterFirstJob.lost_deaths:
            OutageAfterFirstJob.lost_deaths -= 1
            raise RedisConnectionError("Connection refused.")
        super().register_death()  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("name", [None, "worker-1"])
def test_a_worker_that_lost_redis_between_jobs_is_started_again(redis_url: str,
                                                                name: str | None) -> None:
    OutageAfterFirstJob.outages = 1
    OutageAfterFirstJob.lost_deaths = 1 if name else 0  # a named worker's key outlives it
    connection = Redis.from_url(redis_url)
    queue = Queue(QUEUE, connection=connection)
    first, second = queue.enqueue("os.getcwd"), queue.enqueue("os.getcwd")
    built: list[DiffriskWorker] = []
    waits: list[float] = []

    def build(settings: Settings, queues: Sequence[str], name: str | None) -> DiffriskWorker:
        built.append(OutageAfterFirstJob([Queue(q, connection=connection) for q in queues],
                                         connection=connection, name=name))
        return built[-1]

    run_worker(Settings(), queues=[QUEUE], name=name, sleep=waits.append,
               build=build)  # returns: stopped
    assert len(built) == 2 and waits == [1.0]
    assert not built[0].stop_asked and built[1].stop_asked
    for job in (first, second):
        assert job.get_status(refresh=True) == JobStatus.FINISHED


def test_a_worker_started_again_keeps_the_context_and_its_tokens() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:6379/0")
    try:
        first = context.install(settings)
        assert context.install(Settings(redis_url="redis://127.0.0.1:6379/0")) is first
        assert context.install(Settings(redis_url="redis://127.0.0.1:6379/1")) is not first
    finally:
        context.reset()


class LosesRedisAtOnce(DiffriskWorker):
    """A worker whose loop ends at once on a lost Redis until the script says stop."""

    script: ClassVar[list[str]] = []

    def work(self, *args: object, **kwargs: object) -> bool:
        if LosesRedisAtOnce.script.pop(0) == "stop":
            self.stop_asked = True
            return True
        raise RedisConnectionError("Connection refused.")


def test_the_backoff_starts_afresh_after_a_worker_that_ran_for_long(redis_url: str) -> None:
    LosesRedisAtOnce.script = ["lost"] * 4 + ["stop"]
    ran = iter([0, 0, 1, 1, 2, 2, 3, 3 + 600, 1000])  # the fourth worker ran for 10 minutes
    waits: list[float] = []
    connection = Redis.from_url(redis_url)

    def build(settings: Settings, queues: Sequence[str], name: str | None) -> DiffriskWorker:
        return LosesRedisAtOnce([Queue(q, connection=connection) for q in queues],
                                connection=connection, name=name)

    assert run_worker(Settings(), queues=[QUEUE], sleep=waits.append, build=build,
                      clock=lambda: float(next(ran)))
    assert waits == [1.0, 2.0, 4.0, 1.0]
