"""Webhook acknowledgement under load, on loopback: signed pull_request deliveries (verify the
HMAC, persist the delivery, enqueue the job, answer 202) against the same `diffrisk serve`
answering its bare 200 route (/ping), in one run, alternating rounds so both see the same noise.

    python -m benchmarks.bench_webhooks [--requests 2000] [--concurrency 8] [--rounds 3]
        [--server-workers 2] [--database-url URL]

Every delivery has its own delivery id and head sha, so each one is stored and enqueued (no
dedupe short-cut). The server runs as `diffrisk serve` (gunicorn) with its own throwaway Redis
and no worker, so queued jobs only pile up. The store is DATABASE_URL (PostgreSQL) when given,
else a SQLite file. Bounded: requests and concurrency are capped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from app.app_commands import signed_headers
from tests.app_processes import AppProcess, RedisServer, free_port, wait_until

MAX_REQUESTS = 20_000
MAX_CONCURRENCY = 64
SECRET = "bench-secret"
PAYLOAD = Path(__file__).parents[1] / "tests/fixtures/github/webhooks/pull_request.synchronize.json"


def delivery_body(template: dict[str, Any], n: int) -> bytes:
    """A synchronize payload with a head sha of its own."""
    template["pull_request"]["head"]["sha"] = f"{n:040x}"
    template["after"] = f"{n:040x}"
    return json.dumps(template).encode("utf-8")


def run_round(send: Callable[[requests.Session, int], int], count: int,
              concurrency: int) -> dict[str, float]:
    """Send `count` requests from `concurrency` threads: acks a second and latency quantiles."""
    local = threading.local()
    latencies: list[float] = []
    failures = [0]

    def one(n: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.perf_counter()
        status = send(session, n)
        latencies.append(time.perf_counter() - started)
        if status >= 300 and status != 202:
            failures[0] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"per_second": count / wall, "p50_ms": 1000 * ordered[len(ordered) // 2],
            "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
            "failures": failures[0]}


def senders(url: str) -> dict[str, Callable[[requests.Session, int], int]]:
    """The two kinds of request: a signed delivery, and a POST of the same size to /ping."""
    template = json.loads(PAYLOAD.read_text())
    offset = [time.time_ns()]

    def signed(session: requests.Session, n: int) -> int:
        body = delivery_body(template, offset[0] + n)
        headers = signed_headers("pull_request", body, SECRET, str(uuid.uuid4()))
        return session.post(f"{url}/webhooks/github", data=body, headers=headers,
                            timeout=30).status_code

    bare_body = delivery_body(json.loads(PAYLOAD.read_text()), 1)

    def bare(session: requests.Session, n: int) -> int:
        return session.post(f"{url}/ping", data=bare_body, timeout=30).status_code

    return {"signed delivery": signed, "bare 200": bare}


def main() -> None:
    """Start the server, alternate rounds of both kinds, print the medians as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    count = min(args.requests, MAX_REQUESTS)
    concurrency = min(args.concurrency, MAX_CONCURRENCY)
    with tempfile.TemporaryDirectory() as temp:
        redis_server = RedisServer(Path(temp) / "redis").start()
        port = free_port()
        environ = {**os.environ, "REDIS_URL": redis_server.url, "DIFFRISK_WEBHOOK_SECRET": SECRET,
                   "DIFFRISK_APP_ID": "1", "DIFFRISK_PRIVATE_KEY": bench_key(),
                   "DIFFRISK_DATA_DIR": str(Path(temp) / "data"),
                   "DATABASE_URL": args.database_url}
        server = AppProcess(["serve", "--port", str(port), "--workers",
                             str(args.server_workers), "--maintenance-interval", "0"],
                            environ, Path(temp) / "serve.log")
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until(lambda: _answers(url), 60, "diffrisk serve")
            results = measure(senders(url), count, concurrency, args.rounds)
        finally:
            server.stop()
            redis_server.stop()
    print(json.dumps({"requests": count, "concurrency": concurrency, "rounds": args.rounds,
                      "server_workers": args.server_workers,
                      "store": "postgresql" if args.database_url else "sqlite",
                      **results}, indent=1))


def measure(kinds: dict[str, Callable[[requests.Session, int], int]], count: int,
            concurrency: int, rounds: int) -> dict[str, Any]:
    """Rounds of each kind in turn (after a warm-up), then the median of each figure."""
    for send in kinds.values():
        run_round(send, min(count, 200), concurrency)
    seen: dict[str, list[dict[str, float]]] = {name: [] for name in kinds}
    for _ in range(rounds):
        for name, send in kinds.items():
            seen[name].append(run_round(send, count, concurrency))
    medians = {name: {key: round(statistics.median(r[key] for r in runs), 2)
                      for key in runs[0]} for name, runs in seen.items()}
    signed, bare = medians["signed delivery"], medians["bare 200"]
    medians["ratio"] = {"throughput": round(signed["per_second"] / bare["per_second"], 3),
                        "p50": round(signed["p50_ms"] / bare["p50_ms"], 2),
                        "p99": round(signed["p99_ms"] / bare["p99_ms"], 2)}
    return medians


def bench_key() -> str:
    """A throwaway RSA key: the server checks the App's credentials at startup."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/ping", timeout=1).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    main()
