"""Fault tests: a stream of reports through a real Mosquitto into a real
controller (SQLite and PostgreSQL) while parts die. Each counts reports
sent, stored and duplicated and asserts that none is lost or doubled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent.publish import BrokerSettings, Publisher
from agent.spool import Spool
from camwarden.broker import Mosquitto
from controller.service import Controller
from schemas.topics import TopicKind, agent_topic
from tests.pipeline.conftest import SMALL, controller_config, stop_controller
from tests.pipeline.mqtt_tools import RawSubscriber
from tests.pipeline.stream import ControllerProcess, birth, report, stored, until_stored

pytestmark = pytest.mark.mqtt
N = 400
TIMEOUT = 15.0


def _settings(broker: Mosquitto, client_id: str = "test-agent") -> BrokerSettings:
    return BrokerSettings(
        host=broker.host, port=broker.port, client_id=client_id, keepalive_s=10,
        reconnect_min_s=0.05, reconnect_max_s=0.3,
    )


@pytest.fixture
async def controller(db_url: str, mosquitto: Mosquitto) -> AsyncIterator[Controller]:
    ctl = Controller(controller_config(db_url, mosquitto, SMALL))
    await ctl.start()
    yield ctl
    await stop_controller(ctl)


async def test_broker_killed_and_restarted_mid_stream(
    controller: Controller, mosquitto: Mosquitto, db_url: str, tmp_path: Path
) -> None:
    assert controller.ingest is not None
    spool = Spool(tmp_path / "spool.sqlite")
    b = birth()
    async with Publisher(_settings(mosquitto), b, outbox=spool) as publisher:
        first = [publisher.publish(report(i, b.session_id)) for i in range(N // 2)]
        await asyncio.wait_for(asyncio.gather(*first), TIMEOUT)
        mosquitto.stop(kill=True)  # SIGKILL: no goodbye, persistence as last saved
        for i in range(N // 2, N):
            publisher.publish(report(i, b.session_id))  # into the spool while it is gone
        mosquitto.start()
        async with asyncio.timeout(TIMEOUT):
            await publisher.flush()
    counts = await until_stored(db_url, N, TIMEOUT)
    assert counts == (N, N, N), f"(ids, observations, history) for {N} sent"
    assert len(spool) == 0
    spool.close()


async def test_controller_killed_and_restarted_mid_stream(
    mosquitto: Mosquitto, db_url: str, tmp_path: Path
) -> None:
    ctl = ControllerProcess(tmp_path, db_url, mosquitto, "ctl-a")
    ctl.start()
    b = birth()
    async with Publisher(_settings(mosquitto), b) as publisher:
        half = [publisher.publish(report(i, b.session_id)) for i in range(N // 2)]
        await asyncio.wait_for(asyncio.gather(*half), TIMEOUT)
        ctl.kill()  # SIGKILL mid-stream: what it had not committed is redelivered
        rest = [publisher.publish(report(i, b.session_id)) for i in range(N // 2, N)]
        await asyncio.wait_for(asyncio.gather(*rest), TIMEOUT)  # the broker queues them
    ctl.start()
    try:
        counts = await until_stored(db_url, N, TIMEOUT)
    finally:
        assert ctl.terminate() == 0
    assert counts == (N, N, N), f"(ids, observations, history) for {N} sent"


async def test_one_of_two_controller_replicas_killed(
    mosquitto: Mosquitto, db_url: str, tmp_path: Path
) -> None:
    a = ControllerProcess(tmp_path, db_url, mosquitto, "ctl-a")
    survivor = ControllerProcess(tmp_path, db_url, mosquitto, "ctl-b")
    a.start()
    survivor.start()
    b = birth()
    try:
        async with Publisher(_settings(mosquitto), b) as publisher:
            half = [publisher.publish(report(i, b.session_id)) for i in range(N // 2)]
            await asyncio.wait_for(asyncio.gather(*half), TIMEOUT)
            a.kill()
            rest = [publisher.publish(report(i, b.session_id)) for i in range(N // 2, N)]
            await asyncio.wait_for(asyncio.gather(*rest), TIMEOUT)
        counts = await until_stored(db_url, N, TIMEOUT)
    finally:
        a.kill()
        assert survivor.terminate() == 0
    # What the dead replica had in flight stays in its persistent session
    # until it returns; everything else went to the survivor.
    if counts[0] < N:
        a.start()
        try:
            counts = await until_stored(db_url, N, TIMEOUT)
        finally:
            assert a.terminate() == 0
    assert counts == (N, N, N), f"(ids, observations, history) for {N} sent"


async def test_redelivered_malformed_and_oversized_payloads_mixed_in(
    controller: Controller, mosquitto: Mosquitto, db_url: str
) -> None:
    ingest = controller.ingest
    assert ingest is not None and controller.store is not None
    b = birth()
    sent = [report(i, b.session_id) for i in range(50)]
    topic = agent_topic(TopicKind.REPORT, b.site_id, b.agent_id)
    bad = [b"{not json", b"\xff\xfe", b"{}", b" " * (controller.config.mqtt.max_payload_bytes + 1)]
    async with RawSubscriber(mosquitto, "camwarden/none") as raw:
        for i, message in enumerate(sent):
            payload = message.model_dump_json().encode()
            for p in (payload, payload) if i % 10 == 0 else (payload,):  # a redelivery
                info = raw.client.publish(topic, p, qos=1)
                await asyncio.to_thread(info.wait_for_publish, TIMEOUT)
            if i % 12 == 0:
                info = raw.client.publish(topic, bad[(i // 12) % len(bad)], qos=1)
                await asyncio.to_thread(info.wait_for_publish, TIMEOUT)
    await ingest.wait_received(50 + 5 + 5, TIMEOUT)
    assert (ingest.duplicates, ingest.quarantined) == (5, 5)
    assert await stored(db_url) == (50, 50, 50)
    assert await controller.store.quarantine_count() == 5
