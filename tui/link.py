"""What the console knows about its connection to the controller.

One ``Link`` per console, shared by its screens: when data was last fetched
successfully and what the last failure said. The status line is worded from
it by ``tui.format.link_status``; times are aware UTC from the console's
injectable clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui.format import link_status


@dataclass
class Link:
    url: str
    retry_seconds: float
    last_ok: datetime | None = None
    error: str | None = None
    live: bool | None = None
    """Whether the event stream is up; None when the console does not follow it."""

    def succeeded(self, now: datetime) -> None:
        self.last_ok = now
        self.error = None

    def failed(self, error: str) -> None:
        """Keep ``last_ok``: the data on screen is still what it was then."""
        self.error = error

    @property
    def healthy(self) -> bool:
        return self.error is None

    def status(self, now: datetime) -> tuple[str, bool]:
        """The status line's text and whether it is bad news."""
        return link_status(
            self.url, self.last_ok, self.error, now, self.retry_seconds, live=self.live
        )
