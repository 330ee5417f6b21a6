"""The on-disk spool: order, bounds with a counter, and reports that survive
an agent restart with their ids (real SQLite file, real Mosquitto)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from agent_mqtt import Subscriber
from test_agent_publish import cycle

from agent.publish import BrokerSettings, Publisher
from agent.spool import Spool
from camwarden.broker import Mosquitto
from schemas.messages import AgentBirth, CycleReport
from schemas.topics import TopicKind, agent_filter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_entries_come_back_in_order_after_reopening(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    keys = [spool.put(f"t/{i}", f"p{i}".encode(), False).key for i in range(5)]
    spool.done(keys[1])
    spool.close()
    again = Spool(tmp_path / "s.sqlite")
    assert [(e.topic, e.payload) for e in again.pending()] == [
        ("t/0", b"p0"), ("t/2", b"p2"), ("t/3", b"p3"), ("t/4", b"p4"),
    ]
    assert (len(again), again.size_bytes) == (4, 8)
    assert again.put("t/5", b"p5", True).key > keys[-1], "keys keep growing across a reopen"


def test_a_full_spool_drops_the_oldest_with_a_warning_and_a_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path / "s.sqlite", max_bytes=64 * 1024)
    for i in range(3):
        spool.put(f"t/{i}", bytes([i]) * 20_000, False)
    with caplog.at_level(logging.WARNING, logger="agent.spool"):
        spool.put("t/3", b"x" * 30_000, False)  # 26,000 bytes too many: two must go
    assert [e.topic for e in spool.pending()] == ["t/2", "t/3"]
    assert (spool.dropped, spool.size_bytes) == (2, 50_000)
    assert "dropped the 2 oldest unsent message(s)" in caplog.text


def test_messages_older_than_the_age_bound_are_dropped(tmp_path: Path) -> None:
    clock = Clock()
    spool = Spool(tmp_path / "s.sqlite", max_age_s=60, clock=clock)
    spool.put("t/old", b"o", False)
    clock.now += 61
    spool.put("t/new", b"n", False)
    assert [e.topic for e in spool.pending()] == ["t/new"]
    assert spool.dropped == 1


def test_done_on_an_entry_dropped_in_flight_changes_nothing(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite", max_bytes=64 * 1024)
    first = spool.put("t/0", b"a" * 40_000, False)
    spool.put("t/1", b"b" * 40_000, False)  # pushes t/0 out
    spool.done(first.key)
    assert (len(spool), spool.size_bytes) == (1, 40_000)


@pytest.mark.mqtt
async def test_a_restarted_agent_drains_the_old_spool_in_order_with_the_same_ids(
    tmp_path: Path, mosquitto: Mosquitto, broker_settings: BrokerSettings, birth: AgentBirth
) -> None:
    path = tmp_path / "spool.sqlite"
    mosquitto.stop()  # the uplink is down for the whole first life of the agent
    spool = Spool(path)
    sent: list[CycleReport] = [cycle(birth, i) for i in range(20)]
    publisher = Publisher(broker_settings, birth, outbox=spool)
    await publisher.start()
    for report in sent:
        publisher.publish(report)
    await publisher.close(grace_s=0.2)  # cannot be acknowledged: stays on disk
    spool.close()

    mosquitto.start()
    async with Subscriber(mosquitto, agent_filter(kind=TopicKind.CYCLE)) as sub:
        reopened = Spool(path)
        assert len(reopened) == 21  # twenty reports and the first life's death
        second = birth.model_copy(update={"session_id": "f" * 32})
        async with Publisher(broker_settings, second, outbox=reopened) as publisher:
            async with asyncio.timeout(10):
                await publisher.flush()
            got = await sub.take(20)
        assert [g.message for g in got] == sent, "same reports, same ids, same order"
        assert len(reopened) == 0
        reopened.close()
