"""Suggested reviewers become GitHub logins before a report is posted (the fake GitHub's
commits endpoint links addresses to accounts); an address is never posted."""

from __future__ import annotations

from dataclasses import replace

from app.github_client import GitHubClient
from app.reports.formatting import github_login
from app.reports.markdown import render_markdown
from app.reviewer_logins import with_reviewer_logins
from tests.fakegithub import FakeGitHub
from tests.report_samples import sample_result

REPOSITORY = "octo/repo"


def test_github_login_of_identities() -> None:
    assert github_login("12345+octo-cat@users.noreply.github.com") == "octo-cat"
    assert github_login("octocat@users.noreply.github.com") == "octocat"
    assert github_login("octocat") == "octocat"
    assert github_login("alice@example.com") is None
    assert github_login("not a login") is None


def test_addresses_are_looked_up_once_each_and_people_without_an_account_left_out() -> None:
    identities = ("alice@example.com", "7+carol@users.noreply.github.com", "bob@example.com",
                  "erin@example.com", "frank@example.com", "alice2@example.com")
    with FakeGitHub() as fake:
        fake.commit_logins = {"alice@example.com": "alice", "bob@example.com": None,
                              "alice2@example.com": "alice"}  # erin: no commit matches
        fake.fail_next("GET", r"/repos/octo/repo/commits", 404, times=1)  # alice: GitHub fails
        client = GitHubClient(fake.base_url, "token")
        result = with_reviewer_logins(client, REPOSITORY,
                                      replace(sample_result(), reviewers=identities))
        asked = [r.query for r in fake.requests if r.path.endswith("/commits")]
        assert fake.violations == [] and fake.response_violations == []
    assert result.reviewers == ("carol", "alice")  # alice once, from her second address
    assert len(asked) == 5 and all("per_page=1" in q for q in asked)  # never for noreply


def test_a_posted_report_never_shows_an_address() -> None:
    result = replace(sample_result(), reviewers=("alice@example.com", "9+bob@users.noreply."
                                                 "github.com", "carol"))
    markdown = render_markdown(result)
    assert "example.com" not in markdown and "noreply" not in markdown
    assert "### Suggested reviewers\n\n@bob, @carol" in markdown
    assert "Suggested reviewers" not in render_markdown(
        replace(result, reviewers=("alice@example.com",)))
