"""The GitHub App's identity: its credentials from the settings, its JWT, and installation
tokens minted in the worker and cached in memory until shortly before they expire.

Tokens live only in this process's memory: never in a job's arguments, a log line, a URL, git
config or the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import jwt

from app.github_client import GitHubClient
from app.settings import Settings, SettingsError

JWT_BACKDATE_SECONDS = 60  # GitHub: iat 60 s in the past against clock drift
JWT_LIFETIME_SECONDS = 540  # under GitHub's 10-minute maximum, also after the backdating
TOKEN_MARGIN_SECONDS = 300  # mint a new installation token 5 minutes before expiry


@dataclass(frozen=True)
class AppCredentials:
    """The App's id and private key (PEM); the key never appears in repr."""

    app_id: str
    private_key: str = field(repr=False)


def _read_private_key(settings: Settings) -> str:
    """The PEM from DIFFRISK_PRIVATE_KEY, else from the file DIFFRISK_PRIVATE_KEY_PATH names."""
    if settings.private_key.strip():
        return settings.private_key.replace("\\n", "\n")
    if not settings.private_key_path:
        raise SettingsError("no private key: set DIFFRISK_PRIVATE_KEY_PATH to the .pem file "
                            "GitHub gave you for the App (or DIFFRISK_PRIVATE_KEY to its text)")
    path = Path(settings.private_key_path).expanduser()
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"cannot read the private key {path} ({type(error).__name__}): "
                            "point DIFFRISK_PRIVATE_KEY_PATH at the App's .pem file") from None


def load_app_credentials(settings: Settings) -> AppCredentials:
    """The App's credentials, checked: a missing or invalid id or key is a SettingsError."""
    app_id = settings.app_id.strip()
    if not app_id.isdigit():
        raise SettingsError("DIFFRISK_APP_ID must be the App's numeric id (on the App's settings "
                            f"page), not {settings.app_id!r}")
    credentials = AppCredentials(app_id, _read_private_key(settings))
    try:
        app_jwt(credentials)
    except (ValueError, TypeError, jwt.PyJWTError):
        raise SettingsError("the private key is not a valid RSA key in PEM form: download a new "
                            "one from the App's settings page") from None
    return credentials


def require_webhook_secret(settings: Settings) -> bytes:
    """The webhook secret as bytes; missing is a SettingsError saying how to set it."""
    if not settings.webhook_secret:
        raise SettingsError("DIFFRISK_WEBHOOK_SECRET is not set: use the secret entered in the "
                            "App's webhook settings")
    return settings.webhook_secret.encode("utf-8")


def app_jwt(credentials: AppCredentials, now: float | None = None) -> str:
    """A JWT for the App (RS256, issued 60 s in the past, expiring within 10 minutes)."""
    issued = int(time.time() if now is None else now) - JWT_BACKDATE_SECONDS
    claims = {"iat": issued, "exp": issued + JWT_LIFETIME_SECONDS, "iss": credentials.app_id}
    return jwt.encode(claims, credentials.private_key, algorithm="RS256")


def app_client(settings: Settings, credentials: AppCredentials, **options: object) -> GitHubClient:
    """A client authenticated as the App itself (token minting, webhook deliveries)."""
    return GitHubClient(settings.github_api_url, app_jwt(credentials), bearer=True,
                        **options)  # type: ignore[arg-type]


def _expiry(stamp: str) -> float:
    """Epoch seconds of GitHub's ISO 8601 expires_at."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


class InstallationTokens:
    """Installation tokens, minted on first use and reused until 5 minutes before expiry."""

    def __init__(self, settings: Settings, credentials: AppCredentials,
                 clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._credentials = credentials
        self._clock = clock
        self._tokens: dict[int, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, installation_id: int) -> str:
        """A valid token for the installation (cached, or minted now)."""
        with self._lock:
            cached = self._tokens.get(installation_id)
            if cached and cached[1] - TOKEN_MARGIN_SECONDS > self._clock():
                return cached[0]
            client = app_client(self._settings, self._credentials)
            token, expires_at = client.create_installation_token(installation_id)
            self._tokens[installation_id] = (token, _expiry(expires_at))
            return token

    def forget(self, installation_id: int) -> None:
        """Drop the installation's cached token (uninstalled or suspended)."""
        with self._lock:
            self._tokens.pop(installation_id, None)
