"""The sweeper: ask GitHub to redeliver deliveries that failed and never reached our table.

GitHub does not retry failed App deliveries by itself; it lists them (GET /app/hook/deliveries)
for 3 days and redelivers one on request. Each delivery id (guid) is redelivered at most once a
sweep, with a growing pause between redeliveries, and never after one attempt succeeded.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine

from app.github_client import GitHubError
from webhooks.intake import stored_delivery_ids

log = logging.getLogger("diffrisk.webhooks")
WINDOW_DAYS = 3  # GitHub keeps deliveries, and redelivers them, for 3 days
FIRST_PAUSE = timedelta(minutes=5)  # after the n-th redelivery wait 5 min × 2^(n-1)
MAX_REDELIVERIES = 8  # about a day of doubling pauses


class DeliveryClient(Protocol):
    """The two calls the sweeper makes (app.github_client.GitHubClient as the App)."""

    def hook_deliveries(self, pages: int = 10) -> list[dict[str, Any]]:
        """The App's recent deliveries, newest first."""

    def redeliver(self, delivery_id: int) -> None:
        """Ask GitHub to send a delivery again."""


def sweep_failed_deliveries(client: DeliveryClient, engine: Engine, now: datetime,
                            window_days: int = WINDOW_DAYS) -> list[int]:
    """Redeliver failed deliveries we have no row of; the delivery ids redelivered."""
    attempts = attempts_by_guid(client.hook_deliveries())
    stored = stored_delivery_ids(engine, list(attempts))
    oldest = now - timedelta(days=window_days)
    redelivered = []
    for guid, tries in attempts.items():
        if guid in stored or not needs_redelivery(tries, oldest, now):
            continue
        newest = max(tries, key=lambda attempt: (attempt["delivered_at"], attempt["id"]))
        try:
            client.redeliver(newest["id"])
        except GitHubError as error:
            log.warning("redelivery of %s failed: %s", guid, error)
            continue
        redelivered.append(newest["id"])
    log.info("sweep: %d deliveries listed, %d redelivered", len(attempts), len(redelivered))
    return redelivered


def attempts_by_guid(deliveries: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The well-formed listed attempts, grouped by delivery id (guid), times parsed."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in deliveries:
        guid, number, when = item.get("guid"), item.get("id"), item.get("delivered_at")
        if not isinstance(guid, str) or not isinstance(number, int) or not isinstance(when, str):
            continue
        try:
            delivered_at = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            continue
        grouped[guid].append({**item, "delivered_at": delivered_at})
    return dict(grouped)


def needs_redelivery(tries: list[dict[str, Any]], oldest: datetime, now: datetime) -> bool:
    """Whether a guid's attempts all failed, inside the window, and its next redelivery is due."""
    if any(_succeeded(attempt) for attempt in tries):
        return False
    first = min(attempt["delivered_at"] for attempt in tries)
    if first < oldest:
        return False
    redeliveries = sum(1 for attempt in tries if attempt.get("redelivery"))
    if redeliveries >= MAX_REDELIVERIES:
        return False
    if redeliveries == 0:
        return True
    newest = max(attempt["delivered_at"] for attempt in tries)
    return bool(newest + FIRST_PAUSE * 2 ** (redeliveries - 1) <= now)


def _succeeded(attempt: dict[str, Any]) -> bool:
    code = attempt.get("status_code")
    return isinstance(code, int) and 200 <= code < 300
