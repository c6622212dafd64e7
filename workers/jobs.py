"""The RQ jobs of the GitHub App. The webhook receiver enqueues them by dotted path with simple
keyword arguments (ids, names, shas — never a token); each mints its own installation token.

A job of a suspended installation does nothing. An analysis always concludes its check run: an
error concludes it neutral with the reason, and `on_analysis_failure` (RQ's failure callback)
and `conclude_killed_job` (the worker's handler of a killed work horse) cover the jobs that never
got the chance.
"""

from __future__ import annotations

import logging
from typing import Any

from redis import Redis
from rq.job import Job

from workers import installations
from workers.checkrun import META_CHECK_RUN, META_CONCLUDED, JobCheckRun, failure_reason
from workers.context import WorkerContext, current
from workers.learning import RepositorySource, learn_repository
from workers.mirror import split_repository
from workers.pipeline import PullRequestHead, run_analysis
from workers.queue import MAINTENANCE, JobSpec, enqueue_job, job_key

log = logging.getLogger(__name__)

ANALYZE = "workers.jobs.analyze_pull_request"
BOOTSTRAP = "workers.jobs.bootstrap_repository"
DRAFT_TITLE = "draft: analysed when ready for review"
ZERO_SHA = "0" * 40


def _suspended(ctx: WorkerContext, installation_id: int) -> bool:
    """Whether the installation is suspended (then the job does nothing)."""
    if installations.is_suspended(ctx.engine, installation_id):
        log.info("installation %s is suspended: job skipped", installation_id)
        return True
    return False


def analyze_pull_request(installation_id: int, repository: str, clone_url: str,
                         number: int | None, head_sha: str, base_sha: str, default_branch: str,
                         draft: bool = False, force: bool = False) -> str:
    """Analyse a pull request's head (or a merge group's) and post the check run and review."""
    ctx = current()
    split_repository(repository)
    if _suspended(ctx, installation_id):
        return "suspended"
    if draft:
        check = JobCheckRun(ctx.client(installation_id), repository, head_sha)
        check.neutral(DRAFT_TITLE, "diffrisk analyses this pull request when it is marked "
                                   "ready for review.")
        return "draft"
    return run_analysis(ctx, PullRequestHead(
        int(installation_id), repository, clone_url, None if number is None else int(number),
        head_sha, base_sha, default_branch, force))


def retrain_repository(installation_id: int, repository: str, clone_url: str,
                       default_branch: str) -> str:
    """Mirror and mine the default branch, then train the repository's models again."""
    ctx = current()
    if _suspended(ctx, installation_id):
        return "suspended"
    return learn_repository(ctx, RepositorySource(installation_id, repository, clone_url,
                                                  default_branch), retrain=True)


def mine_default_branch(installation_id: int, repository: str, clone_url: str,
                        default_branch: str, after_sha: str) -> str:
    """Mine the default branch's new commits; retrain when drift (or growth) says so."""
    ctx = current()
    if _suspended(ctx, installation_id):
        return "suspended"
    after = None if not after_sha or after_sha == ZERO_SHA else after_sha
    return learn_repository(ctx, RepositorySource(installation_id, repository, clone_url,
                                                  default_branch), after_sha=after)


def bootstrap_repository(installation_id: int, repository: str) -> str:
    """A newly installed repository: read where it lives, mirror, mine, label and train."""
    ctx = current()
    if _suspended(ctx, installation_id):
        return "suspended"
    split_repository(repository)
    clone_url, default_branch = ctx.client(installation_id).repository_clone_info(repository)
    return learn_repository(ctx, RepositorySource(installation_id, repository, clone_url,
                                                  default_branch))


def add_repositories(installation_id: int, account: str, repositories: list[str]) -> str:
    """Record the installation's new repositories and queue a bootstrap of each."""
    ctx = current()
    new = installations.record_repositories(ctx.engine, installation_id, account, repositories)
    for repository in new:
        enqueue_job(ctx.redis, JobSpec(
            BOOTSTRAP, {"installation_id": installation_id, "repository": repository},
            job_key("bootstrap", installation_id, repository), queue=MAINTENANCE,
            timeout="bootstrap"))
    return f"{len(new)} repositories added"


def remove_repositories(installation_id: int, repositories: list[str]) -> str:
    """Delete everything diffrisk keeps of repositories the installation no longer grants."""
    ctx = current()
    installations.delete_repositories(ctx.engine, ctx.settings, installation_id, repositories)
    return f"{len(repositories)} repositories removed"


def forget_installation(installation_id: int) -> str:
    """Delete everything of an uninstalled installation and forget its token."""
    ctx = current()
    names = installations.forget(ctx.engine, ctx.settings, installation_id)
    ctx.tokens.forget(installation_id)
    return f"installation forgotten with {len(names)} repositories"


def set_suspended(installation_id: int, suspended: bool) -> str:
    """Suspend the installation (its jobs do nothing) or resume it."""
    ctx = current()
    installations.set_suspended(ctx.engine, installation_id, bool(suspended))
    if suspended:
        ctx.tokens.forget(installation_id)
    return "suspended" if suspended else "active"


def conclude_abandoned(job: Job, reason: str) -> None:
    """Conclude an analysis job's check run neutral when the job could not (best effort)."""
    if job.func_name != ANALYZE:
        return
    meta = job.get_meta(refresh=True)
    if meta.get(META_CONCLUDED):
        return
    kwargs: dict[str, Any] = job.kwargs
    ctx = current()
    try:
        check = JobCheckRun(ctx.client(int(kwargs["installation_id"])), kwargs["repository"],
                            kwargs["head_sha"])
        check.id = meta.get(META_CHECK_RUN)
        check.fail(reason)
    except Exception as error:  # a failure handler must not fail the worker
        log.warning("could not conclude the check run of job %s: %s", job.id,
                    failure_reason(error))


def on_analysis_failure(job: Job, connection: Redis, kind: type[BaseException] | None,
                        value: BaseException | None, traceback: object) -> None:
    """RQ's failure callback of analysis jobs: conclude the check run if still open."""
    reason = failure_reason(value) if value is not None else "the job failed"
    conclude_abandoned(job, reason)


def conclude_killed_job(job: Job, retpid: int, ret_val: int, rusage: object) -> None:
    """The worker's handler of a work horse that died: conclude its check run."""
    conclude_abandoned(job, f"the worker process running the analysis died (status {ret_val})")
