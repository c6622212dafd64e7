"""analyze_pull_request end to end against the fake GitHub: a learned repository, its mirror
synced from a local clone URL, the check run, the review and the analyses table."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from rq.timeouts import JobTimeoutException
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.github_client import GitHubError
from app.server import create_app, receiver_redis
from app.settings import load_settings
from app.storage.database import open_store
from app.storage.schema import Analysis
from tests.fakegithub import FakeGitHub
from tests.workers.conftest import NUMBER, REPOSITORY, History, job_arguments, open_pull
from workers import context, pipeline
from workers.jobs import DRAFT_TITLE, analyze_pull_request

pytestmark = pytest.mark.usefixtures("worker_env")


def check_runs(fake: FakeGitHub) -> list[dict[str, Any]]:
    """The fake's check runs, oldest first."""
    return [fake.check_runs[key] for key in sorted(fake.check_runs)]


def rows(data_dir: Path) -> list[Analysis]:
    """The analyses table of the test's store."""
    with Session(open_store(f"sqlite:///{data_dir / 'diffrisk.db'}")) as session:
        return list(session.scalars(select(Analysis).order_by(Analysis.id)))


def assert_clean(fake: FakeGitHub) -> None:
    """No request the fake refused or answered outside GitHub's spec."""
    assert fake.violations == [] and fake.response_violations == []


def test_a_head_is_analysed_posted_and_a_new_push_updates_the_comments(
        fake: FakeGitHub, history: History, data_dir: Path) -> None:
    open_pull(fake, history, history.head)
    outcome = analyze_pull_request(**job_arguments(history, history.head))
    assert outcome.startswith("posted"), outcome
    (run,) = check_runs(fake)
    creates = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/check-runs")]
    assert creates[0].body["status"] == "in_progress"
    assert run["status"] == "completed" and run["head_sha"] == history.head
    assert run["conclusion"] in ("success", "failure", "neutral")
    assert fake.annotations[run["id"]] and len(run["actions"]) == 2
    assert [a["identifier"] for a in run["actions"]] == ["rerun", "retrain"]
    assert len(fake.reviews[(REPOSITORY, NUMBER)]) == 1
    first = {c["path"]: c["id"] for c in fake.comments.values()}
    assert first

    fake.move_head(REPOSITORY, NUMBER, history.newer)
    open_pull(fake, history, history.newer)
    again = analyze_pull_request(**job_arguments(history, history.newer))
    assert again.startswith("posted") and "0 updated, 0 resolved" not in again, again
    latest = {c["path"]: c["id"] for c in fake.comments.values()}
    for path, comment_id in latest.items():  # no second comment on a file already commented
        assert first.get(path, comment_id) == comment_id
    assert len(latest) == len(fake.comments)
    assert [r.status for r in rows(data_dir)] == ["completed", "completed"]
    assert_clean(fake)


def test_a_posted_head_is_not_redone_and_force_reposts_the_stored_result(
        fake: FakeGitHub, history: History, data_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    open_pull(fake, history, history.head)
    analyze_pull_request(**job_arguments(history, history.head))
    writes = len(fake.writes())
    assert analyze_pull_request(**job_arguments(history, history.head)) == "already posted"
    assert len(fake.writes()) == writes

    def must_not_analyse(*_: object) -> None:
        raise AssertionError("the stored result is reposted, not recomputed")

    monkeypatch.setattr(pipeline, "_analyse", must_not_analyse)
    forced = analyze_pull_request(**job_arguments(history, history.head, force=True))
    assert forced.startswith("posted"), forced
    first, second = check_runs(fake)
    assert second["conclusion"] == first["conclusion"]
    assert second["output"]["title"] == first["output"]["title"]
    assert len(rows(data_dir)) == 1
    assert_clean(fake)


def test_a_moved_head_drops_the_result(fake: FakeGitHub, history: History,
                                       data_dir: Path) -> None:
    open_pull(fake, history, history.head)
    fake.move_head(REPOSITORY, NUMBER, history.newer)
    outcome = analyze_pull_request(**job_arguments(history, history.head))
    assert outcome == f"superseded by {history.newer}"
    (run,) = check_runs(fake)
    assert run["conclusion"] == "neutral"
    assert run["output"]["title"] == f"superseded by {history.newer[:12]}"
    assert not fake.comments and not fake.annotations[run["id"]]
    assert rows(data_dir)[0].status == "superseded"
    assert_clean(fake)


@pytest.mark.parametrize(("error", "raised"), [
    (ValueError("the parser broke\nTraceback: secret details"), False),
    (JobTimeoutException("Task exceeded maximum timeout value (1800 seconds)"), False),
    (GitHubError(502, "GitHub answered 502 to GET /x: Server Error"), True),
])
def test_an_error_inside_the_analysis_concludes_the_check_run_neutral(
        fake: FakeGitHub, history: History, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
        error: Exception, raised: bool) -> None:
    def broken(*_: object) -> None:
        raise error

    monkeypatch.setattr(pipeline, "_analyse", broken)
    open_pull(fake, history, history.head)
    arguments = job_arguments(history, history.head)
    if raised:  # a retry can succeed: RQ is told (and retries)
        with pytest.raises(GitHubError):
            analyze_pull_request(**arguments)
    else:
        assert analyze_pull_request(**arguments).startswith("failed: ")
    (run,) = check_runs(fake)
    summary = run["output"]["summary"]
    assert run["conclusion"] == "neutral" and "Traceback" not in summary
    assert type(error).__name__ in summary or "ran out of time" in summary
    assert "\n" not in summary.removeprefix("The analysis stopped: ")
    assert rows(data_dir)[0].status == "failed"
    assert_clean(fake)


def test_a_draft_gets_one_neutral_check_run(fake: FakeGitHub, history: History) -> None:
    open_pull(fake, history, history.head)
    assert analyze_pull_request(**job_arguments(history, history.head, draft=True)) == "draft"
    (run,) = check_runs(fake)
    assert (run["conclusion"], run["output"]["title"]) == ("neutral", DRAFT_TITLE)
    assert_clean(fake)


def test_a_config_error_on_the_default_branch_is_reported_neutral(
        fake: FakeGitHub, history: History, data_dir: Path) -> None:
    open_pull(fake, history, history.head)
    fake.add_file(REPOSITORY, ".github/diffrisk.yml", "main", "thresholds:\n  risk: 7\n")
    outcome = analyze_pull_request(**job_arguments(history, history.head))
    assert outcome.startswith("configuration error")
    (run,) = check_runs(fake)
    assert run["conclusion"] == "neutral"
    assert "thresholds.risk" in run["output"]["summary"]
    (row,) = rows(data_dir)
    assert row.config_hash and row.status == "completed" and not fake.comments
    assert_clean(fake)


def test_a_merge_group_gets_a_check_run_only(fake: FakeGitHub, history: History) -> None:
    outcome = analyze_pull_request(**job_arguments(history, history.head, number=None))
    assert outcome.startswith("posted") and "review" not in outcome
    (run,) = check_runs(fake)
    assert run["status"] == "completed" and not fake.reviews
    assert_clean(fake)


def test_a_clone_url_that_is_not_https_concludes_neutral(
        fake: FakeGitHub, history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIFFRISK_ALLOW_LOCAL_CLONE_URLS", "false")
    open_pull(fake, history, history.newer)
    arguments = job_arguments(history, history.newer)
    assert analyze_pull_request(**arguments).startswith("failed: MirrorError")
    (run,) = check_runs(fake)
    assert run["conclusion"] == "neutral" and "https://" in run["output"]["summary"]
    assert_clean(fake)



def test_suggested_reviewers_are_posted_as_logins_and_never_as_addresses(
        fake: FakeGitHub, history: History, data_dir: Path) -> None:
    fake.commit_logins = {"alice@example.com": "alice-gh", "bob@example.com": None,
                          "dan@example.com": "dan-gh"}  # carol: no commits GitHub can match
    open_pull(fake, history, history.head)
    assert analyze_pull_request(**job_arguments(history, history.head)).startswith("posted")
    (run,) = check_runs(fake)
    stored = (rows(data_dir)[0].result or {})["reviewers"]  # what it found: addresses
    assert stored and all("@example.com" in r for r in stored)
    lookups = [r.query for r in fake.requests if r.path.endswith("/commits")]
    assert len(lookups) == len(stored)
    summary = run["output"]["summary"]
    assert "example.com" not in summary
    logins = [fake.commit_logins.get(r) for r in stored]
    expected = [f"@{login}" for login in logins if login]
    assert expected and "### Suggested reviewers\n\n" + ", ".join(expected) in summary
    assert_clean(fake)


def test_the_check_runs_details_link_opens_the_report_on_the_server(
        fake: FakeGitHub, history: History, data_dir: Path, redis_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIFFRISK_DASHBOARD_URL", "https://diffrisk.example.com/")
    monkeypatch.setenv("DIFFRISK_WEBHOOK_SECRET", "the-webhook-secret")
    context.reset()
    open_pull(fake, history, history.head)
    assert analyze_pull_request(**job_arguments(history, history.head)).startswith("posted")
    (run,) = check_runs(fake)
    link = urlsplit(run["details_url"])
    assert (link.scheme, link.netloc) == ("https", "diffrisk.example.com")
    assert link.path == f"/reports/{REPOSITORY}/{history.head}"
    settings = load_settings(environ=os.environ)
    engine = open_store(settings.store_url)
    server = create_app(settings, redis=receiver_redis(settings), engine=engine).test_client()
    page = server.get(f"{link.path}?{link.query}")
    assert page.status_code == 200
    assert history.head[:12] in page.get_data(as_text=True)
    assert server.get(link.path).status_code == 404  # the signature is what opens it
    engine.dispose()
