"""Every routed (event, action): the official example payload → the right job in the real queue."""

from __future__ import annotations

from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job

from tests.webhooks.conftest import Deliver, load
from webhooks.payload import PayloadError
from webhooks.routes import route
from workers.queue import ANALYSES, MAINTENANCE, TIMEOUTS, job_key

HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
AFTER = "a" * 40
HELLO = {"installation_id": 1, "repository": "Codertocat/Hello-World",
         "clone_url": "https://github.com/Codertocat/Hello-World.git",
         "default_branch": "master"}


def analysis(number: int | None = 2, head: str = HEAD, base: str = BASE, draft: bool = False,
             force: bool = False, repo: dict[str, Any] | None = None) -> dict[str, Any]:
    """The keyword arguments of analyze_pull_request."""
    return {**HELLO, **(repo or {}), "number": number, "head_sha": head, "base_sha": base,
            "draft": draft, "force": force}


def with_pull(name: str, path: str) -> dict[str, Any]:
    """A check suite/run payload listing pull request #2 of its repository."""
    payload = load(name)
    target = payload
    for key in path.split("."):
        target = target[key]
    target["pull_requests"] = [{
        "number": 2, "url": "https://api.github.com/repos/o/r/pulls/2",
        "head": {"ref": "changes", "sha": HEAD, "repo": {"id": payload["repository"]["id"]}},
        "base": {"ref": "master", "sha": BASE, "repo": {"id": payload["repository"]["id"]}}}]
    return payload


def draft_pull() -> dict[str, Any]:
    payload = load("pull_request.opened")
    payload["pull_request"]["draft"] = True
    return payload


def requested(identifier: str) -> dict[str, Any]:
    payload = load("check_run.requested_action")
    payload["requested_action"]["identifier"] = identifier
    return payload


def default_branch_push() -> dict[str, Any]:
    payload = load("push")
    payload.update(ref="refs/heads/master", after=AFTER, deleted=False, created=False)
    return payload


ELECTRON: dict[str, Any] = {"installation_id": 690857, "repository": "electron/electron",
            "clone_url": "https://github.com/electron/electron.git", "default_branch": "master"}
ELECTRON_HEAD, ELECTRON_BASE = ("5bd5f196a46b8222fb7484f05faba41a73cf34bd",
                                "45eee468647309e9e6cdb2a88a3b460a59771fef")
CHECK_RUN_HELLO: dict[str, Any] = {"installation_id": 1, "repository": "github/hello-world",
                   "clone_url": "http://github.com/github/hello-world.git"}
MERGE: dict[str, Any] = {"installation_id": 1, "repository": "octo-org/octo-repo",
         "clone_url": "https://github.com/octo-org/octo-repo.git", "default_branch": "main"}
ANALYZE, QUEUE_A = "workers.jobs.analyze_pull_request", (ANALYSES, "analysis")

CASES: list[tuple[str, dict[str, Any], str, tuple[str, str], dict[str, Any]]] = [
    ("pull_request", load("pull_request.opened"), ANALYZE, QUEUE_A, analysis()),
    ("pull_request", load("pull_request.synchronize"), ANALYZE, QUEUE_A, analysis()),
    ("pull_request", load("pull_request.reopened"), ANALYZE, QUEUE_A, analysis()),
    ("pull_request", load("pull_request.ready_for_review"), ANALYZE, QUEUE_A, analysis()),
    ("pull_request", draft_pull(), ANALYZE, QUEUE_A, analysis(draft=True)),
    ("check_suite", with_pull("check_suite.requested", "check_suite"), ANALYZE, QUEUE_A,
     analysis(repo={"installation_id": 957387})),
    ("check_suite", load("check_suite.rerequested"), ANALYZE, QUEUE_A,
     analysis(force=True, repo={"installation_id": 957387})),
    ("check_run", with_pull("check_run.rerequested", "check_run"), ANALYZE, QUEUE_A,
     analysis(force=True, repo=CHECK_RUN_HELLO)),
    ("check_run", requested("rerun"), ANALYZE, QUEUE_A,
     analysis(26764, ELECTRON_HEAD, ELECTRON_BASE, force=True, repo=ELECTRON)),
    ("check_run", requested("retrain"), "workers.jobs.retrain_repository",
     (MAINTENANCE, "bootstrap"), ELECTRON),
    ("merge_group", load("merge_group.checks_requested"), ANALYZE, QUEUE_A,
     analysis(None, "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d",
              "380387fbc80638b734a49e1be1c4dfec1c01b33c", repo=MERGE)),
    ("installation", load("installation.created"), "workers.jobs.add_repositories",
     (MAINTENANCE, "bookkeeping"), {"installation_id": 957387, "account": "Codertocat",
                                    "repositories": ["Codertocat/Hello-World"]}),
    ("installation", load("installation.deleted"), "workers.jobs.forget_installation",
     (MAINTENANCE, "bookkeeping"), {"installation_id": 2}),
    ("installation", load("installation.suspend"), "workers.jobs.set_suspended",
     (MAINTENANCE, "bookkeeping"), {"installation_id": 16598467, "suspended": True}),
    ("installation", load("installation.unsuspend"), "workers.jobs.set_suspended",
     (MAINTENANCE, "bookkeeping"), {"installation_id": 16598467, "suspended": False}),
    ("installation_repositories", load("installation_repositories.added"),
     "workers.jobs.add_repositories", (MAINTENANCE, "bookkeeping"),
     {"installation_id": 957387, "account": "Codertocat", "repositories": ["Codertocat/Space"]}),
    ("installation_repositories", load("installation_repositories.removed"),
     "workers.jobs.remove_repositories", (MAINTENANCE, "bookkeeping"),
     {"installation_id": 2, "repositories": ["octocat/Hello-World"]}),
    ("push", default_branch_push(), "workers.jobs.mine_default_branch", (MAINTENANCE, "mining"),
     {**HELLO, "after_sha": AFTER}),
]


@pytest.mark.parametrize(("event", "payload", "function", "where", "kwargs"), CASES,
                         ids=[f"{c[0]}.{c[1].get('action', '')}-{i}" for i, c in enumerate(CASES)])
def test_each_routed_event_enqueues_its_job_with_exactly_these_arguments(
        deliver: Deliver, redis: Redis, event: str, payload: dict[str, Any], function: str,
        where: tuple[str, str], kwargs: dict[str, Any]) -> None:
    answer = deliver(event, payload)
    assert answer.status_code == 202, answer.get_json()
    queue_name, timeout = where
    queue = Queue(queue_name, connection=redis)
    [job] = queue.jobs
    assert answer.get_json() == {"queued": [job.id]}
    assert (job.func_name, job.kwargs, job.args) == (function, kwargs, ())
    assert job.timeout == TIMEOUTS[timeout]
    other = Queue(MAINTENANCE if queue_name == ANALYSES else ANALYSES, connection=redis)
    assert other.count == 0


def test_analysis_and_mining_job_ids_are_the_agreed_keys(deliver: Deliver, redis: Redis) -> None:
    deliver("pull_request", load("pull_request.opened"))
    deliver("push", default_branch_push())
    assert Job.exists(job_key("analyze", "Codertocat/Hello-World", HEAD), connection=redis)
    assert Job.exists(job_key("mine", "Codertocat/Hello-World", AFTER), connection=redis)


def test_a_deleted_default_branch_is_ignored() -> None:
    payload = default_branch_push()
    payload.update(deleted=True, after="0" * 40)
    assert route("push", "", payload, "d").ignored == "the default branch was deleted"


def test_pull_requests_of_another_repository_are_not_analysed_here() -> None:
    payload = with_pull("check_suite.rerequested", "check_suite")
    payload["check_suite"]["pull_requests"][0]["base"]["repo"]["id"] = 1
    assert "lists no pull request of this repository" in route(
        "check_suite", "rerequested", payload, "d").ignored


def test_one_head_listed_by_two_pull_requests_is_analysed_once() -> None:
    payload = with_pull("check_suite.rerequested", "check_suite")
    second = {**payload["check_suite"]["pull_requests"][0], "number": 3}
    payload["check_suite"]["pull_requests"].append(second)
    routing = route("check_suite", "rerequested", payload, "d")
    assert [spec.kwargs["number"] for spec in routing.jobs] == [2]


def test_a_malformed_listed_pull_request_names_its_place() -> None:
    payload = with_pull("check_suite.rerequested", "check_suite")
    payload["check_suite"]["pull_requests"][0]["head"]["sha"] = "zzz"
    with pytest.raises(PayloadError, match=r"check_suite\.pull_requests\[0\]\.head\.sha must be"):
        route("check_suite", "rerequested", payload, "d")


def test_lifecycle_job_ids_differ_per_delivery_so_order_is_kept() -> None:
    suspend, unsuspend = load("installation.suspend"), load("installation.unsuspend")
    ids = {route("installation", "suspend", suspend, "d1").jobs[0].job_id,
           route("installation", "unsuspend", unsuspend, "d2").jobs[0].job_id,
           route("installation", "suspend", suspend, "d3").jobs[0].job_id}
    assert len(ids) == 3
