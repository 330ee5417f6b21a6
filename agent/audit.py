"""One audit of a list of cameras: collect each over ONVIF, judge it.

Shared by ``camwarden audit`` (once, printed) and the agent service (every
interval, published). Collection is I/O and lives in ``agent.onvif``;
judgement is pure and lives in ``agent.checks``; this module only runs the
first concurrently and feeds each result to the second as soon as it comes
in, so a camera is judged at the time it was seen.

The collect step is injectable (``collect=``) so that the loop can be tested
without ONVIF, with plain ``Collected`` values.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from agent.checks import SiteIndex, observe
from agent.onvif import Collected, Credentials
from schemas.messages import AuditReport, CameraObservation
from schemas.policy import Policy, Site

Collect = Callable[[str, Credentials | None], Awaitable[Collected]]
"""``collect(address, credentials)``: never raises for camera problems."""


class Collector(Protocol):
    """What ``audit_targets`` needs of a client (``agent.onvif.OnvifClient``)."""

    async def collect(self, address: str, credentials: Credentials | None) -> Collected: ...


async def audit_targets(
    client: Collector | None,
    targets: Sequence[str],
    credentials: Credentials | None,
    *,
    policy: Policy | None,
    site: Site | None,
    now: Callable[[], datetime],
    collect: Collect | None = None,
) -> AuditReport:
    """Audit every target concurrently and judge each against ``policy`` and
    ``site`` (both or neither; without a policy only ``camera.unreachable``
    and the policy-free rules apply).

    Concurrency is bounded by the client (its ``max_concurrency``), not here.
    ``now`` returns aware UTC; the report's ``audited_at`` is taken before the
    first camera is asked, each observation's time when its camera answered.
    Cameras come back in the order of ``targets``. Raises ValueError for a
    policy without a site or a site that is not the policy's.
    """
    if (policy is None) != (site is None):
        raise ValueError("audit_targets: give both a policy and a site, or neither")
    if policy is not None and site is not None and site not in policy.sites:
        raise ValueError(f"audit_targets: site {site.id!r} is not in policy {policy.policy_id}")
    if collect is None:
        if client is None:
            raise ValueError("audit_targets: give a client or a collect function")
        collect = client.collect
    index = SiteIndex(site) if site is not None else None
    audited_at = now()
    run = collect

    async def one(address: str) -> CameraObservation:
        got = await run(address, credentials)
        return observe(
            policy=policy,
            site=site,
            index=index,
            address=got.address,
            reachable=got.reachable,
            facts=got.facts,
            errors=got.errors,
            now=now(),
        )

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(address)) for address in targets]
    return AuditReport(
        audited_at=audited_at,
        policy_id=policy.policy_id if policy is not None else None,
        policy_version=policy.version if policy is not None else None,
        site_id=site.id if site is not None else None,
        cameras=tuple(task.result() for task in tasks),
    )
