"""The jobs through a real RQ worker (run_worker in burst mode, in a subprocess): importable and
executable by RQ; a failed analysis job and a killed work horse still conclude their check run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from redis import Redis
from rq.job import Job, JobStatus

from tests.fakegithub import FakeGitHub
from tests.workers.conftest import INSTALLATION, REPOSITORY, History, job_arguments
from workers import context, jobs
from workers.checkrun import META_CHECK_RUN
from workers.queue import JobSpec, enqueue_job, job_key

ROOT = Path(__file__).parents[2]
WORKER = ("import os; from app.settings import load_settings; from workers.runner import "
          "run_worker; run_worker(load_settings(environ=os.environ), burst=True)")


def run_burst_worker(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`run_worker(burst=True)` in a new Python process with the worker's environment."""
    return subprocess.run([sys.executable, "-c", WORKER], cwd=ROOT, env={**os.environ,
                          **environ}, capture_output=True, text=True, timeout=300, check=False)


def analysis_spec(history: History, retries: int = 0, **changes: object) -> JobSpec:
    """The receiver's job for the pull request's head."""
    arguments = job_arguments(history, history.head, **changes)
    return JobSpec(jobs.ANALYZE, arguments, job_key(REPOSITORY, 7, history.head),
                   retries=retries)


def test_a_job_runs_in_a_real_rq_worker(worker_env: dict[str, str], fake: FakeGitHub,
                                        history: History, redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    job = enqueue_job(redis, analysis_spec(history, draft=True))
    done = run_burst_worker(worker_env)
    assert done.returncode == 0, done.stderr
    assert job.get_status(refresh=True) == JobStatus.FINISHED, done.stderr
    assert job.return_value() == "draft"
    (run,) = fake.check_runs.values()
    assert run["conclusion"] == "neutral" and fake.violations == []


def test_a_failed_job_concludes_its_check_run_through_the_callback(
        worker_env: dict[str, str], fake: FakeGitHub, history: History, redis_url: str) -> None:
    fake.fail_next("GET", r"/contents/", 403)  # before the check run is started
    job = enqueue_job(Redis.from_url(redis_url), analysis_spec(history))
    done = run_burst_worker(worker_env)
    assert job.get_status(refresh=True) == JobStatus.FAILED, done.stderr
    (run,) = fake.check_runs.values()
    assert run["conclusion"] == "neutral" and run["head_sha"] == history.head
    assert "GitHubError: GitHub answered 403" in run["output"]["summary"]
    assert fake.violations == []


def test_a_killed_work_horse_gets_its_check_run_concluded(
        worker_env: dict[str, str], fake: FakeGitHub, history: History, redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    job = Job.create(jobs.ANALYZE, kwargs=job_arguments(history, history.head),
                     connection=redis)
    client = context.current().client(INSTALLATION)
    started = client.create_check_run(REPOSITORY, history.head, "diffrisk")
    job.meta[META_CHECK_RUN] = started
    job.save_meta()  # type: ignore[no-untyped-call]
    jobs.conclude_killed_job(job, 123, 9, None)
    run = fake.check_runs[started]
    assert run["conclusion"] == "neutral" and "died" in run["output"]["summary"]
    jobs.conclude_killed_job(job, 123, 9, None)  # concluded once: nothing more is sent
    assert len(fake.check_runs) == 1 and fake.violations == []
