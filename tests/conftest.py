"""Shared fixtures: built git repositories, real PostgreSQL, SQLite and Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitbuild import RepoBuilder


@pytest.fixture
def builder(tmp_path: Path) -> RepoBuilder:
    """An empty repository with a fixed clock, to be filled by the test."""
    return RepoBuilder(tmp_path / "repo")
