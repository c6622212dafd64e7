"""Superseding: the newest head of a pull request wins; an older analysis still queued is cancelled.

Redis keeps, per (repository, pull number), the latest analysis job and head sha with the time its
delivery was received, so a delivery replayed late cannot displace a newer head. A running job is
left alone: the worker re-reads the head before posting. The worker may read
``diffrisk:head:{repository}:{number}``.
"""

from __future__ import annotations

from redis import Redis
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

from workers.queue import JobSpec

KEEP_SECONDS = 30 * 86_400  # a pull request untouched for a month starts afresh
# KEYS: latest hash, head key. ARGV: job id, head sha, stamp, ttl. Returns {1, previous job id}
# when this head is the newest seen, {0, ""} when a newer one was recorded already.
RECORD = """
local stamp = redis.call('HGET', KEYS[1], 'stamp')
if stamp and tonumber(stamp) > tonumber(ARGV[3]) then return {0, ''} end
local previous = redis.call('HGET', KEYS[1], 'job') or ''
redis.call('HSET', KEYS[1], 'job', ARGV[1], 'head', ARGV[2], 'stamp', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[4])
return {1, previous}
"""


def head_key(repository: str, number: int) -> str:
    """The Redis key holding the newest head sha of a pull request."""
    return f"diffrisk:head:{repository}:{number}"


def latest_key(repository: str, number: int) -> str:
    """The Redis hash holding a pull request's latest analysis job, head and stamp."""
    return f"diffrisk:latest:{repository}:{number}"


def record_head(redis: Redis, spec: JobSpec, stamp: float) -> str | None:
    """Record the spec's head as the pull request's newest; the job id it replaces, if any."""
    repository, number = spec.kwargs["repository"], spec.kwargs["number"]
    newest, previous = redis.eval(
        RECORD, 2, latest_key(repository, number), head_key(repository, number),
        spec.job_id, spec.kwargs["head_sha"], repr(stamp), KEEP_SECONDS)
    previous = previous.decode() if isinstance(previous, bytes) else str(previous)
    return previous if newest and previous and previous != spec.job_id else None


def cancel_if_queued(redis: Redis, job_id: str) -> bool:
    """Cancel the job when it is still waiting in its queue; whether it was cancelled."""
    try:
        job = Job.fetch(job_id, connection=redis)
        if job.get_status() != JobStatus.QUEUED:
            return False
        job.cancel()
    except (NoSuchJobError, InvalidJobOperation):
        return False
    return True
