"""What every screen of the console needs, passed in rather than looked up.

No hidden globals: the API client, the clock, the display time zone and the
connection state are handed to each screen in one ``ConsoleContext``, so that tests
can freeze "now" and point the console at a stand-in controller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from tui.client import ApiClient
from tui.link import Link

Clock = Callable[[], datetime]
"""Returns an aware UTC datetime."""


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class ConsoleContext:
    api: ApiClient
    link: Link
    clock: Clock = system_clock
    display_tz: tzinfo | None = None
    """None: the machine's local zone."""

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the console clock must return an aware datetime")
        return now
