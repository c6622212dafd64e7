"""Links to an analysis's HTML report that only their holder can open: the check run's
details_url carries an HMAC of (repository, head sha) keyed from the webhook secret, so the page
of a private repository is reachable from its check run and not by guessing its address."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

LINK_KEY_LABEL = b"diffrisk report links v1"  # a key of its own, derived from the secret
SIGNATURE_CHARS = 32  # 128 bits of the SHA-256


def link_signature(secret: str, repository: str, head_sha: str) -> str:
    """The signature of the report link of one head of a repository."""
    key = hmac.new(secret.encode("utf-8"), LINK_KEY_LABEL, hashlib.sha256).digest()
    message = f"{repository}\n{head_sha}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]


def signature_matches(secret: str, repository: str, head_sha: str, signature: str) -> bool:
    """Whether a link's signature is the one for this head (compared in constant time)."""
    return bool(secret) and hmac.compare_digest(
        link_signature(secret, repository, head_sha), signature)


def report_url(base_url: str, secret: str, repository: str, head_sha: str) -> str:
    """<base_url>/reports/OWNER/NAME/SHA?sig=…: the page `diffrisk serve` shows it on."""
    return (f"{base_url.rstrip('/')}/reports/{quote(repository, safe='/')}/{head_sha}"
            f"?sig={link_signature(secret, repository, head_sha)}")
