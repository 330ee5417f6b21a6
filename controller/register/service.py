"""The register's operations as the API and the CLI use them: the store, the
policies in force and a clock, tied together. Thin: the logic is in the pure
modules (chain, requests, destruction, checklist, export, texts).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from controller.register.checklist import checklist_findings, fill_checklist
from controller.register.requests import kst_start, request_findings
from controller.register.store import RegisterStore
from controller.store import FindingFilter, Store
from controller.waiting import wait_set
from schemas.errors import CamwardenError
from schemas.findings import Finding, make_finding
from schemas.policy import Policy
from schemas.register import Anchor, Checklist, VerifyResult

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnknownPolicy(CamwardenError, KeyError):
    """No policy with that id is in force here (the API answers 404)."""


class Register:
    def __init__(
        self,
        store: Store,
        policies: Mapping[str, Policy] | Callable[[], Mapping[str, Policy]],
        clock: Clock = utc_now,
    ) -> None:
        """``policies``: the policies in force by id, or a function giving
        them (the controller reloads policies; the register follows)."""
        self.main = store
        self._store: RegisterStore | None = None
        self._policies = policies
        self.clock = clock

    @property
    def store(self) -> RegisterStore:
        """The register's tables, on the controller store's engine (made on
        first use, so that building the API needs no open database)."""
        if self._store is None:
            self._store = RegisterStore(self.main.engine)
        return self._store

    @property
    def policies(self) -> Mapping[str, Policy]:
        found = self._policies
        return found() if callable(found) else found

    def policy(self, policy_id: str) -> Policy:
        try:
            return self.policies[policy_id]
        except KeyError:
            raise UnknownPolicy(f"unknown policy {policy_id!r}") from None

    def policy_of_site(self, site_id: str) -> Policy:
        for policy in self.policies.values():
            if any(site.id == site_id for site in policy.sites):
                return policy
        raise UnknownPolicy(f"no policy in force declares site {site_id!r}")

    async def anchor(self, policy_id: str) -> Anchor:
        number, head = await self.store.head(policy_id)
        return Anchor(policy_id=policy_id, number=number, hash=head, exported_at=self.clock())

    async def verify(self, policy_id: str, anchors: Sequence[Anchor] = ()) -> VerifyResult:
        return await self.store.verify(policy_id, anchors)

    async def live_findings(self, policy: Policy) -> list[Finding]:
        """The controller's open findings on the policy's sites, as findings."""
        found: list[Finding] = []
        for site in policy.sites:
            rows, _ = await self.main.list_findings(FindingFilter(site=site.id), 0, 1000)
            for row in rows:
                if row.state == "resolved":
                    continue
                found.append(
                    make_finding(
                        row.rule,
                        row.summary,
                        {},
                        site_id=row.site_id,
                        camera_id=row.camera_id,
                        address=row.address,
                        agent_id=row.agent_id,
                    )
                )
        return found

    async def checklist(self, policy_id: str) -> Checklist:
        policy = self.policy(policy_id)
        entries, _ = await self.store.entries(policy_id)
        return fill_checklist(
            policy,
            await self.live_findings(policy),
            entries,
            await self.store.verify(policy_id),
            await self.store.requests(policy_id=policy_id),
            self.clock(),
        )

    async def findings(self, policy_id: str) -> list[Finding]:
        """What the paperwork raises now: request deadlines and footage at
        risk, and an overdue self-inspection."""
        policy = self.policy(policy_id)
        now = self.clock()
        requests = await self.store.requests(policy_id=policy_id)
        last = await self.store.last_checklist(policy_id)
        return request_findings(requests, policy.retention.days, now) + checklist_findings(
            policy, last[0] if last else None, now
        )

    async def sync(self) -> int:
        """Record automatic deletion seen since the last sync; entries written."""
        written = await self.store.sync_destruction(self.policies.values(), self.clock())
        return len(written)

    async def run_sync(self, interval_s: float, stop: asyncio.Event) -> None:
        """Sync every ``interval_s`` until ``stop`` is set; a database that
        refuses is logged and tried again next time."""
        while not stop.is_set():
            await wait_set(stop, interval_s)
            if stop.is_set():
                return
            try:
                count = await self.sync()
            except CamwardenError:
                log.exception("register: recording automatic deletion failed; retrying later")
                continue
            if count:
                log.info("register: %d destruction entries recorded", count)


def period_bounds(
    since: date | None, until: date | None
) -> tuple[datetime | None, datetime | None]:
    """KST calendar dates [since, until] as UTC instants [start, end)."""
    return (
        kst_start(since) if since is not None else None,
        kst_start(until + timedelta(days=1)) if until is not None else None,
    )
