"""Live changes for consoles: ``GET /api/v1/events`` as server-sent events.

``EventHub`` numbers every change (``ChangeEvent.seq``), keeps the most
recent ones in a bounded ring and fans them out to subscribers, each with a
bounded queue: a client that falls that far behind is dropped (its response
ends; it reconnects and resumes) so a slow console never holds the
controller up. ``publish`` never awaits.

Sequence numbers start at the hub's start time in microseconds since the
epoch, so they grow across controller restarts too: a ``Last-Event-ID``
inside the ring resumes exactly after it; one older than the ring, or from
another run, or ahead of the hub, cannot be resumed and gets a *reset*: a
``site`` event for every site (its current summary), all with the current
``seq``, after which the stream goes on live. A console treats a burst of
``site`` events as "reload what you show".

Each SSE event is ``id: SEQ``, ``event: KIND`` and ``data: ChangeEvent``
JSON. When nothing changed for ``heartbeat_s`` a ``heartbeat`` event is
sent (same ``seq`` as the last change, not kept in the ring).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from aiohttp import web

from controller.store.lifecycle import LifecycleStore
from controller.views import finding_view
from schemas.api import (
    ChangeEvent,
    ChangeKind,
    FindingEvent,
    FindingEventKind,
    FindingView,
    SiteView,
)
from schemas.errors import StoreError
from schemas.rules import Severity

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(slots=True)
class Subscriber:
    queue: asyncio.Queue[ChangeEvent]
    task: asyncio.Task[object] | None
    dropped: bool = False


@dataclass(slots=True)
class HubStats:
    published: int = 0
    dropped_clients: int = 0
    resets: int = 0


class EventHub:
    def __init__(
        self,
        clock: Clock,
        sites: Callable[[], Iterable[SiteView]],
        *,
        buffer: int = 2000,
        client_queue: int = 500,
        heartbeat_s: float = 15.0,
    ) -> None:
        """``sites``: every site's current summary (what a reset sends)."""
        self.clock = clock
        self.sites = sites
        self.client_queue = client_queue
        self.heartbeat_s = heartbeat_s
        self.head = int(clock().timestamp() * 1_000_000)
        """The seq of the newest change (before any: the start point)."""
        self._ring: deque[ChangeEvent] = deque(maxlen=buffer)
        self._subscribers: list[Subscriber] = []
        self._joined = asyncio.Event()
        self.stats = HubStats()

    @property
    def clients(self) -> int:
        return len(self._subscribers)

    def publish(
        self,
        kind: ChangeKind,
        *,
        site_id: str | None = None,
        finding: FindingView | None = None,
        event: FindingEvent | None = None,
        site: SiteView | None = None,
    ) -> ChangeEvent:
        """Number, keep and fan out one change."""
        self.head += 1
        change = ChangeEvent(
            seq=self.head,
            kind=kind,
            at=self.clock(),
            site_id=site_id,
            finding=finding,
            event=event,
            site=site,
        )
        self._ring.append(change)
        self.stats.published += 1
        for subscriber in list(self._subscribers):
            try:
                subscriber.queue.put_nowait(change)
            except asyncio.QueueFull:
                self._drop(subscriber)
        return change

    def _drop(self, subscriber: Subscriber) -> None:
        subscriber.dropped = True
        self.stats.dropped_clients += 1
        self._unsubscribe(subscriber)
        log.warning("event stream client dropped: more than %d events behind", self.client_queue)
        if subscriber.task is not None:
            subscriber.task.cancel()

    def _unsubscribe(self, subscriber: Subscriber) -> None:
        with contextlib.suppress(ValueError):
            self._subscribers.remove(subscriber)

    def since(self, last_id: int) -> list[ChangeEvent] | None:
        """The kept changes after ``last_id``; None when it cannot be resumed."""
        if last_id == self.head:
            return []
        if last_id > self.head or not self._ring or last_id < self._ring[0].seq - 1:
            return None
        return [e for e in self._ring if e.seq > last_id]

    def reset_events(self) -> list[ChangeEvent]:
        """Every site's current summary, all at the current ``seq``."""
        now = self.clock()
        return [
            ChangeEvent(seq=self.head, kind="site", at=now, site_id=view.site_id, site=view)
            for view in self.sites()
        ]

    def subscribe(self, last_id: int | None) -> tuple[Subscriber, list[ChangeEvent]]:
        """A new subscriber and what to send it first (replay or reset).
        Called and used without awaiting in between, so nothing is missed."""
        subscriber = Subscriber(asyncio.Queue(self.client_queue), asyncio.current_task())
        first: list[ChangeEvent] = []
        if last_id is not None:
            replay = self.since(last_id)
            if replay is None:
                self.stats.resets += 1
                first = self.reset_events()
            else:
                first = replay
        self._subscribers.append(subscriber)
        self._joined.set()
        return subscriber, first

    def close(self) -> None:
        """End every open stream (the controller is stopping; the server
        would otherwise wait for them)."""
        for subscriber in list(self._subscribers):
            subscriber.dropped = True
            self._unsubscribe(subscriber)
            if subscriber.task is not None:
                subscriber.task.cancel()

    async def wait_clients(self, count: int) -> None:
        """Until at least ``count`` clients are subscribed (tests, benchmarks)."""
        while self.clients < count:
            self._joined.clear()
            await self._joined.wait()

    def heartbeat(self) -> ChangeEvent:
        return ChangeEvent(seq=self.head, kind="heartbeat", at=self.clock())

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """The ``GET /api/v1/events`` handler."""
        last_id = _last_event_id(request)
        subscriber, first = self.subscribe(last_id)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        try:
            await response.prepare(request)
            await response.write(b"retry: 2000\n\n")
            for change in first:
                await response.write(encode(change))
            while True:
                try:  # not asyncio.wait_for: see controller.waiting
                    async with asyncio.timeout(self.heartbeat_s):
                        change = await subscriber.queue.get()
                except TimeoutError:
                    change = self.heartbeat()
                await response.write(encode(change))
        except (ConnectionResetError, asyncio.CancelledError):
            if not subscriber.dropped:
                raise
            return response
        finally:
            self._unsubscribe(subscriber)


def _last_event_id(request: web.Request) -> int | None:
    text = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return -1  # cannot be resumed: a reset


def encode(change: ChangeEvent) -> bytes:
    return f"id: {change.seq}\nevent: {change.kind}\ndata: {change.model_dump_json()}\n\n".encode()


@dataclass(slots=True)
class SiteMemory:
    """The last site summaries announced, to tell what changed."""

    views: dict[str, SiteView] = field(default_factory=dict)

    def changed(self, view: SiteView) -> tuple[bool, bool]:
        """(summary changed, agent online/offline changed) since the last call."""
        before = self.views.get(view.site_id)
        self.views[view.site_id] = view
        if before is None:
            return False, False
        agent = before.agent_online != view.agent_online or before.agent_id != view.agent_id
        return before != view, agent


@dataclass(frozen=True, slots=True)
class Reconciled:
    """One site's reconcile, as the reconciler hands it over."""

    site_id: str
    changes: tuple[FindingChangeLike, ...]
    view: SiteView | None
    at: datetime


class FindingChangeLike(Protocol):
    @property
    def event(self) -> str: ...
    @property
    def finding_id(self) -> int: ...
    @property
    def severity(self) -> str: ...


class ChangeFeed:
    """Turns reconciles into hub events, in order, off the reconciler's path:
    ``reconciled`` only queues (never awaits); ``run`` reads the changed
    findings from the store and publishes ``finding``, ``agent`` and
    ``site`` events."""

    def __init__(self, hub: EventHub, store: LifecycleStore) -> None:
        self.hub = hub
        self.store = store
        self._queue: asyncio.Queue[Reconciled] = asyncio.Queue()
        self._memory = SiteMemory()

    def reconciled(self, item: Reconciled) -> None:
        self._queue.put_nowait(item)

    async def run(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                await self._announce(item)
            except StoreError as exc:
                log.error("site %s: changes not announced to consoles: %s", item.site_id, exc)

    async def _announce(self, item: Reconciled) -> None:
        rows = await self.store.get_findings([c.finding_id for c in item.changes])
        for change in item.changes:
            row = rows.get(change.finding_id)
            if row is None:
                continue
            self.hub.publish(
                "finding",
                site_id=item.site_id,
                finding=finding_view(row),
                event=FindingEvent(
                    finding_id=change.finding_id,
                    kind=_kind(change.event),
                    at=item.at,
                    severity=_SEVERITY.get(change.severity),
                ),
            )
        if item.view is not None:
            changed, agent = self._memory.changed(item.view)
            if agent:
                self.hub.publish("agent", site_id=item.site_id, site=item.view)
            if changed:
                self.hub.publish("site", site_id=item.site_id, site=item.view)


_KINDS: dict[str, FindingEventKind] = {
    k: k for k in ("opened", "acknowledged", "escalated", "resolved", "reopened")
}
_SEVERITY: dict[str, Severity] = {"critical": "critical", "warning": "warning", "info": "info"}


def _kind(event: str) -> FindingEventKind:
    return _KINDS.get(event, "opened")
