"""A fleet larger than one reconcile batch: the controller serves its API
at once and runs its first full reconcile in the background."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from pathlib import Path

import aiohttp
import pytest
from test_service import TIMEOUT, get, make_config

import controller.service as service
from camwarden.broker import Mosquitto
from controller.reconciler import Reconciler
from controller.service import Controller


async def test_a_large_fleet_is_served_at_once_and_reconciled_in_the_background(
    db_url: str, mosquitto: Mosquitto, small_policy_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "SITES_PER_PASS", 1)  # the small policy's 2 sites: "large"
    entered, gate, done = asyncio.Event(), asyncio.Event(), asyncio.Event()
    calls: list[tuple[list[str], bool]] = []
    original = Reconciler.reconcile

    async def gated(self: Reconciler, site_ids: Collection[str], *, startup: bool = False) -> None:
        calls.append((sorted(site_ids), startup))
        entered.set()
        await gate.wait()
        await original(self, site_ids, startup=startup)
        done.set()

    monkeypatch.setattr(Reconciler, "reconcile", gated)
    ctl = Controller(make_config(db_url, mosquitto, small_policy_path))
    await asyncio.wait_for(ctl.start(), TIMEOUT)  # no reconcile has finished: none may
    try:
        assert ctl.reconciler is not None
        async with aiohttp.ClientSession() as http:
            status, sites = await get(http, ctl, "/sites")
        assert status == 200
        assert {s["site_id"] for s in sites["items"]} == {"test-main", "test-annex"}
        await asyncio.wait_for(entered.wait(), TIMEOUT)
        assert calls == [(["test-annex", "test-main"], True)]
        assert ctl.reconciler.site_views == {}
        gate.set()
        await asyncio.wait_for(done.wait(), TIMEOUT)
        assert set(ctl.reconciler.site_views) == {"test-main", "test-annex"}
    finally:
        gate.set()
        await ctl.stop()
