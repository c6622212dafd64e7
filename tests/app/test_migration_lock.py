"""Processes that start together on a new store (the web server's workers, RQ workers) migrate
it one after the other: each of them opens the store, none fails on a table another just made."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path

from app.storage.database import open_store, schema_is_current

STARTING_TOGETHER = 4
SQLITE_ROUNDS = 3  # without the lock, about half of the rounds collided on this machine


def open_after(barrier: Barrier, url: str) -> None:
    """Wait for every process, then open (and migrate) the store; exit 1 if that fails."""
    barrier.wait(30)
    open_store(url).dispose()


def start_together(url: str) -> list[int | None]:
    """The exit codes of processes that open a new store at the same moment."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(STARTING_TOGETHER)
    processes = [context.Process(target=open_after, args=(barrier, url))
                 for _ in range(STARTING_TOGETHER)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    return [process.exitcode for process in processes]


def test_processes_starting_together_all_open_a_new_store(database_url: str,
                                                          tmp_path: Path) -> None:
    urls = ([f"sqlite:///{tmp_path / f'round{n}.db'}" for n in range(SQLITE_ROUNDS)]
            if database_url.startswith("sqlite") else [database_url])
    for url in urls:
        assert start_together(url) == [0] * STARTING_TOGETHER
        engine = open_store(url)
        assert schema_is_current(engine)
        engine.dispose()
