"""End to end on real parts: simulated cameras served over ONVIF, the
agent's real client and checks, the controller's database; the footage ages
(``SimCamera.footage_days`` flips) and destruction entries appear."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete

from agent.audit import audit_targets
from agent.onvif.client import Credentials, OnvifClient
from controller.register.requests import kst_date
from controller.register.store import RegisterStore
from controller.store import Store
from controller.store.tables import observations
from schemas.messages import CameraObservation
from schemas.policy import Policy
from simulator.fleet import FleetFile, build_cameras
from simulator.server import SimulatedFleet


def utc_now() -> datetime:
    return datetime.now(UTC)


async def _store_observations(store: Store, found: tuple[CameraObservation, ...]) -> None:
    """What ingest keeps: the latest observation per device."""
    async with store.engine.begin() as connection:
        await connection.execute(delete(observations))
        for observation in found:
            await connection.execute(
                observations.insert().values(
                    site_id="test-main",
                    address=observation.address,
                    camera_id=observation.camera_id,
                    agent_id="agent-e2e",
                    report_id="e" * 32,
                    observed_at=observation.observed_at,
                    reachable=observation.reachable,
                    facts_hash="0" * 64,
                    body=observation.model_dump_json(),
                )
            )


async def test_footage_ageing_past_retention_becomes_destruction_entries(
    tmp_path: object, policy: Policy
) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/e2e.db")
    register = RegisterStore(store.engine)
    site = policy.site("test-main")
    cameras = [
        c
        for c in build_cameras(policy, FleetFile(), password="pw", sites=["test-main"])
        if c.camera_id == "test-main-cam1"
    ]
    try:
        async with SimulatedFleet(cameras) as fleet, OnvifClient(timeout=5.0) as onvif:
            targets = [e.address for e in fleet.endpoints]
            cameras[0].footage_days = 30.0  # exactly the retention
            credentials = Credentials("admin", "pw")

            async def audit() -> tuple[CameraObservation, ...]:
                report = await audit_targets(
                    onvif, targets, credentials, policy=policy, site=site, now=utc_now
                )
                return report.cameras

            first = await audit()
            before = _data_from(first[0])
            assert first[0].camera_id == "test-main-cam1"
            await _store_observations(store, first)
            written = await register.sync_destruction([policy], utc_now())
            assert all(e.entry.purpose.startswith("monthly check") for e in written)

            cameras[0].footage_days = 28.0  # the recorder deleted two more days
            second = await audit()
            assert "retention.kept-too-short" in {f.rule for f in second[0].findings}
            await _store_observations(store, second)
            after = _data_from(second[0])
            written = await register.sync_destruction([policy], utc_now())
    finally:
        await store.close()
    # one entry per KST day whose end DataFrom passed: two, unless a KST
    # midnight fell in the seconds between the audits (then three)
    days = (kst_date(after) - kst_date(before)).days
    assert days >= 2
    assert [e.entry.kind for e in written] == ["destruction"] * days
    assert all(e.entry.camera_ids == ("test-main-cam1",) for e in written)
    results = [e.entry.destruction_result or "" for e in written]
    assert "on time" in results[0] and "early: kept 28 days" in results[-1]


def _data_from(observation: CameraObservation) -> datetime:
    facts = observation.facts
    assert facts is not None and facts.recording is not None
    assert facts.recording.data_from is not None
    return facts.recording.data_from
