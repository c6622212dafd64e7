"""The one check run of an analysis job, concluded exactly once whatever happens; the reason of a
failure in one line; and the job's RQ meta that lets a failure handler conclude it later."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from rq import get_current_job
from rq.timeouts import JobTimeoutException

from app.action.publish import CHECK_NAME, complete_check_run
from app.github_client import GitHubClient, GitHubError
from app.reports.result import AnalysisResult
from workers.mirror import MirrorError

log = logging.getLogger(__name__)

REASON_CHARS = 300
META_CHECK_RUN = "check_run_id"
META_CONCLUDED = "check_run_concluded"


def failure_reason(error: BaseException, secrets: Iterable[str] = ()) -> str:
    """Why the job failed, in one line: no traceback, no secret."""
    if isinstance(error, JobTimeoutException):
        return "the analysis ran out of time (the job's time limit); it will run on the next push"
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:REASON_CHARS]


def retryable(error: BaseException) -> bool:
    """Whether running the job again can succeed (the network or GitHub failed)."""
    if isinstance(error, GitHubError):
        return error.status == 0 or error.status >= 500
    if isinstance(error, MirrorError):
        return error.retryable
    return isinstance(error, ConnectionError | TimeoutError)


def _set_meta(**values: object) -> None:
    """Record values in the running RQ job's meta (nothing outside RQ)."""
    job = get_current_job()
    if job is not None:
        job.meta.update(values)
        job.save_meta()  # type: ignore[no-untyped-call]


class JobCheckRun:
    """The job's check run on head_sha: started once, concluded once."""

    def __init__(self, client: GitHubClient, repository: str, head_sha: str,
                 details_url: str | None = None) -> None:
        self.client = client
        self.repository = repository
        self.head_sha = head_sha
        self.details_url = details_url
        self.id: int | None = None
        self.concluded = False

    def start(self) -> int:
        """Create the check run in progress (and note its id in the job's meta)."""
        self.id = self.client.create_check_run(self.repository, self.head_sha, CHECK_NAME,
                                               details_url=self.details_url)
        _set_meta(**{META_CHECK_RUN: self.id, META_CONCLUDED: False})
        return self.id

    def _done(self) -> None:
        self.concluded = True
        _set_meta(**{META_CONCLUDED: True})

    def neutral(self, title: str, summary: str) -> None:
        """Conclude neutral with a title and a summary (creating the run if none yet)."""
        if self.concluded:
            return
        if self.id is None:
            self.start()
        assert self.id is not None
        self.client.complete_check_run(self.repository, self.id, "neutral", title, summary, [])
        self._done()

    def complete(self, result: AnalysisResult, actions: Sequence[Mapping[str, str]]) -> None:
        """Conclude with the result: the gate's conclusion, annotations and buttons."""
        assert self.id is not None
        complete_check_run(self.client, self.repository, self.id, result, actions)
        self._done()

    def fail(self, reason: str) -> None:
        """Conclude neutral with the reason of a failure, unless already concluded."""
        try:
            self.neutral("diffrisk could not finish the analysis",
                         f"The analysis stopped: {reason}")
        except Exception as error:  # GitHub may be the reason we are failing
            log.warning("could not conclude check run %s of %s: %s", self.id, self.repository,
                        failure_reason(error))
