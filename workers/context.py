"""What a worker process builds once: the settings, the App's credentials, its installation
tokens, the store engine and Redis — lazily, on first use, never at import.

RQ calls plain functions, so the jobs reach this through `current()`; `run_worker` installs the
settings it was given (and checks the App's credentials) before the first job forks. The store
and Redis connections are made in each work horse, never shared across a fork.
"""

from __future__ import annotations

import os
from functools import cached_property

from redis import Redis
from sqlalchemy import Engine

from app.github_auth import AppCredentials, InstallationTokens, load_app_credentials
from app.github_client import GitHubClient
from app.settings import Settings, load_settings
from app.throttle import RedisWriteThrottle


class WorkerContext:
    """The long-lived parts of a worker, each made when first needed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def credentials(self) -> AppCredentials:
        """The App's id and private key, checked."""
        return load_app_credentials(self.settings)

    @cached_property
    def tokens(self) -> InstallationTokens:
        """Installation tokens, cached in this process's memory only."""
        return InstallationTokens(self.settings, self.credentials)

    @cached_property
    def engine(self) -> Engine:
        """The store, migrated to the newest schema (a quick check when it is current)."""
        from app.storage.database import open_store  # noqa: PLC0415

        return open_store(self.settings.store_url)

    @cached_property
    def redis(self) -> Redis:
        """The Redis of the queues and the write throttle."""
        if not self.settings.redis_url:
            raise RuntimeError("REDIS_URL is not set: point it at the Redis of the queues")
        return Redis.from_url(self.settings.redis_url)

    def client(self, installation_id: int) -> GitHubClient:
        """A client acting as the installation, its writes throttled across all workers."""
        throttle = RedisWriteThrottle(self.redis, installation_id,
                                      self.settings.write_interval_seconds,
                                      self.settings.writes_per_minute)
        return GitHubClient(self.settings.github_api_url, self.tokens.token(installation_id),
                            before_write=throttle)

    def token(self, installation_id: int) -> str:
        """The installation's token (for git's HTTP header; never logged or stored)."""
        return self.tokens.token(installation_id)


_CONTEXT: dict[str, WorkerContext] = {}  # "current": this process's context, once built


def current() -> WorkerContext:
    """This process's context, built from the environment on first use."""
    if "current" not in _CONTEXT:
        _CONTEXT["current"] = WorkerContext(load_settings(environ=os.environ))
    return _CONTEXT["current"]


def install(settings: Settings) -> WorkerContext:
    """Use these settings in this process (and the work horses it forks); a context already
    installed with equal settings is kept, with the installation tokens it holds (a worker
    started again after a Redis outage reuses them)."""
    existing = _CONTEXT.get("current")
    if existing is None or existing.settings != settings:
        _CONTEXT["current"] = WorkerContext(settings)
    return _CONTEXT["current"]


def reset() -> None:
    """Forget the context (the next job builds it again)."""
    _CONTEXT.clear()
