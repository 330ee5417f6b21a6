"""Small MQTT clients for the pipeline tests: a raw subscriber (optionally
with credentials and TLS) and a deterministic publisher of camera reports.

paho's callbacks run in paho's thread; they only hand over with
``call_soon_threadsafe``; tests await queues and events with a timeout.
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
from paho.mqtt.reasoncodes import ReasonCode

from camwarden.broker import Mosquitto


@dataclass(frozen=True)
class Raw:
    topic: str
    payload: bytes
    retained: bool


class RawSubscriber:
    """``async with RawSubscriber(broker, filters, ...) as sub``; received
    messages in ``sub.queue``; ``sub.granted`` holds the SUBACK codes."""

    def __init__(
        self,
        broker: Mosquitto,
        *filters: str,
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.broker = broker
        self.filters = filters
        self.queue: asyncio.Queue[Raw] = asyncio.Queue()
        self.granted: list[ReasonCode] = []
        self.connect_reason: ReasonCode | None = None
        self._done = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"test-raw-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        if ca_file is not None:
            self.client.tls_set(ca_certs=ca_file)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def _set(self) -> None:
        self._done.set()

    def _on_connect(
        self, client: mqtt.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Any
    ) -> None:
        self.connect_reason = reason
        assert self._loop is not None
        if reason.is_failure:
            self._loop.call_soon_threadsafe(self._set)
            return
        client.subscribe([(f, 1) for f in self.filters])

    def _on_subscribe(self, _c: Any, _u: Any, _mid: int, codes: list[ReasonCode], _p: Any) -> None:
        self.granted = list(codes)
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._set)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(
            self.queue.put_nowait, Raw(msg.topic, bytes(msg.payload), bool(msg.retain))
        )

    async def __aenter__(self) -> RawSubscriber:
        self._loop = asyncio.get_running_loop()
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 0
        self.client.connect_async(self.broker.host, self.broker.port, properties=props)
        self.client.loop_start()
        async with asyncio.timeout(10):
            await self._done.wait()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.client.disconnect()
        await asyncio.to_thread(self.client.loop_stop)

    async def next(self, timeout: float = 10.0) -> Raw:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            return await self.queue.get()
