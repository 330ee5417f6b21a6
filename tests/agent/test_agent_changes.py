"""Only changes travel: full reports for what changed, a heartbeat for the
rest, a full snapshot on schedule (pure tracker, and the service on a real
Mosquitto)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from agent_fakes import fake_collect
from agent_mqtt import Subscriber, unbatched
from test_agent_service import SERIALS, TARGETS, config

from agent.changes import HEARTBEAT_CHUNK, ChangeTracker, chunks
from agent.onvif import Collected, Credentials
from agent.service import Agent
from camwarden.broker import Mosquitto
from schemas.fingerprint import observation_fingerprint
from schemas.messages import CameraHeartbeat, CameraObservation, CameraReport, CycleReport
from schemas.topics import agent_filter

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _obs(address: str, *, reachable: bool = True, minutes: int = 0) -> CameraObservation:
    return CameraObservation(
        address=address, reachable=reachable, observed_at=T0 + timedelta(minutes=minutes)
    )


def test_first_cycle_is_full_then_unchanged_cameras_are_heartbeats() -> None:
    tracker = ChangeTracker(full_snapshot_interval_s=3600)
    first = tracker.split((_obs("a"), _obs("b")), now_s=0)
    assert (first.snapshot, [o.address for o in first.full]) == (True, ["a", "b"])
    assert first.unchanged == ()
    second = tracker.split((_obs("a", minutes=1), _obs("b", reachable=False, minutes=1)), now_s=60)
    assert second.snapshot is False
    assert [o.address for o in second.full] == ["b"], "b changed: it travels in full"
    assert [(e.address, e.facts_hash) for e in second.unchanged] == [
        ("a", observation_fingerprint(_obs("a")))
    ]


def test_a_full_snapshot_comes_every_interval() -> None:
    tracker = ChangeTracker(full_snapshot_interval_s=600)
    tracker.split((_obs("a"),), now_s=0)
    assert tracker.split((_obs("a"),), now_s=599).snapshot is False
    again = tracker.split((_obs("a"),), now_s=600)
    assert (again.snapshot, len(again.full)) == (True, 1)


def test_heartbeats_are_chunked() -> None:
    tracker = ChangeTracker(full_snapshot_interval_s=3600)
    many = tuple(_obs(f"10.0.0.{i}") for i in range(HEARTBEAT_CHUNK + 5))
    tracker.split(many, now_s=0)
    split = tracker.split(many, now_s=1)
    assert [len(c) for c in chunks(split.unchanged)] == [HEARTBEAT_CHUNK, 5]


@pytest.mark.mqtt
async def test_the_agent_sends_a_heartbeat_for_unchanged_cameras(
    mosquitto: Mosquitto, small_policy_path: Path
) -> None:
    firmware = {"fw": "1.0.0"}

    async def collect(address: str, credentials: Credentials | None) -> Collected:
        base = await fake_collect(SERIALS)(address, credentials)
        if address != TARGETS[0] or base.facts is None or base.facts.device is None:
            return base
        device = base.facts.device.model_copy(update={"firmware": firmware["fw"]})
        facts = base.facts.model_copy(update={"device": device})
        return Collected(address=address, reachable=True, facts=facts, errors=())

    agent = Agent(config(mosquitto, small_policy_path), collect=collect)
    async with Subscriber(mosquitto, agent_filter("test-main")) as sub:
        async with asyncio.timeout(20):
            await agent.run_cycles(1)
            firmware["fw"] = "2.0.0"  # the first camera changes between runs...
            await agent.run_cycles(1)
        # birth, a batch of 3, cycle, death; then birth, a batch of 1,
        # heartbeat, cycle, death
        got = [r.message for r in unbatched(await sub.take(4 + 5))]
    second_run = got[6:]
    # ...a new birth (a run is a connection), the changed camera in full, a
    # heartbeat for the other two, the cycle naming all three, the death.
    full, beat, cycle = second_run[1], second_run[2], second_run[3]
    assert isinstance(full, CameraReport) and full.observation.address == TARGETS[0]
    assert isinstance(beat, CameraHeartbeat)
    assert [e.address for e in beat.cameras] == list(TARGETS[1:])
    assert isinstance(cycle, CycleReport) and cycle.addresses == TARGETS
    assert (agent.full_reports, agent.heartbeat_cameras) == (4, 2)
