"""Waiting for an event, or for a while, in a loop that ends by being
cancelled.

Not ``asyncio.wait_for``: on Python 3.11 it returns the result and drops a
cancel that lands as the event is set. A controller stopping while ingest
marked sites then never finished its stop: the reconciler's loop went on
(tests/controller/test_reconcile_batches.py, test_alerts.py). ``asyncio.timeout``
does not lose the cancel.
"""

from __future__ import annotations

import asyncio
import contextlib


async def wait_set(event: asyncio.Event, seconds: float) -> None:
    """Until ``event`` is set or ``seconds`` have passed, whichever is first."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
