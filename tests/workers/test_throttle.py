"""The shared GitHub write throttle on a real Redis, with a fake clock: the waits it computes,
never wall time."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from redis import Redis

from app.throttle import RedisWriteThrottle


class FakeClock:
    """A clock the test moves; sleeping moves it."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the sleep and let the time pass."""
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    """A client of the test's empty Redis db."""
    client = Redis.from_url(redis_url)
    yield client
    client.close()


def test_writes_of_one_installation_are_spaced_across_workers(redis: Redis) -> None:
    clock = FakeClock()
    first, second = (RedisWriteThrottle(redis, 1, 1.0, 80, clock.sleep, clock)
                     for _ in range(2))  # two workers, one installation
    assert [first.reserve(), second.reserve(), first.reserve()] == [0.0, 1.0, 2.0]
    other = RedisWriteThrottle(redis, 2, 1.0, 80, clock.sleep, clock)
    assert other.reserve() == 0.0  # installations do not wait for each other
    clock.now += 10
    assert second.reserve() == 0.0


def test_calling_the_throttle_sleeps_until_its_slot(redis: Redis) -> None:
    clock = FakeClock()
    throttle = RedisWriteThrottle(redis, 1, 1.0, 80, clock.sleep, clock)
    for _ in range(3):
        throttle("POST", "/repos/o/r/check-runs")
    assert clock.slept == [1.0, 1.0] and throttle.waits == [0.0, 1.0, 1.0]


def test_at_most_per_minute_writes_in_any_rolling_minute(redis: Redis) -> None:
    clock = FakeClock()
    throttle = RedisWriteThrottle(redis, 1, 0.0, 3, clock.sleep, clock)
    assert [throttle.reserve() for _ in range(4)] == [0.0, 0.0, 0.0, 60.0]
    clock.now += 30
    assert throttle.reserve() == 30.0  # the second write's minute ends at 1060 too
    spaced = RedisWriteThrottle(redis, 5, 1.0, 2, clock.sleep, clock)
    assert [spaced.reserve() for _ in range(3)] == [0.0, 1.0, 60.0]


def test_concurrent_writers_get_distinct_slots(redis_url: str) -> None:
    clock = FakeClock()
    waits: list[float] = []
    lock = threading.Lock()

    def writer() -> None:
        client = Redis.from_url(redis_url)
        wait = RedisWriteThrottle(client, 9, 1.0, 80, clock.sleep, clock).reserve()
        with lock:
            waits.append(wait)
        client.close()

    threads = [threading.Thread(target=writer) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [float(n) for n in range(12)]
