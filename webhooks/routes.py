"""Routing: a webhook's (event, action) and payload → the jobs to enqueue, or why none.

Pure: no Redis, no database, no network. Jobs are named by dotted path in workers.jobs and take
simple keyword arguments only (ids, names, shas), as workers/queue.py describes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from webhooks import payload as field
from workers.queue import ANALYSES, MAINTENANCE, JobSpec, job_key

ANALYZE = "workers.jobs.analyze_pull_request"
RETRAIN = "workers.jobs.retrain_repository"
ADD_REPOSITORIES = "workers.jobs.add_repositories"
REMOVE_REPOSITORIES = "workers.jobs.remove_repositories"
FORGET_INSTALLATION = "workers.jobs.forget_installation"
SET_SUSPENDED = "workers.jobs.set_suspended"
MINE_DEFAULT_BRANCH = "workers.jobs.mine_default_branch"
MAX_ACCOUNT = 200


@dataclass(frozen=True)
class Routing:
    """What a delivery asks for: the jobs to enqueue, or the reason it is ignored."""

    jobs: tuple[JobSpec, ...] = ()
    ignored: str = ""


@dataclass(frozen=True)
class Repo:
    """The repository a delivery is about, as the jobs receive it."""

    installation_id: int
    full_name: str
    clone_url: str
    default_branch: str


Payload = Mapping[str, Any]
Handler = Callable[[Payload, str], Routing]


def route(event: str, action: str, payload: Payload, delivery_id: str) -> Routing:
    """The jobs a delivery asks for; a malformed field it needs raises PayloadError."""
    handler = HANDLERS.get((event, action))
    if handler is None:
        return Routing(ignored=f"{event}{'.' + action if action else ''} is not handled")
    installation = payload.get("installation")
    if not isinstance(installation, Mapping) or installation.get("id") is None:
        return Routing(ignored="no installation.id: not sent to an App installation")
    routing = handler(payload, delivery_id)
    unique: dict[str, JobSpec] = {}
    for spec in routing.jobs:
        unique.setdefault(spec.job_id, spec)  # one analysis per head commit
    return Routing(tuple(unique.values()), routing.ignored)


def _repo(payload: Payload) -> Repo:
    return Repo(installation_id=field.integer(payload, "installation.id"),
                full_name=field.full_name(payload, "repository.full_name"),
                clone_url=field.text(payload, "repository.clone_url"),
                default_branch=field.text(payload, "repository.default_branch", 255))


def analyze(repo: Repo, number: int | None, head_sha: str, base_sha: str, draft: bool = False,
            force: bool = False) -> JobSpec:
    """The analysis of one head commit (of a pull request, or of a merge group when number is
    None)."""
    kwargs = {"installation_id": repo.installation_id, "repository": repo.full_name,
              "clone_url": repo.clone_url, "number": number, "head_sha": head_sha,
              "base_sha": base_sha, "default_branch": repo.default_branch, "draft": draft,
              "force": force}
    return JobSpec(ANALYZE, kwargs, job_key("analyze", repo.full_name, head_sha), ANALYSES,
                   "analysis")


def _maintenance(function: str, kwargs: dict[str, Any], job_id: str,
                 timeout: str = "bookkeeping") -> Routing:
    return Routing((JobSpec(function, kwargs, job_id, MAINTENANCE, timeout),))


def _pull_request(payload: Payload, _delivery_id: str) -> Routing:
    spec = analyze(_repo(payload), field.integer(payload, "pull_request.number"),
                   field.sha(payload, "pull_request.head.sha"),
                   field.sha(payload, "pull_request.base.sha"),
                   draft=field.flag(payload, "pull_request.draft"))
    return Routing((spec,))


def _listed_pulls(payload: Payload, path: str, force: bool) -> Routing:
    """One analysis per pull request of this repository listed in a check suite or run."""
    repo = _repo(payload)
    repository_id = field.integer(payload, "repository.id")
    jobs = []
    for index, pull in enumerate(field.objects(payload, path)):
        try:
            if field.integer(pull, "base.repo.id") != repository_id:
                continue  # a pull request of another repository (a fork's upstream)
            jobs.append(analyze(repo, field.integer(pull, "number"), field.sha(pull, "head.sha"),
                                field.sha(pull, "base.sha"), force=force))
        except field.PayloadError as error:
            raise field.PayloadError(f"{path}[{index}].{error}") from None
    if not jobs:
        return Routing(ignored=f"{path} lists no pull request of this repository")
    return Routing(tuple(jobs))


def _check_suite(payload: Payload, _delivery_id: str) -> Routing:
    return _listed_pulls(payload, "check_suite.pull_requests",
                         force=payload.get("action") == "rerequested")


def _check_run_rerequested(payload: Payload, _delivery_id: str) -> Routing:
    return _listed_pulls(payload, "check_run.pull_requests", force=True)


def _requested_action(payload: Payload, _delivery_id: str) -> Routing:
    identifier = field.text(payload, "requested_action.identifier", 20)
    if identifier == "rerun":
        return _listed_pulls(payload, "check_run.pull_requests", force=True)
    if identifier == "retrain":
        repo = _repo(payload)
        kwargs = {"installation_id": repo.installation_id, "repository": repo.full_name,
                  "clone_url": repo.clone_url, "default_branch": repo.default_branch}
        return _maintenance(RETRAIN, kwargs, job_key("retrain", repo.full_name), "bootstrap")
    return Routing(ignored=f"requested action {identifier!r} is not one of diffrisk's")


def _merge_group(payload: Payload, _delivery_id: str) -> Routing:
    spec = analyze(_repo(payload), None, field.sha(payload, "merge_group.head_sha"),
                   field.sha(payload, "merge_group.base_sha"))
    return Routing((spec,))


def _add_repositories(payload: Payload, delivery_id: str) -> Routing:
    installation_id = field.integer(payload, "installation.id")
    path = "repositories" if payload.get("action") == "created" else "repositories_added"
    kwargs = {"installation_id": installation_id,
              "account": field.text(payload, "installation.account.login", MAX_ACCOUNT),
              "repositories": field.full_names(payload, path)}
    return _maintenance(ADD_REPOSITORIES, kwargs,
                        job_key("add-repositories", installation_id, delivery_id))


def _remove_repositories(payload: Payload, delivery_id: str) -> Routing:
    installation_id = field.integer(payload, "installation.id")
    kwargs = {"installation_id": installation_id,
              "repositories": field.full_names(payload, "repositories_removed")}
    return _maintenance(REMOVE_REPOSITORIES, kwargs,
                        job_key("remove-repositories", installation_id, delivery_id))


def _forget_installation(payload: Payload, delivery_id: str) -> Routing:
    installation_id = field.integer(payload, "installation.id")
    return _maintenance(FORGET_INSTALLATION, {"installation_id": installation_id},
                        job_key("forget-installation", installation_id, delivery_id))


def _set_suspended(payload: Payload, delivery_id: str) -> Routing:
    installation_id = field.integer(payload, "installation.id")
    kwargs = {"installation_id": installation_id,
              "suspended": payload.get("action") == "suspend"}
    return _maintenance(SET_SUSPENDED, kwargs,
                        job_key("set-suspended", installation_id, delivery_id))


def _push(payload: Payload, _delivery_id: str) -> Routing:
    repo = _repo(payload)
    ref = field.text(payload, "ref", 1000)
    if ref != f"refs/heads/{repo.default_branch}":
        return Routing(ignored=f"a push to {ref}, not to the default branch")
    if field.flag(payload, "deleted"):
        return Routing(ignored="the default branch was deleted")
    after = field.sha(payload, "after")
    kwargs = {"installation_id": repo.installation_id, "repository": repo.full_name,
              "clone_url": repo.clone_url, "default_branch": repo.default_branch,
              "after_sha": after}
    return _maintenance(MINE_DEFAULT_BRANCH, kwargs, job_key("mine", repo.full_name, after),
                        "mining")


HANDLERS: dict[tuple[str, str], Handler] = {
    **{("pull_request", action): _pull_request
       for action in ("opened", "synchronize", "reopened", "ready_for_review")},
    ("check_suite", "requested"): _check_suite,
    ("check_suite", "rerequested"): _check_suite,
    ("check_run", "rerequested"): _check_run_rerequested,
    ("check_run", "requested_action"): _requested_action,
    ("merge_group", "checks_requested"): _merge_group,
    ("installation", "created"): _add_repositories,
    ("installation", "deleted"): _forget_installation,
    ("installation", "suspend"): _set_suspended,
    ("installation", "unsuspend"): _set_suspended,
    ("installation_repositories", "added"): _add_repositories,
    ("installation_repositories", "removed"): _remove_repositories,
    ("push", ""): _push,
}
