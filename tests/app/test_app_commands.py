"""`diffrisk serve`, `worker`, `receive` and `sweep`: startup checks say how to fix the settings;
`receive` signs a payload exactly as GitHub does and the running app accepts it."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from redis import Redis
from rq import Queue
from werkzeug.serving import BaseWSGIServer, make_server

from app.app_commands import signed_headers
from app.cli import main
from app.server import create_app
from app.settings import Settings
from workers.queue import ANALYSES

WEBHOOKS = Path(__file__).parents[1] / "fixtures/github/webhooks"


@pytest.fixture(scope="module")
def pem() -> str:
    """A throwaway App key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def run(arguments: list[str], environ: dict[str, str]) -> tuple[int, str]:
    """The command's exit code and everything it printed."""
    result = CliRunner().invoke(main, arguments, env=environ, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize(("command", "missing", "message"), [
    ("serve", "DIFFRISK_WEBHOOK_SECRET", "DIFFRISK_WEBHOOK_SECRET is not set"),
    *[(command, missing, message) for command in ("serve", "worker", "sweep")
      for missing, message in [
          ("DIFFRISK_APP_ID", "DIFFRISK_APP_ID must be the App's numeric id"),
          ("DIFFRISK_PRIVATE_KEY", "no private key: set DIFFRISK_PRIVATE_KEY_PATH"),
          ("REDIS_URL", "REDIS_URL is not set")]],
])
def test_startup_names_the_setting_to_fix(command: str, missing: str, message: str,
                                          pem: str) -> None:
    environ = {"DIFFRISK_WEBHOOK_SECRET": "s", "DIFFRISK_APP_ID": "3",
               "DIFFRISK_PRIVATE_KEY": pem, "REDIS_URL": "redis://127.0.0.1:1/0",
               "DIFFRISK_PRIVATE_KEY_PATH": "", missing: ""}
    code, output = run([command], environ)
    assert code == 2
    assert output.startswith("error: ") and message in output and output.count("\n") == 1


@pytest.mark.parametrize(("dashboard", "secret", "message"), [
    ("https://diffrisk.example.com", "", "dashboard_url is set but webhook_secret is not"),
    ("diffrisk.example.com", "s", "'diffrisk.example.com' is not an http(s) address"),
])
def test_a_dashboard_link_that_cannot_work_stops_the_worker(dashboard: str, secret: str,
                                                            message: str, pem: str) -> None:
    environ = {"DIFFRISK_WEBHOOK_SECRET": secret, "DIFFRISK_APP_ID": "3",
               "DIFFRISK_PRIVATE_KEY": pem, "REDIS_URL": "redis://127.0.0.1:1/0",
               "DIFFRISK_PRIVATE_KEY_PATH": "", "DIFFRISK_DASHBOARD_URL": dashboard}
    code, output = run(["worker"], environ)
    assert code == 2
    assert output.startswith("error: ") and message in output and output.count("\n") == 1


def test_signed_headers_match_githubs_signature() -> None:
    body = (WEBHOOKS / "ping.event.json").read_bytes()
    headers = signed_headers("ping", body, "It's a Secret to Everybody", "d-1")
    expected = hmac.new(b"It's a Secret to Everybody", body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={expected}"
    assert headers["X-GitHub-Event"] == "ping" and headers["X-GitHub-Delivery"] == "d-1"


@pytest.fixture
def server(redis_url: str, sqlite_url: str) -> Iterator[str]:
    """The webhook app on a free port of 127.0.0.1; its base URL."""
    settings = Settings(webhook_secret="dev-secret", redis_url=redis_url, database_url=sqlite_url)
    wsgi: BaseWSGIServer = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=wsgi.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{wsgi.server_port}/webhooks/github"
    wsgi.shutdown()
    thread.join(timeout=5)


def test_receive_replays_a_payload_that_the_app_queues(server: str, redis_url: str) -> None:
    code, output = run(["receive", "pull_request", str(WEBHOOKS / "pull_request.opened.json"),
                        "--url", server, "--delivery", "dev-1"],
                       {"DIFFRISK_WEBHOOK_SECRET": "dev-secret"})
    assert code == 0, output
    assert output.startswith("202 ")
    with Redis.from_url(redis_url) as redis:
        (job,) = Queue(ANALYSES, connection=redis).jobs
    payload = json.loads((WEBHOOKS / "pull_request.opened.json").read_text())
    assert job.kwargs["head_sha"] == payload["pull_request"]["head"]["sha"]


def test_receive_with_the_wrong_secret_is_refused(server: str) -> None:
    code, output = run(["receive", "ping", str(WEBHOOKS / "ping.event.json"), "--url", server],
                       {"DIFFRISK_WEBHOOK_SECRET": "not-the-secret"})
    assert code == 1 and output.startswith("401 ")


def test_receive_checks_its_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, output = run(["receive", "ping", str(bad)], {"DIFFRISK_WEBHOOK_SECRET": "s"})
    assert code == 2 and "is not JSON" in output
    code, output = run(["receive", "ping", str(WEBHOOKS / "ping.event.json"), "--url",
                        "http://127.0.0.1:1/webhooks/github"], {"DIFFRISK_WEBHOOK_SECRET": "s"})
    assert code == 2 and "start it with `diffrisk serve`" in output
