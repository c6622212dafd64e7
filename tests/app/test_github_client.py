"""GitHubClient against the local fake GitHub: real sockets, GitHub's own request schemas."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from app.github_client import GitHubClient, GitHubError, ReadOnlyTokenError
from app.reports import check_run
from tests.fakegithub import FakeGitHub
from tests.report_samples import sample_result

TOKEN = "ghs_SuperSecretInstallationToken0123456789"
REPO = "octo/demo"
HEAD = "a" * 40
PATCH = "@@ -1,2 +1,140 @@\n a\n" + "".join(f"+line {n}\n" for n in range(2, 140)) + " z"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    """A running fake GitHub with pull request 7 and one file at main."""
    with FakeGitHub() as server:
        server.add_pull(REPO, 7, HEAD, files=[{"filename": "src/app.py", "patch": PATCH},
                                              {"filename": "logo.png"}])
        server.add_file(REPO, "src/a b/ü.py", "main", "x = 'ü'\n")
        yield server
        assert server.response_violations == []


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the client asked for."""
    return []


@pytest.fixture
def client(fake: FakeGitHub, sleeps: list[float]) -> GitHubClient:
    """A client of the fake that records its sleeps instead of sleeping."""
    return GitHubClient(fake.base_url, TOKEN, sleep=sleeps.append, max_wait=30)


def annotation(n: int) -> dict[str, object]:
    """A valid annotation on line n of src/app.py."""
    return {"path": "src/app.py", "start_line": n, "end_line": n,
            "annotation_level": "warning", "title": f"t{n}", "message": f"m{n}"}


def test_check_run_with_120_annotations_takes_three_patches(
        client: GitHubClient, fake: FakeGitHub) -> None:
    run_id = client.create_check_run(REPO, HEAD, "diffrisk", details_url="https://x.invalid/1")
    assert fake.check_runs[run_id]["status"] == "in_progress"
    client.complete_check_run(REPO, run_id, "failure", "title", "s" * 70_000,
                              [annotation(n) for n in range(1, 121)], text="details",
                              actions=[{"label": "Re-run", "description": "again",
                                        "identifier": "rerun"}])
    patches = [r for r in fake.requests if r.method == "PATCH"]
    assert [len(r.body["output"]["annotations"]) for r in patches] == [50, 50, 20]
    assert ["conclusion" in r.body for r in patches] == [False, False, True]
    run = fake.check_runs[run_id]
    assert (run["status"], run["conclusion"]) == ("completed", "failure")
    assert len(run["output"]["summary"]) == 65_535
    assert run["output"]["summary"].endswith("(truncated)")
    assert fake.annotations[run_id] == [annotation(n) for n in range(1, 121)]
    assert fake.violations == []


def test_check_run_without_annotations_is_one_patch(client: GitHubClient,
                                                    fake: FakeGitHub) -> None:
    run_id = client.create_check_run(REPO, HEAD, "diffrisk")
    client.complete_check_run(REPO, run_id, "neutral", "no model", "nothing to score", [])
    assert [r.method for r in fake.requests] == ["POST", "PATCH"]
    assert fake.check_runs[run_id]["conclusion"] == "neutral"
    assert fake.violations == []


def test_429_with_retry_after_is_waited_and_retried(client: GitHubClient, fake: FakeGitHub,
                                                    sleeps: list[float]) -> None:
    fake.fail_next("GET", r"/pulls/7$", 429, {"Retry-After": "7"})
    assert client.pull_request_head(REPO, 7) == HEAD
    assert sleeps == [7.0]


def test_403_rate_limit_waits_until_reset(fake: FakeGitHub, sleeps: list[float]) -> None:
    client = GitHubClient(fake.base_url, TOKEN, sleep=sleeps.append, clock=lambda: 1000.0)
    fake.fail_next("GET", r"/pulls/7$", 403, {"x-ratelimit-remaining": "0",
                                               "x-ratelimit-reset": "1012"},
                   message="API rate limit exceeded for installation ID 1.")
    assert client.pull_request_head(REPO, 7) == HEAD
    assert sleeps == [13.0]


def test_secondary_rate_limit_without_headers_waits_a_minute(fake: FakeGitHub,
                                                             sleeps: list[float]) -> None:
    client = GitHubClient(fake.base_url, TOKEN, sleep=sleeps.append, max_wait=300)
    fake.fail_next("POST", r"/check-runs$", 403,
                   message="You have exceeded a secondary rate limit. Please wait a few minutes "
                           "before you try again.")
    assert client.create_check_run(REPO, HEAD, "diffrisk") > 0
    assert sleeps == [60.0]


def test_a_wait_beyond_max_wait_raises(client: GitHubClient, fake: FakeGitHub,
                                       sleeps: list[float]) -> None:
    fake.fail_next("GET", r"/pulls/7$", 429, {"Retry-After": "3600"})
    with pytest.raises(GitHubError, match="3600 s"):
        client.pull_request_head(REPO, 7)
    assert sleeps == []


def test_502_is_retried_with_backoff(client: GitHubClient, fake: FakeGitHub,
                                     sleeps: list[float]) -> None:
    fake.fail_next("GET", r"/pulls/7$", 502, times=2)
    assert client.pull_request_head(REPO, 7) == HEAD
    assert sleeps == [1.0, 2.0]


def test_5xx_gives_up_after_three_retries(client: GitHubClient, fake: FakeGitHub,
                                          sleeps: list[float]) -> None:
    fake.fail_next("GET", r"/pulls/7$", 503, times=10)
    with pytest.raises(GitHubError) as raised:
        client.pull_request_head(REPO, 7)
    assert raised.value.status == 503
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(fake.requests) == 4


def test_a_server_that_does_not_answer_is_retried_then_reported(sleeps: list[float]) -> None:
    with FakeGitHub() as gone:
        base_url = gone.base_url
    client = GitHubClient(base_url, TOKEN, sleep=sleeps.append, timeout=2)
    with pytest.raises(GitHubError, match="did not answer GET") as raised:
        client.pull_request_head(REPO, 7)
    assert raised.value.status == 0 and sleeps == [1.0, 2.0, 4.0]
    assert TOKEN not in str(raised.value)


def test_file_text_decodes_and_missing_is_none(client: GitHubClient, fake: FakeGitHub) -> None:
    assert client.file_text(REPO, "src/a b/ü.py", "main") == "x = 'ü'\n"
    assert client.file_text(REPO, ".github/diffrisk.yml", "main") is None
    assert fake.requests[0].query == "ref=main"


def test_422_is_not_retried(client: GitHubClient, fake: FakeGitHub, sleeps: list[float]) -> None:
    fake.fail_next("POST", r"/check-runs$", 422, message="Invalid request.")
    with pytest.raises(GitHubError, match=r"^GitHub answered 422 to POST .*Invalid request"):
        client.create_check_run(REPO, HEAD, "diffrisk")
    assert len(fake.requests) == 1 and sleeps == []


def test_read_only_token_raises_at_once(client: GitHubClient, fake: FakeGitHub,
                                        sleeps: list[float]) -> None:
    fake.read_only = True
    with pytest.raises(ReadOnlyTokenError, match="Resource not accessible by integration"):
        client.create_check_run(REPO, HEAD, "diffrisk")
    assert len(fake.requests) == 1 and sleeps == []


def test_token_never_in_urls_messages_or_logs(client: GitHubClient, fake: FakeGitHub,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail_next("GET", r"/pulls/7$", 502, times=1)
    fake.fail_next("GET", r"/pulls/8$", 404)
    client.pull_request_head(REPO, 7)
    with pytest.raises(GitHubError) as raised:
        client.pull_request_head(REPO, 8)
    assert TOKEN not in str(raised.value) and TOKEN not in repr(raised.value.__cause__)
    assert TOKEN not in caplog.text and "retrying" in caplog.text
    assert all(TOKEN not in r.path + r.query for r in fake.requests)
    assert {r.authorization for r in fake.requests} == {f"token {TOKEN}"}


def test_review_is_posted_listed_and_edited(client: GitHubClient, fake: FakeGitHub) -> None:
    comments = [{"path": "src/app.py", "line": n, "side": "RIGHT", "body": f"c{n}"}
                for n in range(2, 132)]
    comments.append({"path": "logo.png", "body": "whole file", "subject_type": "file"})
    client.post_review(REPO, 7, HEAD, "diffrisk review", comments)
    review = fake.reviews[(REPO, 7)][0]
    assert review["commit_id"] == HEAD and "whole file" in review["body"]
    listed = client.review_comments(REPO, 7)
    assert [c["body"] for c in listed] == [f"c{n}" for n in range(2, 132)]
    assert sum(r.path.endswith("/comments") for r in fake.requests) == 2  # two pages
    client.update_review_comment(REPO, listed[0]["id"], "edited")
    assert fake.comments[listed[0]["id"]]["body"] == "edited"
    assert fake.violations == []


def test_a_second_push_updates_diffrisks_comments_instead_of_duplicating(
        client: GitHubClient, fake: FakeGitHub) -> None:
    result = sample_result(files=3)
    patch = "@@ -1,2 +1,10 @@\n a\n" + "".join(f"+n{n}\n" for n in range(2, 10)) + " b"
    fake.add_pull(REPO, 9, HEAD, files=[{"filename": f.path, "patch": patch}
                                        for f in result.files])
    first = check_run.review_comments(result, budget=2)
    plan = check_run.plan_review(first, client.review_comments(REPO, 9), HEAD)
    client.post_review(REPO, 9, HEAD, "diffrisk", [c.as_github() for c in plan.post])
    second = check_run.review_comments(result, budget=1)  # module_1 dropped out of the top
    plan = check_run.plan_review(second, client.review_comments(REPO, 9), "b" * 40)
    assert plan.post == [] and plan.update == [] and len(plan.resolve) == 1
    for comment_id, body in plan.resolve:
        client.update_review_comment(REPO, comment_id, body)
    bodies = [c["body"] for c in client.review_comments(REPO, 9)]
    assert len(bodies) == 2 and bodies[1].startswith("✅ Resolved in bbbbbbbbbbbb")
    assert fake.violations == []
