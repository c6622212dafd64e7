"""The sweeper: which of GitHub's listed deliveries get redelivered, and how often."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from app.github_client import GitHubError
from tests.webhooks.conftest import Deliver, load
from webhooks.sweeper import FIRST_PAUSE, MAX_REDELIVERIES, sweep_failed_deliveries

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count(100)


def attempt(guid: str, code: int, age: timedelta = timedelta(hours=1), redelivery: bool = False,
            number: int | None = None) -> dict[str, Any]:
    """One listed delivery attempt, as GET /app/hook/deliveries gives it."""
    return {"id": next(_ids) if number is None else number, "guid": guid,
            "delivered_at": (NOW - age).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "redelivery": redelivery, "duration": 0.1, "status": "x", "status_code": code,
            "event": "pull_request", "action": "opened", "installation_id": 1,
            "repository_id": 1}


class RecordingClient:
    """GitHub's side of the sweep: a fixed listing and the redeliveries asked for."""

    def __init__(self, deliveries: list[dict[str, Any]], failing: frozenset[int] = frozenset()
                 ) -> None:
        self.deliveries = deliveries
        self.failing = failing
        self.redelivered: list[int] = []

    def hook_deliveries(self, pages: int = 10) -> list[dict[str, Any]]:
        return list(self.deliveries)

    def redeliver(self, delivery_id: int) -> None:
        if delivery_id in self.failing:
            raise GitHubError(422, "cannot redeliver")
        self.redelivered.append(delivery_id)


def sweep(engine: Engine, *deliveries: dict[str, Any], failing: frozenset[int] = frozenset()
          ) -> tuple[list[int], list[int]]:
    client = RecordingClient(list(deliveries), failing)
    return sweep_failed_deliveries(client, engine, NOW), client.redelivered


def test_a_failed_delivery_we_never_stored_is_redelivered_once(engine: Engine) -> None:
    assert sweep(engine, attempt("lost", 502, number=7)) == ([7], [7])
    assert sweep(engine, attempt("timed-out", 0, number=8)) == ([8], [8])


def test_deliveries_that_succeeded_or_that_we_stored_are_left_alone(
        engine: Engine, deliver: Deliver) -> None:
    deliver("pull_request", load("pull_request.opened"), delivery_id="stored")
    assert sweep(engine, attempt("fine", 202), attempt("stored", 500),
                 attempt("fixed", 500, timedelta(hours=2)),
                 attempt("fixed", 200, redelivery=True)) == ([], [])


def test_only_the_newest_attempt_of_a_guid_is_redelivered(engine: Engine) -> None:
    assert sweep(engine,
                 attempt("again", 503, FIRST_PAUSE * 2, redelivery=True, number=12),
                 attempt("again", 500, timedelta(hours=3), number=11)) == ([12], [12])


def test_deliveries_outside_githubs_window_are_not_redelivered(engine: Engine) -> None:
    assert sweep(engine, attempt("old", 500, timedelta(days=3, minutes=1))) == ([], [])
    assert sweep(engine, attempt("recent", 500, timedelta(days=2, hours=23), number=5)) == (
        [5], [5])


def test_redeliveries_pause_longer_each_time_and_then_stop(engine: Engine) -> None:
    first = attempt("flaky", 500, timedelta(hours=20))
    just_redelivered = attempt("flaky", 500, FIRST_PAUSE / 2, redelivery=True)
    assert sweep(engine, first, just_redelivered) == ([], [])
    twice = [attempt("flaky", 500, FIRST_PAUSE * 1.5, redelivery=True) for _ in range(2)]
    assert sweep(engine, first, *twice) == ([], [])  # the second pause is 2 × 5 minutes
    thrice = [attempt("flaky", 500, FIRST_PAUSE * 5, redelivery=True, number=40 + i)
              for i in range(3)]
    assert sweep(engine, first, *thrice)[1] == [42]
    spent = [attempt("flaky", 500, timedelta(hours=10), redelivery=True)
             for _ in range(MAX_REDELIVERIES)]
    assert sweep(engine, first, *spent) == ([], [])


def test_a_refused_redelivery_does_not_stop_the_others(engine: Engine) -> None:
    assert sweep(engine, attempt("refused", 500, number=1), attempt("taken", 500, number=2),
                 failing=frozenset({1})) == ([2], [2])


def test_malformed_listing_entries_are_skipped(engine: Engine) -> None:
    bad_time = {**attempt("odd", 500), "delivered_at": "yesterday"}
    no_guid = {**attempt("x", 500), "guid": None}
    assert sweep(engine, bad_time, no_guid) == ([], [])
