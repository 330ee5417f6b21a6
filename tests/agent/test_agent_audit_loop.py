"""audit_targets without ONVIF: an injected collect step feeds the real checks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from agent_fakes import answered, silent

from agent.audit import audit_targets
from agent.onvif import Collected, Credentials
from schemas.policy import Policy
from schemas.policy_file import load_policy

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def policy(small_policy_path) -> Policy:  # type: ignore[no-untyped-def]
    return load_policy(small_policy_path)


async def test_targets_are_collected_concurrently_and_reported_in_order(policy: Policy) -> None:
    targets = ("127.0.0.1:3", "127.0.0.1:1", "127.0.0.1:2")
    serials = {"127.0.0.1:1": "TEST-0001", "127.0.0.1:2": "TEST-0002"}
    everyone_in = asyncio.Barrier(len(targets))  # passes only if all are collecting at once
    seen: list[Credentials | None] = []

    async def collect(address: str, credentials: Credentials | None) -> Collected:
        seen.append(credentials)
        await everyone_in.wait()
        return answered(address, serials[address]) if address in serials else silent(address)

    creds = Credentials("admin", "pw")
    async with asyncio.timeout(5):
        report = await audit_targets(
            None, targets, creds, policy=policy, site=policy.sites[0], now=lambda: NOW,
            collect=collect,
        )
    assert [c.address for c in report.cameras] == list(targets)
    assert [c.camera_id for c in report.cameras] == [None, "test-main-cam1", "test-main-cam2"]
    assert [f.rule for f in report.cameras[0].findings] == ["camera.unreachable"]
    assert (report.policy_id, report.site_id, report.audited_at) == (
        "test-office", "test-main", NOW
    )
    assert seen == [creds] * 3


async def test_without_a_policy_an_unreachable_camera_is_still_a_finding() -> None:
    async def collect(address: str, credentials: Credentials | None) -> Collected:
        return silent(address)

    report = await audit_targets(
        None, ["127.0.0.1:9"], None, policy=None, site=None, now=lambda: NOW, collect=collect
    )
    assert [f.rule for f in report.cameras[0].findings] == ["camera.unreachable"]
    assert report.policy_id is None


async def test_a_policy_without_a_site_is_refused(policy: Policy) -> None:
    with pytest.raises(ValueError, match="both a policy and a site"):
        await audit_targets(None, ["127.0.0.1:9"], None, policy=policy, site=None, now=lambda: NOW,
                            collect=lambda a, c: asyncio.sleep(0, silent(a)))
