"""Checked reads of webhook payload fields: a missing or malformed field is a PayloadError."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
FULL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,299}")
MAX_FULL_NAME = 400
MAX_TEXT = 2000  # clone URLs, refs, branch names


class PayloadError(ValueError):
    """A field the route needs is missing or malformed; the message names it in one line."""


def objects(payload: Mapping[str, Any], path: str) -> list[Mapping[str, Any]]:
    """The objects of a list at a dotted path (absent or null is an empty list)."""
    value = _at(payload, path, required=False)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise PayloadError(f"{path} must be a list of objects")
    return value


def integer(payload: Mapping[str, Any], path: str) -> int:
    """A positive integer (never a bool)."""
    value = _at(payload, path)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PayloadError(f"{path} must be a positive integer")
    return value


def text(payload: Mapping[str, Any], path: str, limit: int = MAX_TEXT) -> str:
    """A non-empty string of at most `limit` characters without control characters."""
    value = _at(payload, path)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise PayloadError(f"{path} must be a string of 1 to {limit} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise PayloadError(f"{path} must not contain control characters")
    return value


def flag(payload: Mapping[str, Any], path: str, default: bool = False) -> bool:
    """A boolean; absent or null is the default."""
    value = _at(payload, path, required=False)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise PayloadError(f"{path} must be true or false")
    return value


def sha(payload: Mapping[str, Any], path: str) -> str:
    """A commit sha: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits."""
    value = _at(payload, path)
    if not isinstance(value, str) or not SHA.fullmatch(value):
        raise PayloadError(f"{path} must be a commit sha of 40 or 64 hex digits")
    return value


def full_name(payload: Mapping[str, Any], path: str) -> str:
    """A repository's owner/name (at most 400 characters)."""
    return _checked_full_name(_at(payload, path), path)


def full_names(payload: Mapping[str, Any], path: str) -> list[str]:
    """The full names of a list of repository objects (absent or null is an empty list)."""
    return [_checked_full_name(item.get("full_name"), f"{path}[{index}].full_name")
            for index, item in enumerate(objects(payload, path))]


def _checked_full_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_FULL_NAME or not FULL_NAME.fullmatch(value):
        raise PayloadError(f"{where} must be a repository owner/name of at most "
                           f"{MAX_FULL_NAME} characters")
    return value


def _at(payload: Mapping[str, Any], path: str, required: bool = True) -> Any:
    """The value at a dotted path; a missing step is a PayloadError when required."""
    value: Any = payload
    for key in path.split("."):
        if not isinstance(value, Mapping) or value.get(key) is None:
            if required:
                raise PayloadError(f"{path} is missing")
            return None
        value = value[key]
    return value
