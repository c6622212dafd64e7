"""The App's identity: settings checks, the JWT's claims, installation tokens cached in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.github_auth import (
    InstallationTokens,
    app_client,
    app_jwt,
    load_app_credentials,
    require_webhook_secret,
)
from app.settings import Settings, SettingsError, load_settings
from tests.fakegithub import FakeGitHub


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    """A fresh RSA key standing in for the App's."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def pem(key: rsa.RSAPrivateKey) -> str:
    """The key as the PEM text GitHub hands out."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    """A running fake GitHub."""
    with FakeGitHub() as server:
        yield server
        assert server.violations == [] and server.response_violations == []


def test_the_jwt_is_rs256_backdated_and_short_lived(pem: str, key: rsa.RSAPrivateKey) -> None:
    credentials = load_app_credentials(Settings(app_id="4242", private_key=pem))
    token = app_jwt(credentials, now=1_700_000_000)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(token, key.public_key(), algorithms=["RS256"],
                        options={"verify_exp": False, "verify_iat": False})
    assert claims["iss"] == "4242"
    assert claims["iat"] == 1_700_000_000 - 60
    assert 0 < claims["exp"] - 1_700_000_000 <= 600


def test_the_key_is_read_from_a_file_or_the_environment(pem: str, tmp_path: Path) -> None:
    (tmp_path / "app.pem").write_text(pem, encoding="ascii")
    from_file = load_settings(environ={"DIFFRISK_APP_ID": "7",
                                       "DIFFRISK_PRIVATE_KEY_PATH": str(tmp_path / "app.pem")})
    one_line = load_settings(environ={"DIFFRISK_APP_ID": "7",
                                      "DIFFRISK_PRIVATE_KEY": pem.replace("\n", "\\n")})
    assert load_app_credentials(from_file).private_key == pem
    assert load_app_credentials(one_line).private_key == pem
    assert pem not in repr(one_line) and pem not in repr(load_app_credentials(one_line))


@pytest.mark.parametrize(("changes", "message"), [
    ({"app_id": ""}, "DIFFRISK_APP_ID must be the App's numeric id"),
    ({"app_id": "my-app"}, "DIFFRISK_APP_ID must be the App's numeric id"),
    ({"private_key": ""}, "no private key: set DIFFRISK_PRIVATE_KEY_PATH"),
    ({"private_key": "", "private_key_path": "/nonexistent/app.pem"},
     "cannot read the private key /nonexistent/app.pem"),
    ({"private_key": "-----BEGIN RSA PRIVATE KEY-----\nbroken\n-----END RSA PRIVATE KEY-----"},
     "the private key is not a valid RSA key in PEM form"),
])
def test_unusable_credentials_say_how_to_fix_them(pem: str, changes: dict[str, Any],
                                                  message: str) -> None:
    settings = dataclasses.replace(Settings(app_id="7", private_key=pem), **changes)
    with pytest.raises(SettingsError, match=message) as raised:
        load_app_credentials(settings)
    assert "\n" not in str(raised.value)


def test_the_webhook_secret_is_required() -> None:
    with pytest.raises(SettingsError, match="DIFFRISK_WEBHOOK_SECRET is not set"):
        require_webhook_secret(Settings())
    secret = load_settings(environ={"DIFFRISK_WEBHOOK_SECRET": "s3cret"})
    assert require_webhook_secret(secret) == b"s3cret"
    assert "s3cret" not in repr(secret)


def test_installation_tokens_are_minted_once_and_renewed_before_expiry(
        fake: FakeGitHub, pem: str) -> None:
    settings = Settings(app_id="7", private_key=pem, github_api_url=fake.base_url)
    expiry = fake.token_expiry_epoch()
    now = [expiry - 3600.0]
    tokens = InstallationTokens(settings, load_app_credentials(settings), clock=lambda: now[0])
    first = tokens.token(11)
    assert tokens.token(11) == first and len(fake.tokens) == 1
    assert tokens.token(12) != first and len(fake.tokens) == 2
    now[0] = expiry - 200  # inside the 5-minute margin
    assert tokens.token(11) != first and len(fake.tokens) == 3
    minted = [r for r in fake.requests if r.path.endswith("/access_tokens")]
    assert [r.path for r in minted] == ["/app/installations/11/access_tokens",
                                        "/app/installations/12/access_tokens",
                                        "/app/installations/11/access_tokens"]
    assert all(r.headers.get("Authorization", "").startswith("Bearer ") for r in minted)


def test_the_app_lists_and_redelivers_its_webhook_deliveries(fake: FakeGitHub, pem: str) -> None:
    settings = Settings(app_id="7", private_key=pem, github_api_url=fake.base_url)
    fake.deliveries.extend(fake.delivery(n, status_code=500 if n % 2 else 200)
                           for n in range(1, 151))
    client = app_client(settings, load_app_credentials(settings))
    listed = client.hook_deliveries()
    assert [d["id"] for d in listed] == list(range(1, 151))  # both pages, via the Link cursor
    client.redeliver(3)
    assert fake.redeliveries == [3]
