"""A small MQTT subscriber for tests: every message lands in an asyncio queue.

paho's callbacks run in paho's thread, so they only hand messages over with
``call_soon_threadsafe``; the test awaits the queue with a timeout.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from camwarden.broker import Mosquitto
from schemas.messages import AgentMessage, CameraReportBatch
from schemas.topics import AgentTopic, decode


@dataclass(frozen=True)
class Received:
    topic: AgentTopic
    message: AgentMessage
    retained: bool


def unbatched(received: list[Received]) -> list[Received]:
    """Each ``CameraReportBatch`` as the ``CameraReport``s it carries, in
    order and under the batch's own topic (so a test can still tell how they
    travelled); every other message as it is. For tests that speak of one
    report per camera, whether the agent batches or not."""
    out: list[Received] = []
    for r in received:
        if isinstance(r.message, CameraReportBatch):
            reports = r.message.camera_reports()
            out.extend(Received(r.topic, report, r.retained) for report in reports)
        else:
            out.append(r)
    return out


class Subscriber:
    """``async with Subscriber(broker, topic_filter) as sub:`` then ``await sub.next()``.

    ``persistent=True`` keeps a broker session (QoS 1 messages are queued
    for it while it is away, e.g. across a broker restart).
    """

    def __init__(self, broker: Mosquitto, topic_filter: str, *, persistent: bool = False) -> None:
        self.broker = broker
        self.topic_filter = topic_filter
        self.queue: asyncio.Queue[Received] = asyncio.Queue()
        self._subscribed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"test-sub-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self._persistent = persistent
        self._client.reconnect_delay_set(0.05, 0.2)  # type: ignore[arg-type]
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe(self.topic_filter, qos=1)

    def _on_subscribe(self, *_: Any) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._subscribed.set)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        where, message = decode(msg.topic, msg.payload)
        assert self._loop is not None
        self._loop.call_soon_threadsafe(
            self.queue.put_nowait, Received(where, message, bool(msg.retain))
        )

    async def __aenter__(self) -> Subscriber:
        self._loop = asyncio.get_running_loop()
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600 if self._persistent else 0
        # A persistent subscriber never asks for a clean start (its client id
        # is fresh anyway): Mosquitto 2.0 does not restore, after a restart, a
        # session that began with clean_start=1, even with a session expiry.
        clean = not self._persistent
        self._client.connect_async(
            self.broker.host, self.broker.port, clean_start=clean, properties=props
        )
        self._client.loop_start()
        async with asyncio.timeout(10):
            await self._subscribed.wait()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)

    async def next(self, timeout: float = 10.0) -> Received:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            return await self.queue.get()

    async def take(self, n: int, timeout: float = 20.0) -> list[Received]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            return [await self.queue.get() for _ in range(n)]
