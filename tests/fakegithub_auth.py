"""The fake GitHub's App authentication: App endpoints take `Bearer <JWT>` signed with the App's
private key (checked with its public key, as GitHub does), repository endpoints take an
installation token this fake minted and that has not expired."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt

TOKEN_LIFETIME = 3600  # GitHub: installation tokens expire after an hour
MAX_JWT_LIFETIME = 600  # GitHub: exp at most 10 minutes after iat


def iso(epoch: float) -> str:
    """GitHub's ISO 8601 form of a time."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class AppAuth:
    """Checks Authorization headers the way GitHub does for one App."""

    app_id: str | None  # None: any issuer (only the signature and times are checked)
    public_key: Any  # PEM text or a cryptography public key
    clock: float | None = None  # fixed "now" for tests; None: the real time
    tokens: dict[str, tuple[int, float]] = field(default_factory=dict)  # → (installation, exp)

    def now(self) -> float:
        """The fake's current time."""
        return time.time() if self.clock is None else self.clock

    def mint(self, installation_id: int, expires: float | None = None) -> tuple[str, str]:
        """A new installation token and its expiry (default: an hour from now)."""
        token = f"ghs_{secrets.token_hex(18)}"
        expires = self.now() + TOKEN_LIFETIME if expires is None else expires
        self.tokens[token] = (installation_id, expires)
        return token, iso(expires)

    def problem(self, path: str, authorization: str | None) -> str | None:
        """Why GitHub would answer 401 to this request, or None when it is authorised."""
        scheme, _, credential = (authorization or "").partition(" ")
        if path.startswith("/app"):
            if scheme != "Bearer":
                return f"{path} needs the App's JWT as `Bearer <jwt>`, not {scheme or 'none'}"
            return self._jwt_problem(credential)
        if scheme.lower() not in ("token", "bearer"):
            return f"{path} needs an installation token"
        minted = self.tokens.get(credential)
        if minted is None:
            return f"{path}: the token was not minted by this fake"
        if minted[1] <= self.now():
            return f"{path}: the installation token has expired"
        return None

    def _jwt_problem(self, token: str) -> str | None:
        """What is wrong with an App JWT, or None."""
        try:
            claims = jwt.decode(token, self.public_key, algorithms=["RS256"],
                                options={"verify_exp": False, "verify_iat": False})
        except jwt.PyJWTError as error:
            return f"the JWT does not verify with the App's public key: {error}"
        if self.app_id is not None and str(claims.get("iss")) != self.app_id:
            return f"the JWT's iss {claims.get('iss')!r} is not the App id {self.app_id}"
        issued, expires = int(claims.get("iat", 0)), int(claims.get("exp", 0))
        if not issued <= self.now() < expires or expires - issued > MAX_JWT_LIFETIME:
            return "the JWT is expired, not yet valid or lives longer than 10 minutes"
        return None


class AppEndpoints:
    """The fake's handlers of the App's own endpoints (tokens, deliveries, the App)."""

    auth: AppAuth | None
    tokens: list[str]
    deliveries: list[dict[str, Any]]
    redeliveries: list[int]
    token_expires: float
    new_id: Callable[[], int]
    _example: Callable[..., dict[str, Any]]
    page: Callable[..., Any]

    @property
    def base_url(self) -> str:
        """The fake's address (FakeGitHub has it)."""
        raise NotImplementedError

    @property
    def app_public_key(self) -> Any:
        """The App's public key the fake checks JWTs with (None: no checks)."""
        return None if self.auth is None else self.auth.public_key

    @app_public_key.setter
    def app_public_key(self, key: Any) -> None:
        self.auth = AppAuth(None, key)

    def _token(self, p: dict[str, str], _: Any, __: Any) -> tuple[int, Any]:
        if self.auth is not None:
            token, expires = self.auth.mint(int(p["installation_id"]), self.token_expires)
        else:
            token = f"ghs_fake{self.new_id()}installation{p['installation_id']}"
            expires = iso(self.token_expires)
        self.tokens.append(token)
        return 201, self._example("installation-token", token=token, expires_at=expires)

    def token_expiry_epoch(self) -> float:
        """When the tokens this fake mints expire (epoch seconds, whole)."""
        return float(int(self.token_expires))

    def delivery(self, delivery_id: int, status_code: int = 200, **fields: Any) -> dict[str, Any]:
        """A schema-valid item of GET /app/hook/deliveries."""
        return self._example("hook-delivery-item", id=delivery_id, guid=f"guid-{delivery_id}",
                             status_code=status_code, redelivery=False, event="pull_request",
                             status="OK" if status_code < 400 else "Error", **fields)

    def _list_deliveries(self, _: Any, __: Any, args: Any) -> tuple[int, Any]:
        """One page of deliveries; GitHub pages this list by an opaque cursor, not by number."""
        per_page = min(int(args.get("per_page", 30)), 100)
        start = int(args.get("cursor", "0") or 0)
        chunk = self.deliveries[start:start + per_page]
        headers = {}
        if start + per_page < len(self.deliveries):
            url = f"{self.base_url}/app/hook/deliveries?per_page={per_page}"
            headers["Link"] = f'<{url}&cursor={start + per_page}>; rel="next"'
        return 200, (copy.deepcopy(chunk), headers)

    def _redeliver(self, p: dict[str, str], _: Any, __: Any) -> tuple[int, Any]:
        self.redeliveries.append(int(p["delivery_id"]))
        return 202, {}

    def _get_app(self, _: Any, __: Any, ___: Any) -> tuple[int, Any]:
        return 200, self._example("integration", id=1, slug="diffrisk", name="diffrisk")
