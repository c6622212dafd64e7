"""POST /webhooks/github: verify, parse, route, persist, enqueue, answer — in milliseconds.

No GitHub call and no git work happens in the request: the jobs do that. One log line per
delivery (event, action, delivery id, outcome, milliseconds); never the body, the signature or
the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from webhooks.intake import Received, accept
from webhooks.payload import PayloadError
from webhooks.routes import route

log = logging.getLogger("diffrisk.webhooks")
bp = Blueprint("webhooks", __name__)
EXTENSION = "diffrisk.webhooks"
EVENT = re.compile(r"[a-z_]{1,60}")
DELIVERY_ID = re.compile(r"[A-Za-z0-9-]{1,100}")
MAX_ACTION = 60
ANSWERS = {"queued": 202, "pending": 202, "ignored": 202, "duplicate": 200}


@dataclass(frozen=True)
class WebhookState:
    """What the receiver needs, built once by create_app."""

    secret: bytes
    max_bytes: int
    redis: Redis
    engine: Engine


class RejectionError(Exception):
    """A delivery answered with an error status and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def init_webhooks(app: Flask, state: WebhookState) -> None:
    """Attach the receiver's state and the blueprint to the app."""
    app.extensions[EXTENSION] = state
    app.register_blueprint(bp)


def webhook_state(app: Flask) -> WebhookState:
    """The receiver's state attached by init_webhooks."""
    state: WebhookState = app.extensions[EXTENSION]
    return state


def signature_matches(secret: bytes, body: bytes, header: str) -> bool:
    """Whether X-Hub-Signature-256 is the HMAC-SHA256 of the raw body under the secret."""
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header.encode("utf-8", "replace"))


@bp.post("/webhooks/github")
def receive() -> ResponseReturnValue:
    """Receive one GitHub delivery."""
    started = time.perf_counter()
    delivery_id = request.headers.get("X-GitHub-Delivery", "")
    event = request.headers.get("X-GitHub-Event", "")
    action = ""
    try:
        action, outcome, answer = _handle(webhook_state(current_app), event, delivery_id)
        status = ANSWERS.get(outcome, 200)
    except RejectionError as rejected:
        outcome, status, answer = f"rejected {rejected.status}", rejected.status, {
            "error": rejected.reason}
    log.info("delivery %s event=%s action=%s outcome=%s ms=%.1f",
             _shown(delivery_id, DELIVERY_ID), _shown(event, EVENT), action or "-", outcome,
             (time.perf_counter() - started) * 1000)
    return jsonify(answer), status


def _handle(state: WebhookState, event: str,
            delivery_id: str) -> tuple[str, str, dict[str, Any]]:
    """(action, outcome, answer) of a delivery; RejectionError for a 4xx/5xx answer."""
    body = _read_body(state.max_bytes)
    if not signature_matches(state.secret, body, request.headers.get("X-Hub-Signature-256", "")):
        raise RejectionError(401, "missing or wrong X-Hub-Signature-256: check the webhook secret")
    if not EVENT.fullmatch(event) or not DELIVERY_ID.fullmatch(delivery_id):
        raise RejectionError(400, "missing or malformed X-GitHub-Event or X-GitHub-Delivery header")
    payload = _parse(body)
    action = payload.get("action")
    action = action if isinstance(action, str) else ""
    if len(action) > MAX_ACTION:
        raise RejectionError(400, f"action is longer than {MAX_ACTION} characters")
    if event == "ping":
        zen = payload.get("zen")
        return action, "ping", {"ok": True, "zen": zen if isinstance(zen, str) else ""}
    try:
        routing = route(event, action, payload, delivery_id)
    except PayloadError as error:
        raise RejectionError(400, str(error)) from None
    try:
        outcome = accept(state.engine, state.redis,
                         Received(delivery_id, event, action, body, payload), routing)
    except SQLAlchemyError as error:  # its text may quote the body: log the kind only
        log.error("delivery %s could not be stored (%s)", delivery_id, type(error).__name__)
        raise RejectionError(503, "the delivery could not be stored: it will be "
                                  "redelivered") from None
    return action, outcome.status, _answer(outcome.status, outcome.jobs, outcome.reason)


def _answer(status: str, jobs: tuple[str, ...], reason: str) -> dict[str, Any]:
    if status == "queued":
        return {"queued": list(jobs)}
    if status == "ignored":
        return {"ignored": reason}
    return {status: True}


def _read_body(limit: int) -> bytes:
    """The raw body; over the limit (declared or read) is a 413."""
    too_large = RejectionError(413, f"the body is larger than {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    try:
        body = request.stream.read(limit + 1)
    except RequestEntityTooLarge:
        raise too_large from None
    if len(body) > limit:
        raise too_large
    return body


def _parse(body: bytes) -> dict[str, Any]:
    """The JSON object of the body; anything else is a 400."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise RejectionError(400, "the body is not valid JSON: set the webhook's content type to "
                            "application/json") from None
    if not isinstance(payload, dict):
        raise RejectionError(400, "the body is not a JSON object")
    return payload


def _shown(value: str, pattern: re.Pattern[str]) -> str:
    """A header value fit for a log line: itself when well-formed, else a placeholder."""
    return value if pattern.fullmatch(value) else "-" if not value else "(malformed)"
