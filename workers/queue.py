"""The RQ side both ends share: queue names, job specifications and how they are enqueued.

Jobs are named by dotted path (``workers.jobs.analyze_pull_request``) so the webhook receiver
never imports the analysis code, and carry simple arguments only: ids, names, shas — never a
token. The job id makes enqueueing idempotent: a job already queued or running under the same
id is not queued again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from rq import Callback, Queue, Retry
from rq.job import Job, JobStatus

ANALYSES = "diffrisk-analyses"  # pull requests, check suites, merge groups: reviewers wait
MAINTENANCE = "diffrisk-maintenance"  # bootstrap, mining, retraining, forgetting
QUEUES = (ANALYSES, MAINTENANCE)  # a worker serves them in this order
TIMEOUTS = {"analysis": 1800, "bootstrap": 7200, "mining": 3600, "bookkeeping": 300}
MAX_JOB_ID = 200  # longer ids end in a digest of the whole
LIVE = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)
# Jobs whose failure must still be told on GitHub: RQ calls these (by dotted path) when the job
# raised or was abandoned by a dead worker; they conclude the job's check run.
FAILURE_CALLBACKS = {"workers.jobs.analyze_pull_request": "workers.jobs.on_analysis_failure"}


@dataclass(frozen=True)
class JobSpec:
    """One job to enqueue: the function's dotted path, keyword arguments and how to run it."""

    function: str
    kwargs: Mapping[str, Any]
    job_id: str
    queue: str = ANALYSES
    timeout: str = "analysis"  # a key of TIMEOUTS
    retries: int = 2
    retry_intervals: tuple[int, ...] = (30, 120)
    meta: Mapping[str, Any] = field(default_factory=dict)


def _escape(part: str) -> str:
    """ASCII letters, digits and - as they are, any other character as _<hex>_."""
    return "".join(c if (c.isascii() and c.isalnum()) or c == "-" else f"_{ord(c):x}_"
                   for c in part)


def job_key(*parts: object) -> str:
    """A job id from its parts as rq accepts it (letters, digits, _ and -), one per parts."""
    text = "__".join(_escape(str(part)) for part in parts)
    if len(text) <= MAX_JOB_ID:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
    return f"{text[:MAX_JOB_ID - 25]}-{digest}"


def live_job(redis: Redis, job_id: str) -> Job | None:
    """The job with this id when it is queued or running, else None."""
    try:
        job = Job.fetch(job_id, connection=redis)
    except Exception:  # rq raises NoSuchJobError or a decode error
        return None
    return job if job.get_status(refresh=False) in LIVE else None


def enqueue_job(redis: Redis, spec: JobSpec) -> Job:
    """Enqueue the job unless one with its id is queued or running (then return that one)."""
    existing = live_job(redis, spec.job_id)
    if existing is not None:
        return existing
    retry = Retry(max=spec.retries, interval=list(spec.retry_intervals)) if spec.retries else None
    callback = FAILURE_CALLBACKS.get(spec.function)
    return Queue(spec.queue, connection=redis).enqueue(
        spec.function, kwargs=dict(spec.kwargs), job_id=spec.job_id,
        job_timeout=TIMEOUTS[spec.timeout], retry=retry, result_ttl=86_400,
        failure_ttl=7 * 86_400, meta=dict(spec.meta),
        on_failure=Callback(callback) if callback else None)
