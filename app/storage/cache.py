"""A Redis cache with a TTL for hot reads of stored features during an analysis."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis import Redis

KEY_PREFIX = "diffrisk:features"


class FeatureCache:
    """Commit features by (repository, extractor version, sha), kept for ttl seconds."""

    def __init__(self, client: Redis, ttl_seconds: int) -> None:
        self.client = client
        self.ttl_seconds = ttl_seconds

    @staticmethod
    def key(repository_id: int, version: int, sha: str) -> str:
        """The Redis key of one commit's features."""
        return f"{KEY_PREFIX}:{repository_id}:{version}:{sha}"

    def get(self, repository_id: int, version: int, sha: str) -> dict[str, Any] | None:
        """Cached features, or None when absent or expired."""
        raw = self.client.get(self.key(repository_id, version, sha))
        return None if raw is None else dict(json.loads(raw))

    def put(self, repository_id: int, version: int, sha: str, features: dict[str, Any]) -> None:
        """Cache features with the TTL."""
        self.client.set(self.key(repository_id, version, sha), json.dumps(features),
                        ex=self.ttl_seconds)
