"""`diffrisk serve` in production: the Flask app under gunicorn, one app per worker process,
and in each a maintenance thread (only the one holding the Redis lock does the work)."""

from __future__ import annotations

import threading
from typing import Any

from gunicorn.app.base import BaseApplication

from app.settings import Settings


class DiffriskServer(BaseApplication):  # type: ignore[misc]
    """gunicorn running create_app(settings) in every worker (built after the fork)."""

    def __init__(self, settings: Settings, options: dict[str, Any],
                 maintenance_interval: float) -> None:
        self._settings = settings
        self._options = options
        self._interval = maintenance_interval
        super().__init__()

    def load_config(self) -> None:
        """Apply the options gunicorn knows."""
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """The WSGI app of this worker, with its maintenance thread started."""
        from app.server import create_app  # noqa: PLC0415

        app = create_app(self._settings)
        if self._interval > 0:
            start_maintenance_thread(self._settings, self._interval)
        return app


def start_maintenance_thread(settings: Settings, interval: float) -> threading.Thread:
    """A daemon thread replaying kept deliveries and sweeping GitHub's failed ones."""
    from redis import Redis  # noqa: PLC0415

    from app.github_auth import load_app_credentials  # noqa: PLC0415
    from app.storage.database import open_store  # noqa: PLC0415
    from webhooks.maintenance import maintenance_loop  # noqa: PLC0415

    engine = open_store(settings.store_url)
    redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    stop = threading.Event()
    thread = threading.Thread(
        target=maintenance_loop, name="diffrisk-maintenance", daemon=True,
        args=(settings, engine, redis, load_app_credentials(settings), interval, stop))
    thread.start()
    return thread


def run_gunicorn(settings: Settings, bind: str, processes: int, interval: float) -> None:
    """Serve until stopped."""
    options = {"bind": bind, "workers": processes, "worker_class": "gthread", "threads": 4,
               "timeout": 60, "graceful_timeout": 20, "accesslog": None,
               "loglevel": "info", "proc_name": "diffrisk-serve"}
    DiffriskServer(settings, options, interval).run()
