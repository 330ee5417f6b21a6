"""Server-sent events, parsed line by line: a pure function of the lines.

The controller's ``/api/v1/events`` is a ``text/event-stream`` (the HTML
Living Standard's "server-sent events"): fields ``event:``, ``data:``
(several are joined with newlines), ``id:`` and ``retry:``, a blank line
ends an event, a line starting with ``:`` is a comment (a keep-alive). This
module knows that format and nothing about the network, so it is tested
with plain strings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SseEvent:
    event: str
    """The ``event:`` field, ``message`` when absent."""
    data: str
    id: str | None
    """The last ``id:`` seen on the stream so far (the spec's "last event ID")."""


class SseParser:
    """Feed it the stream's lines (without their line ending); it returns an
    event when a blank line completes one. ``retry_ms`` is the server's last
    ``retry:`` advice, if any."""

    def __init__(self) -> None:
        self.last_id: str | None = None
        self.retry_ms: int | None = None
        self._event = ""
        self._data: list[str] = []

    def feed(self, line: str) -> SseEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self.last_id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> SseEvent | None:
        event, data = self._event or "message", self._data
        self._event, self._data = "", []
        if not data:
            return None
        return SseEvent(event=event, data="\n".join(data), id=self.last_id)
