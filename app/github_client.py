"""The one class that talks to GitHub: a small, typed wrapper over PyGithub's requester.

PyGithub's own retries and throttles are off, so the retries here are the only ones: rate limits
(403/429 with Retry-After, or x-ratelimit-remaining 0 and x-ratelimit-reset) are waited out within
`max_wait` seconds, 5xx answers and dropped connections are retried 3 times with backoff, and any
other 4xx raises GitHubError at once. The token travels only in the Authorization header: it is
never put into a URL, a log line or an exception message.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote

import github
import requests
from github.GithubException import GithubException, RateLimitExceededException

log = logging.getLogger(__name__)

ANNOTATIONS_PER_REQUEST = 50  # GitHub's limit per check-run create or update
SUMMARY_LIMIT = 65_535  # characters of output.summary and output.text
TITLE_LIMIT = 255
SERVER_RETRIES = 3
READ_ONLY_MESSAGE = "resource not accessible by integration"
SECONDARY_LIMIT_WAIT = 60.0  # GitHub: wait a minute when a rate limit says nothing more
TRUNCATED = "\n\n… (truncated)"
_ADVICE = {
    401: "check that the token is valid and not expired",
    403: "check the GitHub App's permissions for this repository",
    404: "check the repository, number or path, and that the App is installed there",
    409: "the resource changed meanwhile; re-read it and try again",
    422: "GitHub refused the request body; this is a diffrisk bug, please report it",
}


class GitHubError(Exception):
    """A GitHub request that failed and will not succeed by retrying."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ReadOnlyTokenError(GitHubError):
    """The token may read but not write (a fork's pull request): report another way."""


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    """A response header by case-insensitive name."""
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None


def _next_cursor(link: str | None) -> str | None:
    """The cursor of the rel="next" page in a Link header, if any."""
    for part in (link or "").split(","):
        if 'rel="next"' in part and "cursor=" in part:
            return unquote(part.split("cursor=", 1)[1].split("&", 1)[0].split(">", 1)[0])
    return None


def _shorten(text: str, limit: int) -> str:
    """Text cut to at most `limit` characters, saying it was cut."""
    return text if len(text) <= limit else text[: limit - len(TRUNCATED)] + TRUNCATED


class GitHubClient:
    """GitHub's REST API as diffrisk uses it, with the retry rules of DESIGN.md."""

    def __init__(self, base_url: str, token: str, sleep: Callable[[float], None] = time.sleep,
                 max_wait: float = 120.0, clock: Callable[[], float] = time.time,
                 timeout: int = 30, bearer: bool = False,
                 before_write: Callable[[str, str], None] | None = None) -> None:
        auth = github.Auth.AppAuthToken(token) if bearer else github.Auth.Token(token)
        self._github = github.Github(
            base_url=base_url, auth=auth, retry=None, timeout=timeout,
            per_page=100, seconds_between_requests=None, seconds_between_writes=None, lazy=True)
        self._sleep = sleep
        self._clock = clock
        self._before_write = before_write
        self.max_wait = max_wait

    # -- check runs ---------------------------------------------------------------------------
    def create_check_run(self, full_name: str, head_sha: str, name: str,
                         status: str = "in_progress", details_url: str | None = None) -> int:
        """Create a check run on head_sha and return its id."""
        body: dict[str, Any] = {"name": name, "head_sha": head_sha, "status": status}
        if details_url:
            body["details_url"] = details_url
        data = self._request("POST", f"/repos/{full_name}/check-runs", body=body)
        return int(data["id"])

    def complete_check_run(self, full_name: str, check_run_id: int, conclusion: str, title: str,
                           summary: str, annotations: Sequence[Mapping[str, Any]],
                           text: str | None = None,
                           actions: Sequence[Mapping[str, str]] = ()) -> None:
        """Conclude a check run, sending its annotations 50 a request (the last one concludes)."""
        output: dict[str, Any] = {"title": _shorten(title, TITLE_LIMIT),
                                  "summary": _shorten(summary, SUMMARY_LIMIT)}
        if text:
            output["text"] = _shorten(text, SUMMARY_LIMIT)
        batches = [list(annotations[i:i + ANNOTATIONS_PER_REQUEST])
                   for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)] or [[]]
        path = f"/repos/{full_name}/check-runs/{check_run_id}"
        for batch in batches[:-1]:
            self._request("PATCH", path, body={"output": {**output, "annotations": batch}})
        last: dict[str, Any] = {"status": "completed", "conclusion": conclusion,
                                "output": {**output, "annotations": batches[-1]}}
        if actions:
            last["actions"] = [dict(action) for action in actions]
        self._request("PATCH", path, body=last)

    # -- repositories, pull requests and files -----------------------------------------------
    def repository_clone_info(self, full_name: str) -> tuple[str, str]:
        """The repository's https clone URL and its default branch."""
        data = self._request("GET", f"/repos/{full_name}")
        return str(data["clone_url"]), str(data["default_branch"])

    def pull_request_head(self, full_name: str, number: int) -> str:
        """The pull request's current head commit sha."""
        data = self._request("GET", f"/repos/{full_name}/pulls/{number}")
        return str(data["head"]["sha"])

    def file_text(self, full_name: str, path: str, ref: str) -> str | None:
        """A file's text at ref, or None when it does not exist there (or is not a file)."""
        try:
            data = self._request("GET", f"/repos/{full_name}/contents/{quote(path)}",
                                 params={"ref": ref})
        except GitHubError as error:
            if error.status == 404:
                return None
            raise
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        if data.get("encoding") != "base64":
            log.warning("%s at %s is too large for the contents API; ignored", path, ref[:12])
            return None
        return base64.b64decode(data.get("content") or "").decode("utf-8", errors="replace")

    def commit_author_login(self, full_name: str, email: str) -> str | None:
        """The GitHub login of the account that the newest commit by this e-mail address
        belongs to; None when GitHub links no account to it."""
        data = self._request("GET", f"/repos/{full_name}/commits",
                             params={"author": email, "per_page": 1})
        author = data[0].get("author") if isinstance(data, list) and data else None
        login = author.get("login") if isinstance(author, dict) else None
        return login if isinstance(login, str) and login else None

    def review_comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        """Every review comment of the pull request (all pages)."""
        comments: list[dict[str, Any]] = []
        page = 1
        while True:
            data = self._request("GET", f"/repos/{full_name}/pulls/{number}/comments",
                                 params={"per_page": 100, "page": page})
            comments.extend(data)
            if len(data) < 100:
                return comments
            page += 1

    def post_review(self, full_name: str, number: int, commit_sha: str, body: str,
                    comments: Sequence[Mapping[str, Any]]) -> int:
        """Post one COMMENT review with line comments; file-level ones join the body. Its id."""
        inline = [{k: v for k, v in c.items() if k != "subject_type"}
                  for c in comments if c.get("line") is not None]
        file_level = [f"**{c['path']}**\n\n{c['body']}" for c in comments if c.get("line") is None]
        review = {"commit_id": commit_sha, "event": "COMMENT",
                  "body": _shorten("\n\n---\n\n".join([body, *file_level]), SUMMARY_LIMIT),
                  "comments": inline}
        data = self._request("POST", f"/repos/{full_name}/pulls/{number}/reviews", body=review)
        return int(data["id"])

    def update_review_comment(self, full_name: str, comment_id: int, body: str) -> None:
        """Replace the body of one review comment."""
        self._request("PATCH", f"/repos/{full_name}/pulls/comments/{comment_id}",
                      body={"body": body})

    # -- the App itself (authenticated with the App's JWT: bearer=True) ----------------------
    def create_installation_token(self, installation_id: int) -> tuple[str, str]:
        """A new installation access token and its expiry (ISO 8601)."""
        data = self._request("POST", f"/app/installations/{int(installation_id)}/access_tokens")
        return str(data["token"]), str(data["expires_at"])

    def hook_deliveries(self, pages: int = 10) -> list[dict[str, Any]]:
        """The App's recent webhook deliveries, newest first (at most `pages` pages of 100)."""
        deliveries: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(pages):
            params: dict[str, Any] = {"per_page": 100}
            if cursor:
                params["cursor"] = cursor
            headers, data = self._request_with_headers("GET", "/app/hook/deliveries", params)
            deliveries.extend(data)
            cursor = _next_cursor(_header(headers, "link"))
            if not cursor or not data:
                break
        return deliveries

    def redeliver(self, delivery_id: int) -> None:
        """Ask GitHub to send a delivery again."""
        self._request("POST", f"/app/hook/deliveries/{int(delivery_id)}/attempts")

    # -- the one place requests are sent ------------------------------------------------------
    def _request(self, method: str, path: str, body: Any = None,
                 params: dict[str, Any] | None = None) -> Any:
        """Send one request with the retry rules; its decoded JSON answer."""
        return self._request_with_headers(method, path, params, body)[1]

    def _request_with_headers(self, method: str, path: str, params: dict[str, Any] | None = None,
                              body: Any = None) -> tuple[Mapping[str, Any], Any]:
        """Send one request with the retry rules (writes wait for the throttle first)."""
        waited = 0.0
        failures = 0
        while True:
            if method != "GET" and self._before_write is not None:
                self._before_write(method, path)
            try:
                return self._github.requester.requestJsonAndCheck(
                    method, path, parameters=params, input=body)
            except GithubException as error:
                wait = self._wait_for(error, method, path, waited)
                if wait is None and (error.status < 500 or failures >= SERVER_RETRIES):
                    raise self._error(error, method, path) from None
            except requests.RequestException as error:
                if failures >= SERVER_RETRIES:
                    raise GitHubError(0, f"GitHub did not answer {method} {path}: "
                                      f"{type(error).__name__}; check the network") from None
                wait = None
            if wait is None:
                wait = float(2**failures)
                failures += 1
            log.info("GitHub %s %s: retrying in %.0f s", method, path, wait)
            self._sleep(wait)
            waited += wait

    def _wait_for(self, error: GithubException, method: str, path: str,
                  waited: float) -> float | None:
        """Seconds to wait before retrying a rate-limited request (None when not limited)."""
        if error.status not in (403, 429):
            return None
        headers = error.headers or {}
        retry_after = _header(headers, "retry-after")
        reset = _header(headers, "x-ratelimit-reset")
        if retry_after is not None and retry_after.strip().isdigit():
            wait = float(retry_after)
        elif _header(headers, "x-ratelimit-remaining") == "0" and reset is not None:
            wait = max(float(reset) - self._clock(), 0.0) + 1.0
        elif error.status == 429 or isinstance(error, RateLimitExceededException):
            wait = SECONDARY_LIMIT_WAIT
        else:
            return None
        if waited + wait > self.max_wait:
            raise GitHubError(error.status, (
                f"GitHub rate limit on {method} {path}: it asks to wait {wait:.0f} s, more than "
                f"the {self.max_wait:.0f} s allowed; try again later or raise max_wait")) from None
        return wait

    @staticmethod
    def _error(error: GithubException, method: str, path: str) -> GitHubError:
        """The one-line error for a failed request."""
        data = error.data if isinstance(error.data, dict) else {}
        message = str(data.get("message") or "no message").splitlines()[0][:300]
        if error.status == 403 and message.lower().startswith(READ_ONLY_MESSAGE):
            return ReadOnlyTokenError(403, (
                f"GitHub answered 403 to {method} {path}: {message}; the token is read-only "
                "(a fork's pull request?): report through annotations or the job log instead"))
        advice = _ADVICE.get(error.status, "GitHub failed; try again later"
                             if error.status >= 500 else "see GitHub's message")
        return GitHubError(error.status, f"GitHub answered {error.status} to {method} {path}: "
                                         f"{message}; {advice}")
