"""The GitHub App's commands: `diffrisk serve`, `worker`, `receive` and `sweep`."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

import click

from app.cli_support import fail, reports_errors
from app.settings import Settings

DEFAULT_RECEIVE_URL = "http://127.0.0.1:8000/webhooks/github"


def check_app_settings(settings: Settings, receives: bool = False) -> None:
    """Fail at startup, with the fix, when the App's id, key, webhook secret (for a receiving
    server, or to sign report links), Redis or the dashboard address is missing or unusable."""
    from app.github_auth import load_app_credentials, require_webhook_secret  # noqa: PLC0415

    if receives:
        require_webhook_secret(settings)
    load_app_credentials(settings)
    if not settings.redis_url:
        fail("REDIS_URL is not set: the App queues its jobs in Redis (redis://host:6379/0)")
    if settings.dashboard_url and not settings.dashboard_url.startswith(("https://", "http://")):
        fail(f"dashboard_url {settings.dashboard_url!r} is not an http(s) address: set it to "
             "where `diffrisk serve` is reached, e.g. https://diffrisk.example.com")
    if settings.dashboard_url and not settings.webhook_secret:
        fail("dashboard_url is set but webhook_secret is not: the report links are signed with "
             "it; set DIFFRISK_WEBHOOK_SECRET for the worker as for `diffrisk serve`")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", "processes", default=2, show_default=True,
              type=click.IntRange(1, 64), help="gunicorn worker processes.")
@click.option("--maintenance-interval", default=60.0, show_default=True,
              type=click.FloatRange(min=0), help="Seconds between replays of deliveries kept "
              "while Redis was down and sweeps of GitHub's failed deliveries (0: off).")
@click.pass_obj
@reports_errors
def serve(settings: Settings, host: str, port: int, processes: int,
          maintenance_interval: float) -> None:
    """Receive GitHub's webhooks (gunicorn) at POST /webhooks/github."""
    from app.gunicorn_app import run_gunicorn  # noqa: PLC0415

    check_app_settings(settings, receives=True)
    run_gunicorn(settings, f"{host}:{port}", processes, maintenance_interval)


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", help="Worker name (default: rq's).")
@click.pass_obj
@reports_errors
def worker(settings: Settings, burst: bool, name: str | None) -> None:
    """Run the analysis jobs the webhooks queue (an RQ worker)."""
    from workers.runner import run_worker  # noqa: PLC0415

    check_app_settings(settings)
    run_worker(settings, burst=burst, name=name)


def signed_headers(event: str, body: bytes, secret: str, delivery: str) -> dict[str, str]:
    """The headers GitHub sends with a delivery, signed with the webhook secret."""
    signature = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": f"sha256={signature}",
            "User-Agent": "diffrisk-receive"}


def read_payload(path: Path, limit: int) -> bytes:
    """The payload file's bytes, checked to be JSON and within the webhook size limit."""
    body = path.read_bytes()
    if len(body) > limit:
        raise ValueError(f"{path} has {len(body):,} bytes, over the {limit:,}-byte webhook "
                         "limit (DIFFRISK_MAX_WEBHOOK_BYTES)")
    try:
        json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not JSON ({error}): pass a webhook payload") from None
    return body


@click.command()
@click.argument("event")
@click.argument("payload", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", default=DEFAULT_RECEIVE_URL, show_default=True,
              help="The running server's webhook URL.")
@click.option("--delivery", help="X-GitHub-Delivery (default: a new UUID).")
@click.pass_obj
@reports_errors
def receive(settings: Settings, event: str, payload: Path, url: str,
            delivery: str | None) -> None:
    """Send a webhook payload to a running server, signed like GitHub (for development)."""
    import requests  # noqa: PLC0415

    from app.github_auth import require_webhook_secret  # noqa: PLC0415

    require_webhook_secret(settings)
    body = read_payload(payload, settings.max_webhook_bytes)
    headers = signed_headers(event, body, settings.webhook_secret, delivery or str(uuid.uuid4()))
    try:
        answer = requests.post(url, data=body, headers=headers, timeout=30)
    except requests.RequestException as error:
        fail(f"cannot reach {url} ({type(error).__name__}): start it with `diffrisk serve`")
        return
    click.echo(f"{answer.status_code} {answer.text.strip()[:2000]}")
    if answer.status_code >= 400:
        raise SystemExit(1)


@click.command()
@click.pass_obj
@reports_errors
def sweep(settings: Settings) -> None:
    """Once: queue deliveries kept while Redis was down, ask GitHub to resend failed ones."""
    from app.github_auth import load_app_credentials  # noqa: PLC0415

    check_app_settings(settings)
    outcome: dict[str, Any] = run_maintenance(settings, load_app_credentials(settings))
    click.echo(json.dumps(outcome))


def run_maintenance(settings: Settings, credentials: Any) -> dict[str, Any]:
    """One maintenance pass on fresh connections; what it did."""
    import time  # noqa: PLC0415

    from redis import Redis  # noqa: PLC0415

    from app.storage.database import open_store  # noqa: PLC0415
    from webhooks.maintenance import run_maintenance_once  # noqa: PLC0415

    engine = open_store(settings.store_url)
    with Redis.from_url(settings.redis_url) as redis:
        result = run_maintenance_once(settings, engine, redis, credentials, time.time())
    engine.dispose()
    return dict(result)
