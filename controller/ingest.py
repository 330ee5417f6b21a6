"""MQTT ingest: agents' births, deaths, reports and cycles into the store.

paho-mqtt 2.x, MQTT 5, persistent session (``clean_start=False`` with a
session expiry), QoS 1, manual acknowledgement: a message is acked only after
the transaction holding it committed, so a crash never loses an acked report
(the broker redelivers; report ids make that harmless).

Subscriptions: births and deaths directly (every replica must know every
agent, and MQTT 5 sends no retained birth to a shared subscription), reports,
heartbeats and cycles through ``$share/{group}/...`` so that replicas split
the load. The controller also publishes on this connection (``publish``:
each site's retained policy, controller/policy_publish.py).

Threads: paho runs its network loop in its own thread. Its callbacks only
build a ``RawMessage`` and hand it to the asyncio loop with
``call_soon_threadsafe``; they never touch asyncio objects otherwise. The
loop side validates each message as it arrives (``controller.intake``),
collects them for a few milliseconds, writes them in one transaction and
then acks them; the next batch is validated while one is being written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from controller.config import MqttConfig, read_password
from controller.intake import Batch, RawMessage, sort_message
from controller.store import BatchEffects, Store
from schemas.errors import CamwardenError, StoreError
from schemas.topics import TopicKind, agent_filter, shared

log = logging.getLogger(__name__)

BATCH_WINDOW_S = 0.005
"""How long to collect more messages once one arrived."""
BATCH_MAX = 1000
RETRY_MAX_S = 10.0
_STOP = object()


def subscriptions(share_group: str) -> list[tuple[str, SubscribeOptions]]:
    """The filters a controller replica subscribes to (see the module doc)."""
    qos1 = SubscribeOptions(qos=1)
    return [
        (agent_filter(kind=TopicKind.BIRTH), qos1),
        (agent_filter(kind=TopicKind.DEATH), qos1),
        (shared(share_group, agent_filter(kind=TopicKind.REPORT)), qos1),
        (shared(share_group, agent_filter(kind=TopicKind.REPORT_BATCH)), qos1),
        (shared(share_group, agent_filter(kind=TopicKind.CYCLE)), qos1),
        (shared(share_group, agent_filter(kind=TopicKind.HEARTBEAT)), qos1),
    ]


class Ingest:
    """``await ingest.connect()``, run ``ingest.run()`` as a task,
    ``await ingest.close()`` to flush and disconnect."""

    def __init__(
        self,
        config: MqttConfig,
        store: Store,
        on_written: Callable[[BatchEffects], None],
    ) -> None:
        self.config = config
        self.store = store
        self.on_written = on_written
        self.received = 0
        self.quarantined = 0
        self.duplicates = 0
        self.heartbeat_cameras = 0
        """Cameras confirmed unchanged by heartbeats."""
        self.heartbeat_gaps = 0
        """Heartbeat cameras with no matching full observation (filled by the next snapshot)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[RawMessage | object] = asyncio.Queue()
        self._ready: asyncio.Future[None] | None = None
        self._generation = 0
        self._closing = False
        self._drained = asyncio.Event()
        self._written = asyncio.Condition()
        self._publishing: dict[int, asyncio.Future[None]] = {}
        self._pending: tuple[list[RawMessage], Batch] = ([], Batch())
        """Messages received and validated, not yet being written."""
        self._first_at = 0.0
        """Loop time the oldest pending message was decoded."""
        self._arrived = asyncio.Event()
        self._taken = asyncio.Event()
        self._stopping = False
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.config.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if self.config.username is not None:
            client.username_pw_set(self.config.username, read_password(self.config))
        if self.config.tls:
            client.tls_set(ca_certs=self.config.ca_file)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        return client

    async def connect(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Connect and subscribe; returns once the broker granted every
        subscription. Raises CamwardenError naming the broker otherwise."""
        self._loop = asyncio.get_running_loop()
        self._ready = self._loop.create_future()
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self.config.session_expiry_s
        where = f"MQTT broker {self.config.host}:{self.config.port}"
        try:
            self._client.connect_async(
                self.config.host,
                self.config.port,
                keepalive=self.config.keepalive_s,
                clean_start=False,
                properties=properties,
            )
        except (OSError, ValueError) as exc:
            raise CamwardenError(f"{where}: cannot connect: {exc}") from None
        self._client.loop_start()
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except TimeoutError:
            self._client.loop_stop()
            raise CamwardenError(f"{where}: no connection within {timeout:g} s") from None
        except CamwardenError:
            self._client.loop_stop()
            raise

    # --- paho's thread -------------------------------------------------

    def _hand_over(self, callback: Callable[..., Any], *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(callback, *args)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            self._hand_over(self._settle, f"broker refused the connection: {reason_code}")
            return
        self._generation += 1
        client.subscribe(subscriptions(self.config.share_group))

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [str(code) for code in reason_codes if code.is_failure]
        problem = f"broker refused subscription(s): {refused}" if refused else None
        self._hand_over(self._settle, problem)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = message._topic.decode("utf-8", "replace")
        raw = RawMessage(
            topic=topic,
            payload=bytes(message.payload),
            mid=message.mid,
            qos=message.qos,
            received_at=datetime.now(UTC),
            retain=bool(message.retain),
            generation=self._generation,
        )
        self._hand_over(self._queue.put_nowait, raw)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if not self._closing:
            self._hand_over(log.warning, "MQTT disconnected (%s); paho reconnects", reason_code)

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._hand_over(self._published, mid, str(reason_code) if reason_code.is_failure else None)

    # --- the asyncio loop ----------------------------------------------

    def publish(self, topic: str, payload: bytes, *, retain: bool) -> asyncio.Future[None]:
        """Publish on the controller's connection (QoS 1). The future resolves
        on the broker's PUBACK, or fails with CamwardenError naming the
        reason code the broker refused it with. paho keeps the message
        across a reconnect; call from the loop, after ``connect``."""
        assert self._loop is not None, "publish after connect"
        future: asyncio.Future[None] = self._loop.create_future()
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            future.set_exception(
                CamwardenError(f"cannot publish on {topic}: {mqtt.error_string(info.rc)}")
            )
        else:
            self._publishing[info.mid] = future
        return future

    def _published(self, mid: int, refused: str | None) -> None:
        future = self._publishing.pop(mid, None)
        if future is None or future.done():
            return
        if refused is None:
            future.set_result(None)
        else:
            future.set_exception(CamwardenError(f"the broker refused a publish: {refused}"))

    def _settle(self, problem: str | None) -> None:
        if self._ready is None or self._ready.done():
            if problem:
                log.error("MQTT %s:%s: %s", self.config.host, self.config.port, problem)
            return
        if problem:
            where = f"MQTT broker {self.config.host}:{self.config.port}"
            self._ready.set_exception(CamwardenError(f"{where}: {problem}"))
        else:
            self._ready.set_result(None)

    async def run(self) -> None:
        """Decode and write until ``close`` asks to stop (or cancelled).

        Two tasks share the loop: one validates each message as it arrives
        into the next batch, the other writes the previous batch in one
        transaction and then acks it. Writing waits mostly on the
        database driver's thread (or server), so the next batch is
        validated meanwhile instead of after it."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._decode_arrivals())
            tasks.create_task(self._write_batches())

    async def _decode_arrivals(self) -> None:
        while True:
            while len(self._pending[0]) >= BATCH_MAX:  # the writer is behind
                self._taken.clear()
                await self._taken.wait()
            item = await self._queue.get()
            if item is _STOP:
                self._stopping = True
                self._arrived.set()
                return
            assert isinstance(item, RawMessage)
            raws, batch = self._pending
            if not raws:
                self._first_at = asyncio.get_running_loop().time()
            sort_message(batch, item, self.config.max_payload_bytes)
            raws.append(item)
            self._arrived.set()
            await asyncio.sleep(0)  # let a write in flight go on between messages

    async def _write_batches(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            if not self._pending[0]:
                if self._stopping:
                    self._drained.set()
                    return
                continue
            remaining = self._first_at + BATCH_WINDOW_S - loop.time()
            if remaining > 0 and not self._stopping:
                await asyncio.sleep(remaining)  # collect a few more messages
            raws, batch = self._pending
            self._pending = ([], Batch())
            self._taken.set()
            self._arrived.set()  # look again: more may have arrived meanwhile
            await self._write(raws, batch)

    async def _write(self, raws: list[RawMessage], batch: Batch) -> None:
        for rejected in batch.rejected:
            log.warning("quarantined message on %s: %s", rejected.topic, rejected.reason)
        delay = 0.5
        while True:
            try:
                effects = await self.store.write_batch(batch, datetime.now(UTC))
                break
            except StoreError as exc:
                log.error("cannot store %d message(s), retrying in %g s: %s", len(raws), delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        for raw in raws:
            if raw.qos > 0 and raw.generation == self._generation:
                self._client.ack(raw.mid, raw.qos)
        self.received += len(raws)
        self.quarantined += effects.quarantined
        self.duplicates += effects.duplicates
        self.heartbeat_cameras += effects.heartbeat_cameras
        self.heartbeat_gaps += effects.heartbeat_gaps
        self.on_written(effects)
        async with self._written:
            self._written.notify_all()

    async def wait_received(self, count: int, timeout: float) -> None:  # noqa: ASYNC109
        """Until at least ``count`` messages were written (and acked) since
        start; TimeoutError says how many were."""
        async with self._written:
            try:
                await asyncio.wait_for(
                    self._written.wait_for(lambda: self.received >= count), timeout
                )
            except TimeoutError:
                raise TimeoutError(
                    f"{self.received} message(s) ingested within {timeout:g} s, not {count}"
                ) from None

    async def close(self, timeout: float = 10.0, *, drain: bool = True) -> None:  # noqa: ASYNC109
        """Write and ack what was received (when ``run`` still runs and
        ``drain``), then disconnect cleanly."""
        self._closing = True
        if drain:
            self._queue.put_nowait(_STOP)
            try:
                await asyncio.wait_for(self._drained.wait(), timeout)
            except TimeoutError:
                log.warning("ingest did not drain within %g s; the broker will redeliver", timeout)
        self._client.disconnect()
        self._client.loop_stop()
