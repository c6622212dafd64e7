"""The analysis of one pull request head, as DESIGN.md draws it: check run in progress → mirror
→ analysis (gate from the default branch) → storage → re-read the head → check run completed
and one review. One analysis per (repository, head, gate configuration)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from analyzers.git import GitRepo
from app.action.publish import publish_review
from app.analysis.run import AnalyzeRequest, analyze
from app.gate_config import CONFIG_PATH, GateConfigError, parse_gate_config
from app.github_client import GitHubClient
from app.report_links import report_url
from app.reports.result import AnalysisResult
from app.reports.stored import result_from_json
from app.reviewer_logins import with_reviewer_logins
from app.settings import Settings
from workers import analyses
from workers.analyses import StoredAnalysis
from workers.checkrun import JobCheckRun, failure_reason, retryable
from workers.context import WorkerContext
from workers.mirror import sync_mirror

log = logging.getLogger(__name__)

# The check run's buttons (GitHub: at most 3; label and identifier ≤ 20, description ≤ 40).
ACTIONS = ({"label": "Re-run", "identifier": "rerun",
            "description": "Analyse this commit again"},
           {"label": "Retrain models", "identifier": "retrain",
            "description": "Learn the repository's models again"})


@dataclass(frozen=True)
class PullRequestHead:
    """One head to analyse: where it is, what it is compared with, and how."""

    installation_id: int
    repository: str
    clone_url: str
    number: int | None  # None: a merge group (check run only)
    head_sha: str
    base_sha: str
    default_branch: str
    force: bool = False


def details_url(settings: Settings, head: PullRequestHead) -> str | None:
    """The signed address of this head's report page on `diffrisk serve`, when dashboard_url
    says where that is (and the webhook secret can sign it)."""
    if not settings.dashboard_url or not settings.webhook_secret:
        return None
    return report_url(settings.dashboard_url, settings.webhook_secret, head.repository,
                      head.head_sha)


def run_analysis(ctx: WorkerContext, head: PullRequestHead) -> str:
    """Analyse and post one head (unless done already); what happened, in a few words."""
    client = ctx.client(head.installation_id)
    config_text = client.file_text(head.repository, CONFIG_PATH, head.default_branch)
    config = analyses.config_hash(config_text)
    stored = analyses.find_analysis(ctx.engine, head.repository, head.head_sha, config)
    if stored is not None and stored.status == analyses.POSTED and not head.force:
        return "already posted"
    check = JobCheckRun(client, head.repository, head.head_sha,
                        details_url(ctx.settings, head))
    check.start()
    row = analyses.claim_analysis(ctx.engine, head.repository, head.number, head.head_sha,
                                  head.base_sha, config)
    try:
        return _analyse_and_post(ctx, client, head, check, row, config_text)
    except Exception as error:
        reason = failure_reason(error, [ctx.token(head.installation_id)])
        log.warning("analysis of %s at %s failed: %s", head.repository, head.head_sha[:12],
                    reason)
        check.fail(reason)
        analyses.update_analysis(ctx.engine, row.id, status=analyses.FAILED, reason=reason,
                                 conclusion="neutral", check_run_id=check.id)
        if retryable(error):
            raise
        return f"failed: {reason}"


def _analyse_and_post(ctx: WorkerContext, client: GitHubClient, head: PullRequestHead,
                      check: JobCheckRun, row: StoredAnalysis, config_text: str | None) -> str:
    """The steps after the check run started: reuse or compute the result, then post it."""
    try:
        budget = parse_gate_config(config_text).comment_budget
    except GateConfigError as error:
        return _config_error(ctx, check, row, str(error))
    if row.result is not None:  # analysed before (forced, or not posted then): post it
        result = result_from_json(row.result)
    else:
        try:
            result = _analyse(ctx, head)
        except GateConfigError as error:
            return _config_error(ctx, check, row, str(error))
        analyses.update_analysis(ctx.engine, row.id, status=analyses.ANALYSED, result=result)
    if head.number is not None:
        moved = client.pull_request_head(head.repository, head.number)
        if moved != head.head_sha:
            check.neutral(f"superseded by {moved[:12]}",
                          f"The pull request moved to {moved} while {head.head_sha} was being "
                          "analysed; that commit's analysis follows.")
            analyses.update_analysis(ctx.engine, row.id, status=analyses.SUPERSEDED,
                                     conclusion="neutral", check_run_id=check.id)
            return f"superseded by {moved}"
    return _post(ctx, client, head, check, row, result, budget)


def _analyse(ctx: WorkerContext, head: PullRequestHead) -> AnalysisResult:
    """Bring the mirror up to date and analyse base..head with the default branch's gate."""
    path = sync_mirror(ctx.settings, head.installation_id, head.repository, head.clone_url,
                       ctx.token(head.installation_id), head.head_sha, head.number)
    return analyze(ctx.settings, AnalyzeRequest(
        path, _base_in(path, head), head.head_sha, head.repository,
        gate_ref=head.default_branch))


def _base_in(path: Path, head: PullRequestHead) -> str:
    """The pull request's base when the mirror has it, else the default branch."""
    repo = GitRepo(path)
    return head.base_sha if head.base_sha and repo.commit_exists(head.base_sha) \
        else head.default_branch


def _config_error(ctx: WorkerContext, check: JobCheckRun, row: StoredAnalysis,
                  message: str) -> str:
    """Conclude neutral with the configuration's error, so the owner can fix the file."""
    check.neutral("diffrisk: .github/diffrisk.yml has an error",
                  f"The gate configuration on the default branch cannot be used:\n\n"
                  f"    {message}\n\nFix `{CONFIG_PATH}` on the default branch; the next push "
                  "is analysed with it.")
    analyses.update_analysis(ctx.engine, row.id, status=analyses.POSTED, conclusion="neutral",
                             reason=message, check_run_id=check.id)
    return f"configuration error: {message}"


def _post(ctx: WorkerContext, client: GitHubClient, head: PullRequestHead, check: JobCheckRun,
          row: StoredAnalysis, result: AnalysisResult, budget: int) -> str:
    """Complete the check run, then post (or update) the review comments."""
    result = with_reviewer_logins(client, head.repository, result)
    check.complete(result, ACTIONS)
    review = ""
    if head.number is not None:
        posted, updated, resolved = publish_review(client, head.repository, head.number,
                                                   result, budget)
        review = f"; review: {posted} posted, {updated} updated, {resolved} resolved"
    analyses.update_analysis(ctx.engine, row.id, status=analyses.POSTED,
                             conclusion=result.gate.conclusion, check_run_id=check.id)
    return f"posted {result.gate.conclusion}{review}"
