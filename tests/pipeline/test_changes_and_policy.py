"""Only changes travel, and policies reach the agents: a real Mosquitto, the
real controller on SQLite and PostgreSQL, an in-process agent whose cameras
are plain data (its ONVIF part is not the point here)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from agent_fakes import fake_collect
from sqlalchemy import delete, select

from agent.service import Agent
from camwarden.broker import Mosquitto
from controller.service import Controller
from controller.store.agents import agent_policy_views
from controller.store.tables import observation_changes, observations
from schemas.topics import policy_topic
from tests.pipeline.conftest import (
    SERIALS,
    SMALL,
    TARGETS,
    agent_config,
    controller_config,
    policy_version,
    stop_controller,
)
from tests.pipeline.mqtt_tools import RawSubscriber

pytestmark = pytest.mark.mqtt
TIMEOUT = 15.0


@pytest.fixture
async def controller(db_url: str, mosquitto: Mosquitto) -> AsyncIterator[Controller]:
    ctl = Controller(controller_config(db_url, mosquitto, SMALL))
    await ctl.start()
    yield ctl
    await stop_controller(ctl)


async def _observed(ctl: Controller) -> dict[str, datetime]:
    assert ctl.store is not None
    async with ctl.store.engine.connect() as c:
        rows = await c.execute(select(observations.c.address, observations.c.observed_at))
        return {address: at for address, at in rows}


async def test_unchanged_cameras_travel_as_heartbeats_and_move_last_seen_only(
    controller: Controller, mosquitto: Mosquitto
) -> None:
    assert controller.ingest is not None and controller.store is not None
    agent = Agent(agent_config(mosquitto, SMALL), collect=fake_collect(SERIALS))
    await asyncio.wait_for(agent.run_cycles(1), TIMEOUT)
    await controller.ingest.wait_received(4, TIMEOUT)  # birth, a batch of 3, cycle, death
    first = await _observed(controller)
    await asyncio.wait_for(agent.run_cycles(1), TIMEOUT)
    await controller.ingest.wait_received(8, TIMEOUT)  # birth, heartbeat, cycle, death
    assert (agent.full_reports, agent.heartbeat_cameras) == (3, 3)
    assert controller.ingest.heartbeat_cameras == 3
    assert controller.ingest.heartbeat_gaps == 0
    later = await _observed(controller)
    assert set(later) == set(TARGETS)
    assert all(later[a] > first[a] for a in TARGETS), "a heartbeat is 'seen now'"
    assert await controller.store.count("observation_changes") == 3, "no history for sameness"
    assert controller.reconciler is not None
    sites = await controller.store.load_sites(["test-main"])
    assert sites["test-main"].cameras[TARGETS[0]].observed_at == later[TARGETS[0]]


async def test_a_heartbeat_for_an_unknown_camera_waits_for_the_next_full_snapshot(
    controller: Controller, mosquitto: Mosquitto
) -> None:
    assert controller.ingest is not None and controller.store is not None
    agent = Agent(agent_config(mosquitto, SMALL), collect=fake_collect(SERIALS))
    await asyncio.wait_for(agent.run_cycles(1), TIMEOUT)
    await controller.ingest.wait_received(4, TIMEOUT)  # birth, a batch of 3, cycle, death
    async with controller.store.engine.begin() as c:  # the database lost its state
        await c.execute(delete(observations))
        await c.execute(delete(observation_changes))
    await asyncio.wait_for(agent.run_cycles(1), TIMEOUT)
    await controller.ingest.wait_received(8, TIMEOUT)  # birth, heartbeat, cycle, death
    assert controller.ingest.heartbeat_gaps == 3
    assert await _observed(controller) == {}, "a heartbeat never invents an observation"
    agent.request_full_snapshot()
    await asyncio.wait_for(agent.run_cycles(1), TIMEOUT)
    await controller.ingest.wait_received(12, TIMEOUT)  # birth, a batch of 3, cycle, death
    assert set(await _observed(controller)) == set(TARGETS)


async def test_agents_take_the_newest_policy_the_controller_publishes(
    db_url: str, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    v2 = policy_version(tmp_path, "2026-06-01", "2026-06-01")
    ctl = Controller(controller_config(db_url, mosquitto, v2))
    await ctl.start()
    try:
        assert ctl.store is not None and ctl.ingest is not None
        assert ctl.policy_distributor is not None
        published = ctl.policy_distributor.published
        assert published == {"test-main": "2026-06-01", "test-annex": "2026-06-01"}
        agent = Agent(agent_config(mosquitto, SMALL), collect=fake_collect(SERIALS))
        running = asyncio.create_task(agent.run())
        async with asyncio.timeout(TIMEOUT):
            await agent.wait_policy("2026-06-01")  # the retained message, at connect

            # A newer file on the controller's side travels to the agent.
            v3 = policy_version(tmp_path, "2026-07-01", "2026-07-01")
            v2.write_text(v3.read_text(encoding="utf-8"), encoding="utf-8")
            assert await ctl.policy_distributor.check_files() == 2
            await agent.wait_policy("2026-07-01")

            # Garbage and an older version are refused; a later marker proves
            # the agent read them first (one subscription keeps the order).
            async with RawSubscriber(mosquitto, "camwarden/none") as raw:
                old = policy_version(tmp_path, "2026-01-01", "2026-01-01")
                from controller.policy_publish import policy_messages
                from schemas.policy_file import load_policy

                older = policy_messages([load_policy(old)], datetime.now(UTC))[0]
                marker_file = policy_version(tmp_path, "2026-08-01", "2026-08-01")
                marker = policy_messages([load_policy(marker_file)], datetime.now(UTC))[0]
                for payload in (b"{not json", older.model_dump_json().encode(),
                                marker.model_dump_json().encode()):
                    info = raw.client.publish(policy_topic("test-main"), payload, qos=1)
                    await asyncio.to_thread(info.wait_for_publish, TIMEOUT)
            await agent.wait_policy("2026-08-01")
        await agent.stop()
        await running
        await asyncio.wait_for(agent.run_cycles(1), TIMEOUT)
        await ctl.ingest.wait_received(4 + 4, TIMEOUT)  # second run: unchanged, a heartbeat
        async with ctl.store.engine.connect() as c:
            views = await agent_policy_views(c, "test-office")
        assert [(v.agent_id, v.policy_version) for v in views] == [("test-agent", "2026-08-01")]
    finally:
        await ctl.stop()
