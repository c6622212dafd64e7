"""Maintenance of the receiver: replay pending deliveries, sweep GitHub's failed ones, prune.

`diffrisk serve` runs maintenance_loop in a daemon thread of every server process; a Redis lock
lets one process a round do the work. `diffrisk sweep` runs run_maintenance_once.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime
from typing import TypedDict

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine

from app.github_auth import AppCredentials, app_client
from app.github_client import GitHubError
from app.settings import Settings
from webhooks.intake import prune_deliveries, replay_pending
from webhooks.sweeper import DeliveryClient, sweep_failed_deliveries

log = logging.getLogger("diffrisk.webhooks")
LOCK_KEY = "diffrisk:lock:maintenance"
INTERVAL_SECONDS = 300.0  # suggested: a round every 5 minutes across all server processes


class MaintenanceReport(TypedDict):
    """What one round did (plain JSON for `diffrisk sweep`)."""

    replayed: int
    redelivered: list[int]
    pruned: int
    swept: bool


def run_maintenance_once(settings: Settings, engine: Engine, redis: Redis,
                         credentials: AppCredentials | None,
                         now: datetime | float | None = None,
                         client: DeliveryClient | None = None) -> MaintenanceReport:
    """Replay pending deliveries, sweep failed ones (with credentials or a client), prune."""
    if now is None or isinstance(now, int | float):
        now = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    try:
        replayed = replay_pending(engine, redis, now)
    except RedisError as error:
        log.warning("replay skipped: Redis is unreachable (%s)", type(error).__name__)
        replayed = 0
    redelivered: list[int] = []
    if client is None and credentials is not None:
        client = app_client(settings, credentials)
    if client is not None:
        redelivered = sweep_failed_deliveries(client, engine, now)
    return MaintenanceReport(replayed=replayed, redelivered=redelivered,
                             pruned=prune_deliveries(engine, now), swept=client is not None)


def take_round(redis: Redis, interval: float) -> bool:
    """Whether this process does this round's maintenance (the lock expires with the round)."""
    token = f"{os.getpid()}:{threading.get_ident()}"
    try:
        return bool(redis.set(LOCK_KEY, token, nx=True, ex=max(1, int(interval))))
    except RedisError as error:
        log.warning("maintenance skipped: Redis is unreachable (%s)", type(error).__name__)
        return False


def maintenance_loop(settings: Settings, engine: Engine, redis: Redis,
                     credentials: AppCredentials | None, interval: float,
                     stop: threading.Event) -> None:
    """Run a maintenance round every interval (when this process holds the lock) until stop."""
    while not stop.is_set():
        if take_round(redis, interval):
            _guarded_round(settings, engine, redis, credentials)
        stop.wait(interval)


def _guarded_round(settings: Settings, engine: Engine, redis: Redis,
                   credentials: AppCredentials | None) -> None:
    """One round; a failure is logged (without secrets) and the loop goes on."""
    try:
        report = run_maintenance_once(settings, engine, redis, credentials)
    except GitHubError as error:
        log.error("maintenance round failed: GitHub answered %s", error)
    except Exception as error:  # the loop must outlive any one round
        log.error("maintenance round failed (%s)", type(error).__name__)
    else:
        log.info("maintenance: replayed %d, redelivered %d, pruned %d", report["replayed"],
                 len(report["redelivered"]), report["pruned"])
