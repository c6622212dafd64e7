"""A recording fake of GitHub's REST API on a real local socket, checked against GitHub's own spec.

Every request is matched to an operation of tests/fixtures/github/openapi-subset.json (written by
scripts/vendor_github.py) and its JSON body validated against that operation's request schema; an
unknown route or an invalid body answers 422 and lands in `violations`. Every response the fake
sends is validated against the operation's response schema too (`response_violations`).
Use: `with FakeGitHub() as fake: ...` then `GitHubClient(fake.base_url, ...)`, and assert
`fake.violations == []` at the end. Tests register state with add_pull and add_file; `fake.auth =
AppAuth(app_id, public_key_pem)` makes the fake check Authorization as GitHub does (App JWTs on
/app/*, tokens it minted elsewhere; a failed check is a violation and a 401).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from tests.fakegithub_auth import AppAuth, AppEndpoints
from tests.fakegithub_pulls import PullEndpoints
from tests.fakegithub_spec import (
    TIMESTAMP,
    Failure,
    Operation,
    QuietHandler,
    Spec,
    deep_merge,
    github_base64,
    paginate,
)

READ_ONLY_MESSAGE = "Resource not accessible by integration"
WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
JsonDict = dict[str, Any]


@dataclass
class Recorded:
    """One request as the fake saw it."""

    method: str
    path: str
    query: str
    authorization: str | None
    body: Any
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)


class FakeGitHub(AppEndpoints, PullEndpoints):
    """A recording fake GitHub REST server on 127.0.0.1 (a context manager)."""

    def __init__(self, spec: Spec | None = None) -> None:
        self.spec = spec or Spec()
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.response_violations: list[str] = []
        self.read_only = False
        self.check_runs: dict[int, JsonDict] = {}
        self.annotations: dict[int, list[JsonDict]] = {}
        self.pulls: dict[tuple[str, int], JsonDict] = {}
        self.pull_files: dict[tuple[str, int], list[JsonDict]] = {}
        self.reviews: dict[tuple[str, int], list[JsonDict]] = {}
        self.comments: dict[int, JsonDict] = {}
        self.contents: dict[tuple[str, str, str], bytes] = {}
        self.tokens: list[str] = []
        self.deliveries: list[JsonDict] = []
        self.redeliveries: list[int] = []
        self.default_branch = "main"
        self.clone_urls: dict[str, str] = {}  # GET /repos/{owner}/{repo}'s clone_url by name
        # GET .../commits?author=EMAIL: a commit by EMAIL, its account's login or None (no
        # account linked to the address); an address not listed has no commits.
        self.commit_logins: dict[str, str | None] = {}
        self.auth: AppAuth | None = None  # None: any Authorization header is accepted
        self.token_expires = time.time() + 3600  # every minted token's expiry (epoch seconds)
        self._failures: list[Failure] = []
        self._ids = itertools.count(1001)
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = self._handlers()

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        """Listen on a free port of 127.0.0.1 in a daemon thread."""
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True,
                                   request_handler=QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT, PyGithub's base_url for this fake."""
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_port}"

    # -- what tests register ------------------------------------------------------------------
    def add_pull(self, repo: str, number: int, head_sha: str, base_sha: str = "0" * 40,
                 files: Sequence[JsonDict] = ()) -> JsonDict:
        """Register a pull request; files are diff entries (filename, patch, status...)."""
        pull = self._example(
            "pull-request", id=number, number=number, state="open", title=f"PR {number}",
            url=f"{self.base_url}/repos/{repo}/pulls/{number}",
            head={"sha": head_sha, "ref": "feature", "label": "octo:feature"},
            base={"sha": base_sha, "ref": self.default_branch, "label": "octo:main"})
        entries = [self._diff_entry(repo, entry) for entry in files]
        with self._lock:
            self.pulls[(repo, number)] = pull
            self.pull_files[(repo, number)] = entries
        return pull

    def _diff_entry(self, repo: str, entry: JsonDict) -> JsonDict:
        """A full diff entry from the few fields a test gives."""
        patch = entry.get("patch", "")
        added = sum(1 for line in patch.splitlines() if line.startswith("+"))
        deleted = sum(1 for line in patch.splitlines() if line.startswith("-"))
        return {**self._example("diff-entry"), "sha": "f" * 40, "status": "modified",
                "additions": added, "deletions": deleted, "changes": added + deleted, **entry}

    def add_file(self, repo: str, path: str, ref: str, text: str | bytes) -> None:
        """Register a file's content at a ref (a branch name or a sha)."""
        data = text.encode() if isinstance(text, str) else text
        with self._lock:
            self.contents[(repo, path, ref)] = data

    def fail_next(self, method: str, path_regex: str, status: int,
                  headers: dict[str, str] | None = None, times: int = 1,
                  message: str | None = None) -> None:
        """Answer the next `times` requests matching method + path_regex with status."""
        default = {429: "API rate limit exceeded for installation.", 403: "Forbidden",
                   404: "Not Found", 422: "Validation Failed"}.get(status, "Server Error")
        with self._lock:
            self._failures.append(Failure(method.upper(), re.compile(path_regex), status,
                                          {} if headers is None else dict(headers),
                                          message or default, times))

    def move_head(self, repo: str, number: int, head_sha: str) -> None:
        """Push to a registered pull request: its head is now head_sha."""
        with self._lock:
            self.pulls[(repo, number)]["head"]["sha"] = head_sha

    def new_id(self) -> int:
        """A fresh object id."""
        return next(self._ids)

    def writes(self) -> list[Recorded]:
        """The recorded requests that changed something."""
        return [r for r in self.requests if r.method in WRITES]

    # -- serving ------------------------------------------------------------------------------
    def _wsgi(self, environ: JsonDict, start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self._answer(request)
        except Exception as error:  # a bug of the fake: make it loud, not a hung client
            self.violations.append(f"fake failed on {request.method} {request.path}: {error!r}")
            response = Response('{"message": "fake failed"}', status=500)
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        """Record, inject, route, validate and serve one request."""
        body: Any = None
        raw = request.get_data()
        record = Recorded(request.method, request.path, request.query_string.decode(),
                          request.headers.get("Authorization"), None, headers=dict(request.headers))
        with self._lock:
            self.requests.append(record)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return self._reject(record, f"{request.method} {request.path}: body is not JSON")
            record.body = body
            injected = self._injected(record)
            if injected is not None:
                return injected
            found = self.spec.match(request.method, request.path)
            if found is None:
                return self._reject(record, f"{request.method} {request.path}: no such operation")
            operation, params = found
            if record.authorization is None:
                return self._send(record, None, 401, {"message": "Requires authentication"})
            refused = self.auth and self.auth.problem(request.path, record.authorization)
            if refused:
                self.violations.append(refused)
                return self._send(record, None, 401, {"message": "Bad credentials"})
            if self.read_only and request.method in WRITES and request.path.startswith("/repos/"):
                return self._send(record, None, 403, {"message": READ_ONLY_MESSAGE})
            problems = [*self.spec.path_errors(operation, params),
                        *self.spec.request_errors(operation, body)]
            if problems:
                return self._reject(record, f"{operation.method} {operation.template}: "
                                    + "; ".join(problems))
            handler = self._routes[(operation.method, operation.template)]
            status, payload = handler(params, body, request.args)
            if status == 422:
                return self._reject(record, f"{operation.method} {request.path}: {payload}")
            return self._send(record, operation, status, payload)

    def _injected(self, record: Recorded) -> Response | None:
        """The injected failure for this request, if one matches."""
        for failure in self._failures:
            if failure.method == record.method and failure.path.search(record.path):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                response = self._send(record, None, failure.status, {"message": failure.message})
                response.headers.update(failure.headers)
                return response
        return None

    def _reject(self, record: Recorded, violation: str) -> Response:
        """A 422 for a request GitHub would refuse, recorded as a violation."""
        self.violations.append(violation)
        return self._send(record, None, 422, {"message": "Validation Failed",
                                               "errors": [violation]})

    def _send(self, record: Recorded, operation: Operation | None, status: int,
              payload: Any, headers: dict[str, str] | None = None) -> Response:
        """A JSON answer, validated against the operation's response schema."""
        if isinstance(payload, tuple):  # (items, link header) from a paginated handler
            payload, headers = payload
        if operation is not None:
            ref = self.spec.response_ref(operation, status)
            if ref is not None:
                self.response_violations.extend(
                    f"{operation.method} {operation.template} {status}: {e}"
                    for e in self.spec.errors(ref, payload))
        record.status = status
        body = "" if payload is None else json.dumps(payload)
        return Response(body, status=status, headers=headers or {},
                        content_type="application/json; charset=utf-8")

    def page(self, items: list[JsonDict], args: Any, path: str) -> tuple[list[JsonDict],
                                                                         dict[str, str]]:
        """One page of items and its Link header, as GitHub paginates."""
        return paginate(items, args, self.base_url + path)

    # -- handlers: (path parameters, JSON body, query) -> (status, payload) -------------------
    def _handlers(self) -> dict[tuple[str, str], Callable[..., tuple[int, Any]]]:
        """The handler of each operation of the subset."""
        repo, pull = "/repos/{owner}/{repo}", "/repos/{owner}/{repo}/pulls/{pull_number}"
        return {
            ("POST", f"{repo}/check-runs"): self._create_check_run,
            ("GET", f"{repo}/check-runs/{{check_run_id}}"): self._get_check_run,
            ("PATCH", f"{repo}/check-runs/{{check_run_id}}"): self._update_check_run,
            ("GET", pull): self._get_pull,
            ("GET", f"{pull}/files"): self._list_files,
            ("GET", f"{pull}/reviews"): self._list_reviews,
            ("POST", f"{pull}/reviews"): self._create_review,
            ("GET", f"{pull}/comments"): self._list_comments,
            ("PATCH", f"{repo}/pulls/comments/{{comment_id}}"): self._edit_comment,
            ("GET", f"{repo}/contents/{{path}}"): self._get_content,
            ("GET", f"{repo}/commits"): self._list_commits,
            ("GET", repo): self._get_repo,
            ("POST", "/app/installations/{installation_id}/access_tokens"): self._token,
            ("GET", "/app/hook/deliveries"): self._list_deliveries,
            ("POST", "/app/hook/deliveries/{delivery_id}/attempts"): self._redeliver,
            ("GET", "/app"): self._get_app,
        }

    def _example(self, schema_name: str, /, **fields: Any) -> JsonDict:
        """A schema-valid object of components/schemas/name with fields written over it."""
        merged: JsonDict = deep_merge(self.spec.example(
            {"$ref": f"#/components/schemas/{schema_name}"}), fields)
        return merged

    def _create_check_run(self, p: dict[str, str], body: JsonDict, _: Any) -> tuple[int, Any]:
        run_id = self.new_id()
        url = f"{self.base_url}/repos/{p['owner']}/{p['repo']}/check-runs/{run_id}"
        self.check_runs[run_id] = self._example(
            "check-run", id=run_id, name=body["name"], head_sha=body["head_sha"], url=url,
            status=body.get("status", "queued"), details_url=body.get("details_url"),
            output={"title": None, "summary": None, "text": None, "annotations_count": 0,
                    "annotations_url": f"{url}/annotations"})
        self.annotations[run_id] = []
        return self._update_check_run({"check_run_id": str(run_id)},
                                      {k: v for k, v in body.items() if k != "status"}, None, 201)

    def _get_check_run(self, p: dict[str, str], _: Any, __: Any) -> tuple[int, Any]:
        run = self.check_runs.get(int(p["check_run_id"]))
        return (404, {"message": "Not Found"}) if run is None else (200, copy.deepcopy(run))

    def _update_check_run(self, p: dict[str, str], body: JsonDict, _: Any,
                          status: int = 200) -> tuple[int, Any]:
        run_id = int(p["check_run_id"])
        run = self.check_runs.get(run_id)
        if run is None:
            return 404, {"message": "Not Found"}
        if body.get("status") == "completed" and "conclusion" not in body:
            return 422, "conclusion is required when status is completed"
        output = dict(body.get("output") or {})
        if output and ("title" not in output or "summary" not in output):
            return 422, "output needs a title and a summary"
        self.annotations[run_id].extend(output.pop("annotations", []))
        run["output"].update({k: output[k] for k in ("title", "summary", "text") if k in output})
        run["output"]["annotations_count"] = len(self.annotations[run_id])
        for key in ("name", "details_url", "external_id", "status", "conclusion", "actions"):
            if key in body:
                run[key] = body[key]
        if "conclusion" in body:
            run.update(status="completed", completed_at=body.get("completed_at", TIMESTAMP))
        return status, copy.deepcopy(run)

    def _get_content(self, p: dict[str, str], _: Any, args: Any) -> tuple[int, Any]:
        name = f"{p['owner']}/{p['repo']}"
        data = self.contents.get((name, p["path"], args.get("ref", self.default_branch)))
        if data is None:
            return 404, {"message": "Not Found"}
        return 200, self._example(
            "content-file", type="file", encoding="base64", size=len(data), name=p["path"]
            .rsplit("/", 1)[-1], path=p["path"], sha="e" * 40, content=github_base64(data))

    def _list_commits(self, p: dict[str, str], _: Any, args: Any) -> tuple[int, Any]:
        """The newest commit by ?author=EMAIL (see commit_logins), or none."""
        email = args.get("author", "")
        if email not in self.commit_logins:
            return 200, []
        login = self.commit_logins[email]
        user = None if login is None else self._example("simple-user", login=login,
                                                         id=self.new_id())
        return 200, [self._example("commit", sha=f"{self.new_id():040d}", author=user)]

    def _get_repo(self, p: dict[str, str], _: Any, __: Any) -> tuple[int, Any]:
        name = f"{p['owner']}/{p['repo']}"
        return 200, self._example("full-repository", name=p["repo"], full_name=name, id=1,
                                  default_branch=self.default_branch, clone_url=self.clone_urls
                                  .get(name, f"https://github.com/{name}.git"))

