"""Fixtures of the simulator tests (helpers live in ``sim_zeep``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

Call = Callable[..., Any]


@pytest.fixture
def call() -> Callable[..., Awaitable[Any]]:
    """``await call(proxy.Operation, *args)``: run a blocking zeep call off
    the event loop that serves the simulator."""

    async def run(operation: Call, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(operation, *args, **kwargs)

    return run
