"""The lean path (default) and the zeep path collect the same facts and the
same error entries, for every replayed vendor quirk and every simulator
deviation; and the lean reader, given the very answers zeep parses, returns
what zeep returns for the operations it covers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from agent.onvif import Collected, Credentials, OnvifClient, lean
from agent.onvif.transport import HttpReply
from simulator.camera import SimCamera
from simulator.server import SimulatedFleet
from tests.onvif.conftest import REPLAYS, make_sim_camera
from tests.onvif.test_collect_simulator import DEVIATIONS

GOOD = Credentials("admin", "s3cret")
QUIRKS = sorted(path.stem for path in (REPLAYS / "quirks").glob("*.xml"))
FIXED = datetime(2026, 11, 24, 18, 7, 50, tzinfo=UTC)


def comparable(collected: Collected) -> tuple[Any, ...]:
    facts = None if collected.facts is None else collected.facts.model_dump()
    return (collected.reachable, facts, [e.model_dump() for e in collected.errors])


@pytest.fixture
async def both() -> AsyncIterator[tuple[OnvifClient, OnvifClient]]:
    async with (OnvifClient(timeout=3.0, clock=lambda: FIXED) as lean_client,
                OnvifClient(timeout=3.0, clock=lambda: FIXED, lean=False) as zeep_client):
        yield lean_client, zeep_client


@pytest.mark.parametrize("quirk", ["baseline", *QUIRKS])
async def test_replay_quirk_collects_the_same_on_both_paths(
    both: tuple[OnvifClient, OnvifClient], replay_camera: Any, quirk: str,
) -> None:
    camera = await replay_camera(*(() if quirk == "baseline" else (quirk,)))
    lean_client, zeep_client = both
    assert comparable(await lean_client.collect(camera.address, GOOD)) == comparable(
        await zeep_client.collect(camera.address, GOOD))


@pytest.mark.parametrize("changes", [pytest.param(c, id=name) for name, c, _, _ in DEVIATIONS])
async def test_simulator_deviation_collects_the_same_on_both_paths(
    changes: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The camera's clock stands still: its recordings end "now", and two
    # runs a second apart would otherwise differ by that second.
    monkeypatch.setattr(SimCamera, "now",
                        lambda self: FIXED + timedelta(seconds=self.clock_offset_s))
    async with (SimulatedFleet([make_sim_camera(**changes)]) as fleet,
                OnvifClient(timeout=3.0) as lean_client,
                OnvifClient(timeout=3.0, lean=False) as zeep_client):
        address = fleet.endpoints[0].address
        lean_run, zeep_run = (comparable(await lean_client.collect(address, GOOD)),
                              comparable(await zeep_client.collect(address, GOOD)))
    # observed_at and the clock reading differ by the time between the runs
    for run in (lean_run, zeep_run):
        if run[1] is not None:
            run[1].pop("observed_at", None)
            run[1].pop("clock", None)
    assert lean_run == zeep_run


def _reply(path: str) -> HttpReply:
    from multidict import CIMultiDict
    content = (REPLAYS / "base" / f"{path}.xml").read_bytes()
    return HttpReply(200, content, CIMultiDict(), "utf-8", etree.fromstring(content))


@pytest.mark.parametrize("operation", sorted(
    op for op in lean.ANSWERS if (REPLAYS / "base" / f"{op}.xml").exists()))
def test_every_base_replay_is_read_by_the_lean_reader(operation: str) -> None:
    """Not an Unrecognised fallback: the lean path really covers the baseline."""
    lean.read_reply(_reply(operation), operation)
