"""Following the controller's event stream: connect, read, reconnect.

``EventStream.run`` holds ``GET /api/v1/events`` open and hands every
``ChangeEvent`` to ``on_change`` as it arrives. When the stream breaks (the
controller went away, a proxy cut it, nothing arrived for ``idle_timeout``
seconds) it says so through ``on_state`` and reconnects after a backoff
that doubles from ``backoff`` to ``backoff_max`` seconds, sending
``Last-Event-ID`` so that the controller replays what was missed. It never
raises: the console falls back to periodic refresh while the stream is down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
from pydantic import ValidationError

from schemas.api import ChangeEvent
from tui.client import ApiClient, ControllerError, http_error
from tui.sse import SseParser

EVENTS_PATH = "/api/v1/events"


class EventStream:
    def __init__(
        self,
        api: ApiClient,
        on_change: Callable[[ChangeEvent], None],
        on_state: Callable[[bool, str], None],
        *,
        backoff: float = 1.0,
        backoff_max: float = 30.0,
        idle_timeout: float = 90.0,
    ) -> None:
        """``on_state(up, text)``: called when the stream comes up (True,
        after the controller accepted it) and each time it breaks (False, why).
        ``idle_timeout`` must exceed the controller's heartbeat period."""
        if not 0 < backoff <= backoff_max:
            raise ValueError("backoff must be > 0 and <= backoff_max")
        self.api = api
        self.on_change = on_change
        self.on_state = on_state
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.idle_timeout = idle_timeout
        self.last_event_id: str | None = None
        """Sent as ``Last-Event-ID`` on reconnect."""
        self.connected = False
        self.received = 0
        """Change events handed over, heartbeats included."""

    async def run(self) -> None:
        """Follow the stream until cancelled."""
        delay = self.backoff
        while True:
            try:
                await self._follow()
                reason = "the controller closed the event stream"
            except ControllerError as exc:
                reason = str(exc)
            if self.connected:
                delay = self.backoff
            self.connected = False
            self.on_state(False, reason)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_max)

    async def _follow(self) -> None:
        api = self.api
        headers = dict(api.headers) | {"Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=self.idle_timeout)
        try:
            async with api.session().get(
                api.base_url + EVENTS_PATH, headers=headers, timeout=timeout
            ) as reply:
                if reply.status != 200:
                    raise http_error(api.base_url, EVENTS_PATH, reply.status, await reply.read())
                self.connected = True
                self.on_state(True, f"live: following {api.base_url}{EVENTS_PATH}")
                parser = SseParser()
                async for raw in reply.content:
                    sse = parser.feed(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
                    if sse is not None:
                        self._hand_over(sse.data, sse.id)
        except TimeoutError as exc:  # before OSError: TimeoutError is one
            raise ControllerError(
                f"event stream from {api.base_url}: nothing for {self.idle_timeout:g} s",
                url=api.base_url, path=EVENTS_PATH,
            ) from exc
        except (aiohttp.ClientError, OSError, ValueError) as exc:  # ValueError: line too long
            raise ControllerError(
                f"controller unreachable at {api.base_url}: {exc or type(exc).__name__}",
                url=api.base_url, path=EVENTS_PATH,
            ) from exc

    def _hand_over(self, data: str, event_id: str | None) -> None:
        try:
            change = ChangeEvent.model_validate_json(data)
        except ValidationError as exc:
            # One bad event must not stop the stream; say so, and carry on.
            self.on_state(True, f"skipped a bad event from {self.api.base_url}: "
                          f"{exc.errors()[0]['msg']}")
            return
        self.last_event_id = event_id if event_id is not None else str(change.seq)
        self.received += 1
        self.on_change(change)
