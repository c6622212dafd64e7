"""The fake GitHub itself: it must refuse what GitHub refuses and answer as GitHub answers."""

from __future__ import annotations

import base64
import http.client
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakegithub import FakeGitHub
from tests.fakegithub_spec import SUBSET, Spec, diff_lines

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "github"
REPO = "/repos/octo/demo"
PATCH = "@@ -1,3 +1,4 @@\n a\n+b\n c\n d\n@@ -10,2 +11,3 @@\n x\n+y\n z"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    """A running fake with one pull request and one file."""
    with FakeGitHub() as server:
        server.add_pull("octo/demo", 7, "a" * 40, "b" * 40,
                        [{"filename": "src/app.py", "patch": PATCH}])
        server.add_file("octo/demo", "src/app.py", "main", "print('hi')\n")
        yield server


def call(fake: FakeGitHub, method: str, path: str, body: Any = None,
         token: str | None = "ghs_test") -> tuple[int, dict[str, str], Any]:
    """One raw HTTP request to the fake: status, headers, decoded JSON."""
    connection = http.client.HTTPConnection(fake.base_url.removeprefix("http://"), timeout=5)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"token {token}"
    connection.request(method, path, None if body is None else json.dumps(body), headers)
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), json.loads(raw) if raw else None


def test_invalid_body_is_refused_and_recorded(fake: FakeGitHub) -> None:
    status, _, run = call(fake, "POST", f"{REPO}/check-runs", {"name": "x", "head_sha": "a"})
    assert status == 201
    status, _, answer = call(fake, "PATCH", f"{REPO}/check-runs/{run['id']}",
                             {"conclusion": "maybe"})
    assert status == 422
    assert "maybe" in answer["errors"][0]
    assert len(fake.violations) == 1 and "conclusion" in fake.violations[0]
    assert fake.check_runs[run["id"]]["conclusion"] is None


def test_too_many_annotations_and_unknown_routes_are_violations(fake: FakeGitHub) -> None:
    run = call(fake, "POST", f"{REPO}/check-runs", {"name": "x", "head_sha": "a"})[2]
    note = {"path": "a", "start_line": 1, "end_line": 1, "annotation_level": "notice",
            "message": "m"}
    output = {"title": "t", "summary": "s", "annotations": [note] * 51}
    assert call(fake, "PATCH", f"{REPO}/check-runs/{run['id']}", {"output": output})[0] == 422
    assert call(fake, "DELETE", f"{REPO}/check-runs/{run['id']}")[0] == 422
    assert call(fake, "GET", "/repos/octo/demo/issues")[0] == 422
    assert call(fake, "GET", f"{REPO}/check-runs/abc")[0] == 422
    assert len(fake.violations) == 4 and "must be an integer" in fake.violations[-1]
    assert fake.annotations[run["id"]] == []


def test_every_answer_matches_the_response_schema(fake: FakeGitHub) -> None:
    run = call(fake, "POST", f"{REPO}/check-runs",
               {"name": "diffrisk", "head_sha": "a" * 40, "status": "in_progress"})[2]
    note = {"path": "src/app.py", "start_line": 2, "end_line": 2,
            "annotation_level": "warning", "message": "m"}
    body = {"conclusion": "neutral", "output": {"title": "t", "summary": "s",
                                                "annotations": [note]}}
    assert call(fake, "PATCH", f"{REPO}/check-runs/{run['id']}", body)[0] == 200
    assert call(fake, "GET", f"{REPO}/check-runs/{run['id']}")[2]["conclusion"] == "neutral"
    assert call(fake, "GET", f"{REPO}/pulls/7")[2]["head"]["sha"] == "a" * 40
    assert call(fake, "GET", f"{REPO}/pulls/7/files")[2][0]["filename"] == "src/app.py"
    review = {"commit_id": "a" * 40, "event": "COMMENT", "body": "b",
              "comments": [{"path": "src/app.py", "line": 12, "side": "RIGHT", "body": "c"}]}
    assert call(fake, "POST", f"{REPO}/pulls/7/reviews", review)[0] == 200
    assert len(call(fake, "GET", f"{REPO}/pulls/7/reviews")[2]) == 1
    comment = call(fake, "GET", f"{REPO}/pulls/7/comments")[2][0]
    assert call(fake, "PATCH", f"{REPO}/pulls/comments/{comment['id']}",
                {"body": "edited"})[2]["body"] == "edited"
    content = call(fake, "GET", f"{REPO}/contents/src/app.py?ref=main")[2]
    assert base64.b64decode(content["content"]) == b"print('hi')\n"
    assert call(fake, "GET", REPO)[2]["default_branch"] == "main"
    fake.commit_logins = {"a@example.com": "octocat", "b@example.com": None}
    assert call(fake, "GET", f"{REPO}/commits?author=a@example.com&per_page=1"
                )[2][0]["author"]["login"] == "octocat"
    assert call(fake, "GET", f"{REPO}/commits?author=b@example.com")[2][0]["author"] is None
    assert call(fake, "GET", f"{REPO}/commits?author=c@example.com")[2] == []
    assert call(fake, "POST", "/app/installations/5/access_tokens")[0] == 201
    assert call(fake, "GET", "/app")[2]["slug"] == "diffrisk"
    assert call(fake, "GET", "/app/hook/deliveries")[2] == []
    assert call(fake, "POST", "/app/hook/deliveries/9/attempts")[0] == 202
    assert fake.redeliveries == [9]
    assert fake.violations == []
    assert fake.response_violations == []


def test_review_comments_must_be_on_the_diff(fake: FakeGitHub) -> None:
    outside = {"event": "COMMENT", "body": "b",
               "comments": [{"path": "src/app.py", "line": 40, "body": "c"}]}
    unknown = {"event": "COMMENT", "body": "b",
               "comments": [{"path": "nope.py", "line": 1, "body": "c"}]}
    assert call(fake, "POST", f"{REPO}/pulls/7/reviews", outside)[0] == 422
    assert call(fake, "POST", f"{REPO}/pulls/7/reviews", unknown)[0] == 422
    assert fake.comments == {}
    assert diff_lines(PATCH) == {1, 2, 3, 4, 11, 12, 13}


def test_read_only_mode_refuses_writes_as_github_does(fake: FakeGitHub) -> None:
    fake.read_only = True
    status, _, answer = call(fake, "POST", f"{REPO}/check-runs", {"name": "x", "head_sha": "a"})
    assert (status, answer["message"]) == (403, "Resource not accessible by integration")
    assert call(fake, "GET", f"{REPO}/pulls/7")[0] == 200
    assert fake.violations == []


def test_failure_injection_authorization_and_pagination(fake: FakeGitHub) -> None:
    fake.fail_next("GET", r"/pulls/7$", 429, {"Retry-After": "3"}, times=2)
    first, second = call(fake, "GET", f"{REPO}/pulls/7"), call(fake, "GET", f"{REPO}/pulls/7")
    assert [first[0], second[0]] == [429, 429] and first[1]["Retry-After"] == "3"
    assert call(fake, "GET", f"{REPO}/pulls/7")[0] == 200
    assert call(fake, "GET", f"{REPO}/pulls/7", token=None)[0] == 401
    assert [r.authorization for r in fake.requests[:3]] == ["token ghs_test"] * 3
    fake.pull_files[("octo/demo", 7)] *= 5
    _, headers, page = call(fake, "GET", f"{REPO}/pulls/7/files?per_page=2&page=2")
    assert len(page) == 2 and 'page=3>; rel="next"' in headers["Link"]


def test_subset_has_every_operation_and_resolves_standalone() -> None:
    spec = Spec()
    vendor = _vendor_module()
    for method, template in vendor.OPERATIONS:
        assert spec.match(method.upper(), template.replace("{", "").replace("}", ""))
    assert SUBSET.stat().st_size < 1_500_000
    missing = [ref for ref in vendor.refs_in(spec.doc) if not _resolves(spec.doc, ref)]
    assert missing == []


def _resolves(doc: dict[str, Any], ref: str) -> bool:
    node: Any = doc
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _vendor_module() -> Any:
    """scripts/vendor_github.py, imported by path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("vendor_github", ROOT / "scripts" /
                                                  "vendor_github.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not SHARED.exists(), reason="needs ../shared/github")
def test_vendored_files_are_up_to_date(tmp_path: Path) -> None:
    _vendor_module().vendor(SHARED, tmp_path)
    fixtures = ROOT / "tests" / "fixtures" / "github"
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    assert made == sorted(p.relative_to(fixtures) for p in fixtures.rglob("*.json"))
    for relative in made:
        assert (tmp_path / relative).read_bytes() == (fixtures / relative).read_bytes(), relative
