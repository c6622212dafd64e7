"""POST /webhooks/github: signature, size, headers, JSON, ping, ignored events, logging."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import Engine

from app.server import create_app
from app.settings import Settings
from tests.webhooks.conftest import SECRET, Deliver, load, rows, sign
from workers.queue import ANALYSES, MAINTENANCE


def test_a_signed_pull_request_is_persisted_queued_and_answered_202(
        deliver: Deliver, redis: Redis, engine: Engine) -> None:
    answer = deliver("pull_request", load("pull_request.opened"), delivery_id="guid-1")
    assert answer.status_code == 202
    queued = answer.get_json()["queued"]
    assert queued == Queue(ANALYSES, connection=redis).job_ids
    [row] = rows(engine)
    assert (row.delivery_id, row.event, row.action, row.status, row.jobs, row.installation_id) == (
        "guid-1", "pull_request", "opened", "queued", queued, 1)
    assert json.loads(row.body) == load("pull_request.opened")


@pytest.mark.parametrize("signature", [
    "",  # missing
    "sha256=" + "0" * 64,
    sign(b"another body"),
    sign(json.dumps(load("pull_request.opened")).encode(), secret="not the secret"),
    "sha1=" + "0" * 40,
    "sha256=ünïcode",
])
def test_a_missing_or_wrong_signature_is_401_and_nothing_is_stored(
        deliver: Deliver, redis: Redis, engine: Engine, signature: str) -> None:
    answer = deliver("pull_request", load("pull_request.opened"), signature=signature)
    assert answer.status_code == 401
    assert "X-Hub-Signature-256" in answer.get_json()["error"]
    assert rows(engine) == [] and Queue(ANALYSES, connection=redis).count == 0


def test_the_signature_is_of_the_raw_bytes_not_of_reparsed_json(deliver: Deliver) -> None:
    body = b'{ "zen" : "Keep it logically awesome.",\n"hook_id": 1 }'
    assert deliver("ping", body).status_code == 200
    reformatted = json.dumps(json.loads(body)).encode()
    assert deliver("ping", reformatted, signature=sign(body)).status_code == 401


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"[1, 2]", b'"text"',
                                  b"payload=%7B%7D", pytest.param(b"[" * 100_000, id="deep")])
def test_a_body_that_is_not_a_json_object_is_400(deliver: Deliver, engine: Engine,
                                                 body: bytes) -> None:
    answer = deliver("pull_request", body)
    assert answer.status_code == 400 and "JSON" in answer.get_json()["error"]
    assert rows(engine) == []


@pytest.mark.parametrize("headers", [
    {"X-GitHub-Event": ""}, {"X-GitHub-Delivery": ""}, {"X-GitHub-Event": "Pull Request"},
    {"X-GitHub-Delivery": "x" * 101}, {"X-GitHub-Delivery": "a b"}])
def test_missing_or_malformed_event_headers_are_400(deliver: Deliver,
                                                    headers: dict[str, str]) -> None:
    answer = deliver("pull_request", load("pull_request.opened"), **headers)
    assert answer.status_code == 400
    assert "X-GitHub-Event or X-GitHub-Delivery" in answer.get_json()["error"]


def small_receiver(settings: Settings, redis: Redis, engine: Engine) -> FlaskClient:
    """A receiver accepting at most 1,000 bytes."""
    small = Settings(webhook_secret=SECRET, redis_url=settings.redis_url, max_webhook_bytes=1000)
    return create_app(small, redis=redis, engine=engine).test_client()


def test_a_body_declared_over_the_limit_is_413_before_it_is_read(
        settings: Settings, redis: Redis, engine: Engine) -> None:
    body = json.dumps({"zen": "x" * 2000}).encode()
    answer = small_receiver(settings, redis, engine).post(
        "/webhooks/github", data=body, headers={
            "X-GitHub-Event": "ping", "X-GitHub-Delivery": "big",
            "X-Hub-Signature-256": sign(body)})
    assert answer.status_code == 413 and "1000 bytes" in answer.get_json()["error"]


def test_a_body_over_the_limit_without_content_length_is_413(
        settings: Settings, redis: Redis, engine: Engine) -> None:
    body = json.dumps({"zen": "x" * 2000}).encode()
    answer = small_receiver(settings, redis, engine).post(
        "/webhooks/github", input_stream=io.BytesIO(body), headers={
            "X-GitHub-Event": "ping", "X-GitHub-Delivery": "big",
            "X-Hub-Signature-256": sign(body), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})  # as servers set for chunked
    assert answer.status_code == 413 and "1000 bytes" in answer.get_json()["error"]


def test_a_body_at_the_limit_is_accepted(settings: Settings, redis: Redis,
                                         engine: Engine) -> None:
    body = json.dumps({"zen": "x" * (1000 - 11)}).encode()
    assert len(body) == 1000
    answer = small_receiver(settings, redis, engine).post(
        "/webhooks/github", data=body, headers={
            "X-GitHub-Event": "ping", "X-GitHub-Delivery": "edge",
            "X-Hub-Signature-256": sign(body)})
    assert answer.status_code == 200


def test_ping_is_answered_with_the_zen_and_stores_nothing(deliver: Deliver,
                                                          engine: Engine) -> None:
    answer = deliver("ping", load("ping.event"))
    assert answer.status_code == 200
    assert answer.get_json() == {"ok": True, "zen": load("ping.event")["zen"]}
    assert rows(engine) == []


def without_installation() -> dict[str, object]:
    payload = load("pull_request.opened")
    del payload["installation"]
    return payload


@pytest.mark.parametrize(("event", "payload", "reason"), [
    ("pull_request", load("pull_request.closed"), "pull_request.closed is not handled"),
    ("push", load("push"), "a push to refs/tags/simple-tag, not to the default branch"),
    ("check_run", load("check_run.requested_action"), "requested action 'lgtm|26764'"),
    ("check_run", load("check_run.rerequested"), "check_run.pull_requests lists no pull"),
    ("check_suite", load("check_suite.requested"), "check_suite.pull_requests lists no pull"),
    ("star", {"action": "created", "installation": {"id": 1}}, "star.created is not handled"),
    ("star", {"action": "created", "installation": {"id": 10**30}}, "star.created is not"),
    ("pull_request", without_installation(), "no installation.id"),
])
def test_unhandled_events_are_202_ignored_with_a_reason(
        deliver: Deliver, redis: Redis, engine: Engine, event: str,
        payload: dict[str, object], reason: str) -> None:
    answer = deliver(event, payload)
    assert answer.status_code == 202
    assert reason in answer.get_json()["ignored"]
    assert Queue(ANALYSES, connection=redis).count == 0
    assert Queue(MAINTENANCE, connection=redis).count == 0
    [row] = rows(engine)
    assert row.status == "ignored" and row.body == b"" and reason in (row.error or "")


def broken(path: str, value: object) -> dict[str, object]:
    """pull_request.opened with one field replaced."""
    payload = load("pull_request.opened")
    *parents, last = path.split(".")
    target = payload
    for key in parents:
        target = target[key]
    target[last] = value
    return payload


@pytest.mark.parametrize(("payload", "reason"), [
    (broken("pull_request.head.sha", "not-a-sha"), "pull_request.head.sha must be a commit sha"),
    (broken("pull_request.base.sha", "A" * 40), "pull_request.base.sha must be a commit sha"),
    (broken("pull_request.number", "2"), "pull_request.number must be a positive integer"),
    (broken("pull_request.draft", "no"), "pull_request.draft must be true or false"),
    (broken("repository.full_name", "a/" + "b" * 399), "repository.full_name must be"),
    (broken("repository.full_name", "no-slash"), "repository.full_name must be"),
    (broken("repository.clone_url", None), "repository.clone_url is missing"),
    (broken("repository.default_branch", "main\n"), "must not contain control characters"),
    (broken("installation.id", "1"), "installation.id must be a positive integer"),
    (broken("installation.id", True), "installation.id must be a positive integer"),
])
def test_a_handled_event_missing_a_field_it_needs_is_400_with_the_reason(
        deliver: Deliver, engine: Engine, payload: dict[str, object], reason: str) -> None:
    answer = deliver("pull_request", payload)
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert reason in error and "\n" not in error
    assert rows(engine) == []


def test_one_log_line_per_delivery_without_body_signature_or_secret(
        deliver: Deliver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    payload = load("pull_request.opened")
    body = json.dumps(payload).encode()
    deliver("pull_request", body, delivery_id="guid-logged")
    deliver("pull_request", body, delivery_id="guid-forged", signature=sign(body, "guess"))
    deliver("ping", load("ping.event"), delivery_id="guid-ping")
    lines = [r.getMessage() for r in caplog.records if r.name == "diffrisk.webhooks"]
    assert len(lines) == 3
    assert "delivery guid-logged event=pull_request action=opened outcome=queued" in lines[0]
    assert "outcome=rejected 401" in lines[1] and "outcome=ping" in lines[2]
    everything = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (SECRET, sign(body), sign(body, "guess")[7:], sign(body)[7:],
                   payload["pull_request"]["title"], load("ping.event")["zen"]):
        assert secret not in everything
