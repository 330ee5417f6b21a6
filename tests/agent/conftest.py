"""Fixtures of the agent's tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from agent.publish import BrokerSettings
from camwarden import __version__
from camwarden.broker import Mosquitto
from schemas.messages import AgentBirth


@pytest.fixture
def birth() -> AgentBirth:
    return AgentBirth(
        agent_id="test-agent",
        site_id="test-main",
        session_id=uuid.uuid4().hex,
        started_at=datetime.now(UTC),
        software_version=__version__,
        policy_id="test-office",
        policy_version="2026-01-01",
        interval_s=60.0,
        targets=3,
    )


@pytest.fixture
def broker_settings(mosquitto: Mosquitto) -> BrokerSettings:
    """Fast reconnects, so that a broker restart costs the test milliseconds."""
    return BrokerSettings(
        host=mosquitto.host,
        port=mosquitto.port,
        client_id="test-agent",
        keepalive_s=10,
        reconnect_min_s=0.05,
        reconnect_max_s=0.5,
    )
