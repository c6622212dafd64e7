"""Suggested reviewers as GitHub logins before a report is posted: git knows people by e-mail
address, GitHub by login, and a posted report mentions logins and never shows an address."""

from __future__ import annotations

import logging
from dataclasses import replace

from app.github_client import GitHubClient, GitHubError
from app.reports.formatting import github_login
from app.reports.result import AnalysisResult

log = logging.getLogger(__name__)


def reviewer_login(client: GitHubClient, repository: str, identity: str) -> str | None:
    """The login of one git identity: from a noreply address, else from the account GitHub
    links to the address's newest commit; None when there is none or GitHub cannot say."""
    login = github_login(identity)
    if login is not None or "@" not in identity:
        return login
    try:
        return client.commit_author_login(repository, identity)
    except GitHubError as error:
        log.warning("could not look up a suggested reviewer's login: %s", error)
        return None


def with_reviewer_logins(client: GitHubClient, repository: str,
                         result: AnalysisResult) -> AnalysisResult:
    """The result with its suggested reviewers replaced by their GitHub logins, in order, each
    once; people without a login are left out."""
    logins: list[str] = []
    for identity in result.reviewers:
        login = reviewer_login(client, repository, identity)
        if login and login not in logins:
            logins.append(login)
    return replace(result, reviewers=tuple(logins))
