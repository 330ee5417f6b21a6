"""Fixtures shared by every test: a real Mosquitto and a real PostgreSQL.

Both are real servers. Mosquitto is started per test on a free port.
PostgreSQL is the machine's server on 127.0.0.1:5432 (trust auth), or the
one CAMWARDEN_TEST_PG names; each test gets a fresh database, dropped after.
A test that needs PostgreSQL fails (it is not skipped) when none answers, so
that CI cannot go green without having run it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from camwarden.broker import Mosquitto

FIXTURES = Path(__file__).parent / "fixtures"
POLICIES = Path(__file__).parent.parent / "policies"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    with Mosquitto(tmp_path / "mosquitto") as broker:
        yield broker


@pytest.fixture
def small_policy_path() -> Path:
    return FIXTURES / "policy-small.yaml"


PG_ADMIN_DSN = os.environ.get("CAMWARDEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """SQLAlchemy URL of a fresh, empty PostgreSQL database."""
    import asyncpg

    name = f"camwarden_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    yield f"{base}/{name}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
