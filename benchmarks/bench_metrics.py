"""What one GET /metrics scrape costs as the store grows, against GET /healthz in the same run.

    python -m benchmarks.bench_metrics --database-url URL [--rows 10000,100000] [--scrapes 50]
        [--redis-url redis://127.0.0.1:6379/14]

For each size, the store is emptied and filled with that many deliveries and as many analyses
(statuses and conclusions mixed as a busy App's are) and the planner's statistics refreshed;
then scrapes of /metrics and /healthz alternate through Flask's test client, and the medians are
printed. The database must be a throwaway one: its deliveries and analyses are deleted. Bounded:
at most 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import Engine, delete, insert, text

from app.server import create_app, receiver_redis
from app.settings import Settings
from app.storage.database import open_store
from app.storage.schema import Analysis, Delivery

MAX_ROWS = 1_000_000
DELIVERY_STATUSES = ("queued", "queued", "queued", "ignored", "duplicate", "pending")
ANALYSIS_STATES = (("completed", "success"), ("completed", "failure"), ("completed", "neutral"),
                   ("superseded", None), ("failed", None), ("analysed", None))


def fill(engine: Engine, rows: int) -> None:
    """Replace the store's deliveries and analyses by `rows` of each."""
    start = datetime.now(UTC) - timedelta(days=30)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # no dead rows left for the scans to skip
            conn.execute(text("TRUNCATE deliveries, analyses"))
        conn.execute(delete(Delivery))
        conn.execute(delete(Analysis))
        for first in range(0, rows, 10_000):
            numbers = range(first, min(rows, first + 10_000))
            conn.execute(insert(Delivery), [
                {"delivery_id": f"d{n}", "event": "pull_request", "action": "synchronize",
                 "status": DELIVERY_STATUSES[n % len(DELIVERY_STATUSES)], "body": b"{}",
                 "jobs": [], "received_at": start + timedelta(seconds=n),
                 "updated_at": start + timedelta(seconds=n)} for n in numbers])
            conn.execute(insert(Analysis), [
                {"repository": f"owner/repo{n % 50}", "head_sha": f"{n:040x}",
                 "config_hash": "", "status": ANALYSIS_STATES[n % 6][0],
                 "conclusion": ANALYSIS_STATES[n % 6][1],
                 "created_at": start + timedelta(seconds=n),
                 "updated_at": start + timedelta(seconds=n)} for n in numbers])
    with engine.begin() as conn:  # fresh planner statistics, as autovacuum would gather
        for table in ("deliveries", "analyses"):
            conn.execute(text(f"ANALYZE {table}"))


def median_ms(client: FlaskClient, path: str, scrapes: int, other: str) -> tuple[float, float]:
    """Median milliseconds of GET path and of GET other, alternating."""
    timings: dict[str, list[float]] = {path: [], other: []}
    for _ in range(scrapes):
        for target in (path, other):
            started = time.perf_counter()
            answer = client.get(target)
            timings[target].append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"GET {target} answered {answer.status_code}")
    return statistics.median(timings[path]), statistics.median(timings[other])


def main() -> None:
    """Fill, scrape, print one line per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--rows", default="10000,100000")
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args()
    sizes = [int(size) for size in args.rows.split(",")]
    if any(size < 0 or size > MAX_ROWS for size in sizes):
        raise SystemExit(f"--rows: each size must be between 0 and {MAX_ROWS:,}")
    settings = Settings(webhook_secret="bench", redis_url=args.redis_url,
                        database_url=args.database_url)
    engine = open_store(args.database_url)
    client = create_app(settings, redis=receiver_redis(settings), engine=engine).test_client()
    print("rows of each table | /metrics median ms | /healthz median ms")
    for size in sizes:
        fill(engine, size)
        metrics_ms, health_ms = median_ms(client, "/metrics", args.scrapes, "/healthz")
        print(f"{size:,} | {metrics_ms:.1f} | {health_ms:.1f}")
    fill(engine, 0)


if __name__ == "__main__":
    main()
