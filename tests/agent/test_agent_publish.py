"""The agent's publisher against a real Mosquitto: birth, death, order, no loss."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, datetime

import pytest
from agent_mqtt import Subscriber

from agent.publish import BrokerSettings, Publisher
from camwarden.broker import Mosquitto
from schemas.messages import AgentBirth, AgentDeath, CycleReport
from schemas.topics import TopicKind, agent_filter

pytestmark = pytest.mark.mqtt


def cycle(birth: AgentBirth, seq: int) -> CycleReport:
    """A small report whose ``camera_reports`` carries a sequence number."""
    now = datetime.now(UTC)
    return CycleReport(
        report_id=uuid.uuid4().hex,
        agent_id=birth.agent_id,
        site_id=birth.site_id,
        session_id=birth.session_id,
        cycle_id=uuid.uuid4().hex,
        started_at=now,
        finished_at=now,
        addresses=("127.0.0.1:10001",),
        camera_reports=seq,
    )


async def test_birth_is_retained_for_a_late_subscriber(
    mosquitto: Mosquitto, broker_settings: BrokerSettings, birth: AgentBirth
) -> None:
    cycles = Subscriber(mosquitto, agent_filter(kind=TopicKind.CYCLE))  # a controller is there
    async with cycles, Publisher(broker_settings, birth) as publisher:
        # The birth goes out first on the connection; once a later message is
        # acknowledged, the broker holds the birth too.
        await asyncio.wait_for(publisher.publish(cycle(birth, 0)), 10)
        async with Subscriber(mosquitto, agent_filter("test-main")) as late:
            got = await late.next()
    assert (got.topic.kind, got.retained, got.message) == (TopicKind.BIRTH, True, birth)


async def test_death_is_the_last_will_when_the_connection_dies(
    mosquitto: Mosquitto, broker_settings: BrokerSettings, birth: AgentBirth
) -> None:
    async with Subscriber(mosquitto, agent_filter()) as sub, Publisher(
        broker_settings, birth
    ) as publisher:
        assert (await sub.next()).message == birth
        sock = publisher._client.socket()
        assert isinstance(sock, socket.socket)
        sock.shutdown(socket.SHUT_RDWR)  # gone without DISCONNECT, as in a crash
        will = await sub.next()
        assert will.message == AgentDeath(
            agent_id=birth.agent_id, site_id=birth.site_id, session_id=birth.session_id
        )
        again = await sub.next()  # paho reconnects: a new birth, same session
        assert (again.message, publisher.connections) == (birth, 2)


async def test_clean_close_publishes_the_death_after_the_reports(
    mosquitto: Mosquitto, broker_settings: BrokerSettings, birth: AgentBirth
) -> None:
    async with Subscriber(mosquitto, agent_filter()) as sub:
        async with Publisher(broker_settings, birth) as publisher:
            await asyncio.wait_for(publisher.connected.wait(), 10)
            publisher.publish(cycle(birth, 1))
        kinds = [r.topic.kind for r in await sub.take(3)]
    assert kinds == [TopicKind.BIRTH, TopicKind.CYCLE, TopicKind.DEATH]


async def test_reports_arrive_in_order_with_qos_1(
    mosquitto: Mosquitto, broker_settings: BrokerSettings, birth: AgentBirth
) -> None:
    n = 300
    async with Subscriber(mosquitto, agent_filter()) as sub, Publisher(
        broker_settings, birth
    ) as publisher:
        for seq in range(n):
            publisher.publish(cycle(birth, seq))
        async with asyncio.timeout(20):
            await publisher.flush()
        received = await sub.take(n + 1)
    seqs = [r.message.camera_reports for r in received if isinstance(r.message, CycleReport)]
    assert seqs == list(range(n))
    assert publisher.unacknowledged == 0


async def test_reports_published_while_the_broker_is_down_are_delivered(
    mosquitto: Mosquitto, broker_settings: BrokerSettings, birth: AgentBirth
) -> None:
    before, during = 50, 400
    async with Subscriber(mosquitto, agent_filter(), persistent=True) as sub, Publisher(
        broker_settings, birth
    ) as publisher:
        sent = [cycle(birth, seq) for seq in range(before + during)]
        for message in sent[:before]:
            publisher.publish(message)
        async with asyncio.timeout(10):
            await publisher.flush()
        mosquitto.stop()
        for message in sent[before:]:
            publisher.publish(message)
        assert publisher.unacknowledged == during
        mosquitto.start()
        async with asyncio.timeout(30):
            await publisher.flush()
        received: set[str] = set()
        async with asyncio.timeout(30):
            while len(received) < len(sent):
                got = await sub.next()
                if isinstance(got.message, CycleReport):
                    received.add(got.message.report_id)  # QoS 1 may repeat: count once
    assert received == {m.report_id for m in sent}
    assert publisher.connections == 2


async def test_a_report_nobody_subscribed_to_is_sent_again_once_someone_does(
    mosquitto: Mosquitto, broker_settings: BrokerSettings, birth: AgentBirth
) -> None:
    """PUBACK "no matching subscribers" is a success code, yet nobody has the
    report (a controller whose session the broker lost): it must stay."""
    async with Publisher(broker_settings, birth) as publisher:
        report = cycle(birth, 7)
        delivered = publisher.publish(report)
        await asyncio.wait_for(publisher.unrouted_seen.wait(), 10)  # nobody subscribed
        assert not delivered.done() and publisher.unacknowledged == 1
        async with Subscriber(mosquitto, agent_filter(kind=TopicKind.CYCLE)) as controller:
            await asyncio.wait_for(delivered, 10)
            assert (await controller.next()).message == report
        assert publisher.unacknowledged == 0
