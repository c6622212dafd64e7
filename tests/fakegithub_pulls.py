"""The fake GitHub's pull-request handlers: the pull, its files, reviews and review comments."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tests.fakegithub_spec import TIMESTAMP, diff_lines

JsonDict = dict[str, Any]


class PullEndpoints:
    """The fake's handlers of /repos/{owner}/{repo}/pulls/... (FakeGitHub holds the state)."""

    pulls: dict[tuple[str, int], JsonDict]
    pull_files: dict[tuple[str, int], list[JsonDict]]
    reviews: dict[tuple[str, int], list[JsonDict]]
    comments: dict[int, JsonDict]
    new_id: Callable[[], int]
    _example: Callable[..., JsonDict]
    page: Callable[..., Any]

    @property
    def base_url(self) -> str:
        """The fake's address (FakeGitHub has it)."""
        raise NotImplementedError

    def _pull(self, p: dict[str, str]) -> tuple[str, int]:
        return f"{p['owner']}/{p['repo']}", int(p["pull_number"])

    def _get_pull(self, p: dict[str, str], _: Any, __: Any) -> tuple[int, Any]:
        pull = self.pulls.get(self._pull(p))
        return (404, {"message": "Not Found"}) if pull is None else (200, copy.deepcopy(pull))

    def _list_files(self, p: dict[str, str], _: Any, args: Any) -> tuple[int, Any]:
        return 200, self.page(self.pull_files.get(self._pull(p), []), args,
                              f"/repos/{p['owner']}/{p['repo']}/pulls/{p['pull_number']}/files")

    def _list_reviews(self, p: dict[str, str], _: Any, args: Any) -> tuple[int, Any]:
        return 200, self.page(self.reviews.get(self._pull(p), []), args,
                              f"/repos/{p['owner']}/{p['repo']}/pulls/{p['pull_number']}/reviews")

    def _create_review(self, p: dict[str, str], body: JsonDict, _: Any) -> tuple[int, Any]:
        key = self._pull(p)
        pull = self.pulls.get(key)
        if pull is None:
            return 404, {"message": "Not Found"}
        files = {f["filename"]: f for f in self.pull_files.get(key, [])}
        for comment in body.get("comments", []):
            entry = files.get(comment["path"])
            if entry is None:
                return 422, f"Path could not be resolved: {comment['path']}"
            if "line" in comment and comment["line"] not in diff_lines(entry.get("patch", "")):
                return 422, f"Line could not be resolved: {comment['path']}:{comment['line']}"
        commit = body.get("commit_id", pull["head"]["sha"])
        review = self._example("pull-request-review", id=self.new_id(), body=body.get("body", ""),
                               state="COMMENTED" if body.get("event") else "PENDING",
                               commit_id=commit, author_association="NONE")
        self.reviews.setdefault(key, []).append(review)
        for comment in body.get("comments", []):
            comment_id = self.new_id()
            self.comments[comment_id] = self._example(
                "pull-request-review-comment", id=comment_id, pull_request_review_id=review["id"],
                path=comment["path"], body=comment["body"], commit_id=commit,
                original_commit_id=commit, line=comment.get("line"), side=comment.get("side"),
                subject_type="line" if "line" in comment else "file", author_association="NONE",
                url=f"{self.base_url}/repos/{key[0]}/pulls/comments/{comment_id}",
                user=self._example("simple-user", login="diffrisk[bot]", type="Bot"),
                pull_request=list(key))
        return 200, copy.deepcopy(review)

    def _list_comments(self, p: dict[str, str], _: Any, args: Any) -> tuple[int, Any]:
        key = list(self._pull(p))
        items = [{k: v for k, v in c.items() if k != "pull_request"}
                 for c in self.comments.values() if c["pull_request"] == key]
        return 200, self.page(items, args,
                              f"/repos/{p['owner']}/{p['repo']}/pulls/{p['pull_number']}/comments")

    def _edit_comment(self, p: dict[str, str], body: JsonDict, _: Any) -> tuple[int, Any]:
        comment = self.comments.get(int(p["comment_id"]))
        if comment is None or comment["pull_request"][0] != f"{p['owner']}/{p['repo']}":
            return 404, {"message": "Not Found"}
        comment.update(body=body["body"], updated_at=TIMESTAMP)
        return 200, {k: v for k, v in comment.items() if k != "pull_request"}
