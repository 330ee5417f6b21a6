"""The agent's MQTT side: birth, death, and reports that are never lost.

paho-mqtt 2.x, MQTT 5, QoS 1, a persistent session (``clean_start=False``
with a session expiry), topics only from ``schemas.topics``.

Delivery contract. ``Publisher.publish`` puts a message in the outbox; the
message leaves the outbox only when the broker's PUBACK comes back with a
success code. Messages published while the connection is down wait in the
outbox ("parked"); messages already handed to paho when it went down are
kept by paho (unlimited queue: ``max_queued_messages_set(0)``) and sent again
by paho right after it reconnects. Order is kept across a reconnect: parked
messages are handed over only once paho's own resent ones are acknowledged
(paho would otherwise let a message published between CONNACK and its
resend overtake them). A PUBACK saying "no matching subscribers" (a
success code in MQTT 5) for a report, heartbeat or cycle means nobody has
it: it stays in the outbox and is sent again after a growing delay. A
message may arrive twice (QoS 1 is at-least-once), which is why every
report carries a ``report_id``.

The outbox is the seam for an on-disk spool: give the publisher one whose
entries survive a restart and ``start`` parks the leftovers before anything
new.

Birth and death (Sparkplug B). Every connection, first or after a
reconnect, publishes the retained ``AgentBirth``; the will is an
``AgentDeath`` with the same ``session_id`` (a fresh uuid4 per process), so
the controller can tell a stale will from a new session. ``close`` publishes
the death itself (a clean DISCONNECT discards the will) and keeps the birth
retained: the controller compares session ids.

Subscriptions. ``subscribe`` names topics the agent reads (its site's
policy); each message received is handed to ``on_message(topic, payload)``
on the loop.

Threads. paho runs its network loop in its own thread and calls our
callbacks there; each callback only hands its arguments to the asyncio loop
with ``loop.call_soon_threadsafe`` (the birth publish in ``_on_connect`` is a
paho call, which is thread-safe, made there so that the birth precedes the
replay of queued reports).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from schemas.errors import CamwardenError
from schemas.messages import AgentBirth, AgentDeath, AgentMessage
from schemas.topics import RETAINED, TopicKind, encode, parse

log = logging.getLogger(__name__)

QOS = 1
MUST_REACH = frozenset(
    {TopicKind.REPORT, TopicKind.REPORT_BATCH, TopicKind.CYCLE, TopicKind.HEARTBEAT}
)
"""Kinds sent again when the broker had nobody to give them to (births and
deaths are state: a controller that subscribes later reads the retained
birth, and a death nobody heard has nobody to tell)."""
NO_MATCHING_SUBSCRIBERS = 0x10
"""PUBACK reason code: accepted, but no subscription matched (so nobody has it)."""


class PublishRefused(CamwardenError):
    """The broker answered a publish with a failure reason code (not
    authorised, quota exceeded, topic refused...)."""


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    """Where and how to connect; secrets already read from their files."""

    host: str
    port: int
    client_id: str
    username: str | None = None
    password: str | None = None
    session_expiry_s: int = 86400
    keepalive_s: int = 30
    tls: bool = False
    ca_file: str | None = None
    """PEM of the CA that signed the broker's certificate; None: the system's CAs."""
    reconnect_min_s: float = 1.0
    """First wait after a lost connection; doubles up to ``reconnect_max_s``."""
    reconnect_max_s: float = 30.0


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    key: int
    topic: str
    payload: bytes
    retain: bool = False


class Outbox(Protocol):
    """Messages handed to the publisher and not yet acknowledged by the
    broker, oldest first. An on-disk implementation makes reports survive an
    agent restart; the in-memory one survives broker restarts only."""

    def put(self, topic: str, payload: bytes, retain: bool) -> OutboxEntry: ...

    def done(self, key: int) -> None: ...

    def pending(self) -> Iterator[OutboxEntry]: ...

    def __len__(self) -> int: ...


@dataclass
class MemoryOutbox:
    """The outbox kept in memory (lost with the process)."""

    _entries: dict[int, OutboxEntry] = field(default_factory=dict)
    _next: int = 0

    def put(self, topic: str, payload: bytes, retain: bool) -> OutboxEntry:
        self._next += 1
        entry = OutboxEntry(self._next, topic, payload, retain)
        self._entries[entry.key] = entry
        return entry

    def done(self, key: int) -> None:
        self._entries.pop(key, None)

    def pending(self) -> Iterator[OutboxEntry]:
        return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)


def _publish_properties() -> Properties:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.PayloadFormatIndicator = 1  # UTF-8 text
    props.ContentType = "application/json"
    return props


class Publisher:
    """One agent's connection to its broker. Use as ``async with``, inside a
    running event loop; every method must be called from that loop."""

    def __init__(
        self,
        settings: BrokerSettings,
        birth: AgentBirth,
        *,
        outbox: Outbox | None = None,
        subscribe: tuple[str, ...] = (),
        on_message: Callable[[str, bytes], None] | None = None,
    ) -> None:
        self.settings = settings
        self._subscribe = subscribe
        self._on_received = on_message
        self.birth = birth
        self.death = AgentDeath(
            agent_id=birth.agent_id, site_id=birth.site_id, session_id=birth.session_id
        )
        self.outbox: Outbox = outbox if outbox is not None else MemoryOutbox()
        self.connected = asyncio.Event()
        """Set while a connection is up (birth sent); cleared when it drops."""
        self.connections = 0
        """Successful connections so far (1 + reconnects)."""
        self.refused = 0
        """Messages the broker refused with a failure reason code."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._parked: deque[tuple[OutboxEntry, asyncio.Future[None]]] = deque()
        self._by_mid: dict[int, tuple[OutboxEntry, asyncio.Future[None]]] = {}
        """Messages paho holds (sent or queued), by paho's message id."""
        self._unrouted: list[tuple[OutboxEntry, asyncio.Future[None]]] = []
        """Accepted by the broker with "no matching subscribers": sent again later."""
        self._unrouted_delay = settings.reconnect_min_s
        self.unrouted = 0
        """PUBACKs that said nobody subscribed (each such message is sent again)."""
        self.unrouted_seen = asyncio.Event()
        """Set once a PUBACK said nobody subscribed."""
        self._ready = False
        """Connected, and nothing from before the last reconnect is still unacknowledged."""
        self._closing = False
        self._drained = asyncio.Event()
        self._client = self._make_client()

    # -- set-up -------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            protocol=mqtt.MQTTv5,
        )
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(s.reconnect_min_s, s.reconnect_max_s)  # type: ignore[arg-type]
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            client.tls_set(ca_certs=s.ca_file)
        will_topic, will_payload = encode(self.death)
        client.will_set(will_topic, will_payload, qos=QOS, retain=False)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        return client

    async def start(self) -> None:
        """Begin connecting (in the background: the agent audits and queues
        while the broker is away) and park what the outbox still holds."""
        self._loop = asyncio.get_running_loop()
        for entry in self.outbox.pending():
            self._parked.append((entry, self._loop.create_future()))
        self._update_drained()
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.settings.session_expiry_s
        self._client.connect_async(
            self.settings.host,
            self.settings.port,
            keepalive=self.settings.keepalive_s,
            clean_start=False,
            properties=props,
        )
        self._client.loop_start()
        log.info(
            "agent %s session %s: connecting to %s:%d",
            self.birth.agent_id, self.birth.session_id, self.settings.host, self.settings.port,
        )

    async def close(self, *, grace_s: float = 5.0) -> None:
        """Say goodbye: queue the death after everything else and give the
        broker ``grace_s`` seconds to acknowledge it all (connecting first if
        need be), then disconnect cleanly and stop paho's thread. Whatever is
        still unacknowledged stays in the outbox."""
        if self._loop is None:
            return
        self._closing = True
        try:
            self.publish(self.death)  # after every report: QoS 1 keeps the order
            async with asyncio.timeout(grace_s):
                await self.flush()
        except TimeoutError:
            log.warning("agent %s: goodbye not acknowledged in %ss", self.birth.agent_id, grace_s)
        finally:
            if len(self.outbox):
                log.warning(
                    "agent %s: closing with %d unacknowledged message(s) left in the outbox",
                    self.birth.agent_id, len(self.outbox),
                )
            self._client.disconnect()
            await asyncio.to_thread(self._client.loop_stop)
            self._loop = None
            self._ready = False
            for _, future in [*self._by_mid.values(), *self._parked, *self._unrouted]:
                future.cancel()
            self._by_mid.clear()
            self._unrouted.clear()
            self._parked.clear()

    async def __aenter__(self) -> Publisher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- publishing ---------------------------------------------------------

    def publish(self, message: AgentMessage) -> asyncio.Future[None]:
        """Queue ``message`` (QoS 1; retained if its topic kind is). The
        future resolves when the broker acknowledges it, or fails with
        PublishRefused. Awaiting it is optional: the outbox keeps the
        message either way."""
        if self._loop is None:
            raise CamwardenError("the publisher is not started")
        topic, payload = encode(message)
        entry = self.outbox.put(topic, payload, parse(topic).kind in RETAINED)
        future: asyncio.Future[None] = self._loop.create_future()
        self._parked.append((entry, future))
        self._drained.clear()
        if self._ready:
            self._hand_over_parked()
        return future

    def _hand_over_parked(self) -> None:
        while self._parked:
            entry, future = self._parked.popleft()
            info = self._client.publish(
                entry.topic, entry.payload, qos=QOS, retain=entry.retain,
                properties=_publish_properties(),
            )
            if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
                # NO_CONN means "kept until connected"; anything else means
                # paho did not take the message, which must never pass silently.
                raise CamwardenError(
                    f"paho refused to queue a message on {entry.topic}: "
                    f"{mqtt.error_string(info.rc)}"
                )
            self._by_mid[info.mid] = (entry, future)

    async def flush(self) -> None:
        """Wait until the broker acknowledged everything published so far
        (bound it with ``asyncio.timeout``)."""
        await self._drained.wait()

    @property
    def unacknowledged(self) -> int:
        return len(self.outbox)

    def _update_drained(self) -> None:
        if self._by_mid or self._parked or self._unrouted:
            self._drained.clear()
        else:
            self._drained.set()

    # -- paho callbacks (paho's thread: hand over, touch nothing) -----------

    def _call(self, callback: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop closed under us during shutdown
            pass

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, flags: mqtt.ConnectFlags,
        reason: ReasonCode, _props: Properties | None,
    ) -> None:
        if reason.is_failure:
            self._call(self._connect_failed, str(reason))
            return
        topic, payload = encode(self.birth)
        client.publish(topic, payload, qos=QOS, retain=True, properties=_publish_properties())
        if self._subscribe:  # again on every connection: the retained message comes with it
            client.subscribe([(t, QOS) for t in self._subscribe])
        self._call(self._became_connected, flags.session_present)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if self._on_received is not None:
            self._call(self._on_received, msg.topic, bytes(msg.payload))

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: Any) -> None:
        self._call(self._connect_failed, "no connection")

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: mqtt.DisconnectFlags,
        reason: ReasonCode, _props: Properties | None,
    ) -> None:
        self._call(self._became_disconnected, str(reason))

    def _on_publish(
        self, _client: mqtt.Client, _userdata: Any, mid: int,
        reason: ReasonCode, _props: Properties | None,
    ) -> None:
        self._call(
            self._acknowledged, mid, reason.is_failure, str(reason),
            reason.value == NO_MATCHING_SUBSCRIBERS,
        )

    # -- on the loop --------------------------------------------------------

    def _became_connected(self, session_present: bool) -> None:
        self.connections += 1
        self.connected.set()
        log.info(
            "agent %s connected to %s:%d (session %s, %d unacknowledged)",
            self.birth.agent_id, self.settings.host, self.settings.port,
            "resumed" if session_present else "new", len(self.outbox),
        )
        if not self._by_mid:  # else: wait for paho's resend to be acknowledged
            self._ready = True
            self._hand_over_parked()

    def _became_disconnected(self, reason: str) -> None:
        if self.connected.is_set() and not self._closing:
            log.warning(
                "agent %s lost the broker (%s); %d message(s) kept until it is back",
                self.birth.agent_id, reason, len(self.outbox),
            )
        self.connected.clear()
        self._ready = False

    def _connect_failed(self, reason: str) -> None:
        log.warning(
            "agent %s cannot connect to %s:%d: %s; retrying",
            self.birth.agent_id, self.settings.host, self.settings.port, reason,
        )

    def _acknowledged(self, mid: int, failed: bool, reason: str, unrouted: bool = False) -> None:
        pending = self._by_mid.pop(mid, None)
        if pending is None:
            return  # a birth, published by paho's thread and not tracked
        entry, future = pending
        if unrouted and parse(entry.topic).kind in MUST_REACH:
            if self._closing:  # stays in the outbox for the next run
                future.cancel()
            else:
                self._keep_unrouted(entry, future)
        else:
            self._settle(entry.key, future, failed, reason)
        if not self._by_mid and self.connected.is_set() and not self._ready:
            self._ready = True  # paho's resend is through: what waited may go now
            self._hand_over_parked()
        self._update_drained()

    def _keep_unrouted(self, entry: OutboxEntry, future: asyncio.Future[None]) -> None:
        """The broker took the message but nobody subscribed (no controller
        session: e.g. a broker that restarted without its sessions, before
        the controller subscribed again). A success code, but nobody has
        it: keep it and send it again after a delay that doubles up to
        ``reconnect_max_s``."""
        self.unrouted += 1
        self.unrouted_seen.set()
        if not self._unrouted:
            assert self._loop is not None
            log.warning(
                "agent %s: the broker has no subscriber for %s; sending again in %.1fs",
                self.birth.agent_id, entry.topic, self._unrouted_delay,
            )
            self._loop.call_later(self._unrouted_delay, self._retry_unrouted)
            self._unrouted_delay = min(self._unrouted_delay * 2, self.settings.reconnect_max_s)
        self._unrouted.append((entry, future))

    def _retry_unrouted(self) -> None:
        if self._loop is None:
            return
        for item in reversed(self._unrouted):
            self._parked.appendleft(item)
        self._unrouted.clear()
        if self._ready:
            self._hand_over_parked()

    def _settle(self, key: int, future: asyncio.Future[None], failed: bool, reason: str) -> None:
        self.outbox.done(key)
        if failed:
            self.refused += 1
            log.error("agent %s: broker refused message %d: %s", self.birth.agent_id, key, reason)
            if not future.done():
                future.set_exception(PublishRefused(reason))
                future.exception()  # retrieved: nobody has to await it
        elif not future.done():
            future.set_result(None)
            self._unrouted_delay = self.settings.reconnect_min_s
