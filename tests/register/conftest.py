"""Fixtures of the register's tests: a database on each engine, a policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.policy import Policy
from schemas.policy_file import load_policy

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'register.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def policy() -> Policy:
    return load_policy(FIXTURES / "policy-small.yaml")
