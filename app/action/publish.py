"""Posting an analysis to GitHub: one check run with annotations and one review whose comments
replace the earlier run's; the Action and the App's workers share it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.github_client import GitHubClient, GitHubError, ReadOnlyTokenError
from app.reports import check_run
from app.reports.markdown import render_markdown
from app.reports.result import AnalysisResult

CHECK_NAME = "diffrisk"


@dataclass(frozen=True)
class Published:
    """What reached GitHub: the check run's id, review comments posted, updated, resolved;
    or why nothing could be written."""

    check_run_id: int | None = None
    posted: int = 0
    updated: int = 0
    resolved: int = 0
    skipped: str | None = None


def complete_check_run(client: GitHubClient, repository: str, check_id: int,
                       result: AnalysisResult, actions: Sequence[Mapping[str, str]] = ()) -> None:
    """Complete a check run with the result: title, summary, annotations, the gate's verdict."""
    client.complete_check_run(repository, check_id, result.gate.conclusion,
                              check_run.check_run_title(result), render_markdown(result),
                              check_run.annotations(result), actions=actions)


def publish_check_run(client: GitHubClient, repository: str, result: AnalysisResult,
                      check_id: int | None = None,
                      actions: Sequence[Mapping[str, str]] = ()) -> int:
    """Create the check run on the head (unless given) and complete it with the result."""
    if check_id is None:
        check_id = client.create_check_run(repository, result.head, CHECK_NAME)
    complete_check_run(client, repository, check_id, result, actions)
    return check_id


def publish_review(client: GitHubClient, repository: str, number: int, result: AnalysisResult,
                   budget: int) -> tuple[int, int, int]:
    """Post new comments in one review, update or resolve the earlier ones in place."""
    plan = check_run.plan_review(check_run.review_comments(result, budget),
                                 client.review_comments(repository, number), result.head)
    if plan.post:
        client.post_review(repository, number, result.head,
                           f"diffrisk: {check_run.check_run_title(result)}",
                           [comment.as_github() for comment in plan.post])
    for comment_id, body in [*plan.update, *plan.resolve]:
        client.update_review_comment(repository, comment_id, body)
    return len(plan.post), len(plan.update), len(plan.resolve)


def publish(client: GitHubClient, repository: str, number: int, result: AnalysisResult,
            budget: int) -> Published:
    """The check run and the review; a read-only token (a fork's pull request) or another
    GitHub error leaves them out with the reason instead of failing the analysis."""
    try:
        check_id = publish_check_run(client, repository, result)
        posted, updated, resolved = publish_review(client, repository, number, result, budget)
    except ReadOnlyTokenError:
        return Published(skipped="the token cannot write (a fork's pull request?): the job "
                                 "summary and annotations carry the report")
    except GitHubError as error:
        return Published(skipped=f"GitHub refused the report: {error}")
    return Published(check_id, posted, updated, resolved)
