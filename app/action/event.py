"""The pull request that triggered the Action, read from the runner's event file.

The Action runs on `pull_request` and `pull_request_target` events; $GITHUB_EVENT_PATH holds the
webhook payload. Any other event, or a file that is not such a payload, is an EventError whose
one-line message says what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


class EventError(ValueError):
    """The event is not a pull request event, or its file cannot be read as one."""


@dataclass(frozen=True)
class PullRequestEvent:
    """What the Action needs to know about the pull request it runs on."""

    event_name: str
    repository: str
    number: int
    base_sha: str
    base_ref: str
    head_sha: str
    head_ref: str
    fork: bool
    draft: bool


def field(payload: Any, path: str, kind: type, where: Path) -> Any:
    """The value at a dotted path of the payload, checked to be of `kind`."""
    value = payload
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            raise EventError(f"event file {where} has no {path}: it is not a pull request "
                             "event payload")
        value = value[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise EventError(f"event file {where}: {path} should be a {kind.__name__}, not "
                         f"{type(value).__name__}")
    return value


def head_repository(pull_request: dict[str, Any]) -> str | None:
    """The head repository's full name; None when the fork was deleted (`head.repo` null)."""
    head = pull_request.get("head")
    repo = head.get("repo") if isinstance(head, dict) else None
    name = repo.get("full_name") if isinstance(repo, dict) else None
    return name if isinstance(name, str) else None


def load_payload(event_path: Path) -> dict[str, Any]:
    """The event file's JSON object."""
    try:
        payload = json.loads(event_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EventError(f"event file {event_path} does not exist: run diffrisk action inside "
                         "GitHub Actions or pass --event PATH") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventError(f"event file {event_path} is not valid JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise EventError(f"event file {event_path} holds a {type(payload).__name__}, not a "
                         "JSON object")
    return payload


def read_pull_request_event(event_path: Path | str, event_name: str) -> PullRequestEvent:
    """The pull request of a pull_request or pull_request_target event file."""
    if event_name not in PULL_REQUEST_EVENTS:
        raise EventError(f"diffrisk's action runs on pull_request or pull_request_target "
                         f"events, not {event_name or 'an unnamed event'!r}: add "
                         "`on: pull_request` to the workflow")
    where = Path(event_path)
    payload = load_payload(where)
    pr = field(payload, "pull_request", dict, where)
    base_repo = field(payload, "pull_request.base.repo.full_name", str, where)
    head_repo = head_repository(pr)
    return PullRequestEvent(
        event_name=event_name,
        repository=field(payload, "repository.full_name", str, where),
        number=field(payload, "pull_request.number", int, where),
        base_sha=field(payload, "pull_request.base.sha", str, where),
        base_ref=field(payload, "pull_request.base.ref", str, where),
        head_sha=field(payload, "pull_request.head.sha", str, where),
        head_ref=field(payload, "pull_request.head.ref", str, where),
        fork=head_repo != base_repo,
        draft=bool(pr.get("draft", False)),
    )
