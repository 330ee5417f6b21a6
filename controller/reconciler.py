"""When and for which sites reconcile runs, and what its verdict changes.

A site is reconciled after a cycle report or an agent birth/death arrives
(debounced: a burst costs one pass) and every site on the interval (silence
is news too: an agent that stopped talking, a camera gone stale). Each pass
reads the sites from the store, calls the pure ``controller.reconcile``,
stores the difference (opened / resolved / reopened, each logged at INFO)
and refreshes the site summaries the API serves. Waiters on full cycles are
woken through a condition, never by polling.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from agent.checks import SiteIndex
from controller.config import ReconcileConfig
from controller.reconcile import AgentState, ReconcileSettings, SiteObservations, reconcile_site
from controller.store import FindingChange, SiteRecord, Store
from controller.views import LiveFinding, site_cameras, site_view
from schemas.api import SiteView
from schemas.errors import CamwardenError
from schemas.policy import Policy, Site

log = logging.getLogger(__name__)

SITES_PER_PASS = 500
"""Sites read from the store at a time."""

Clock = Callable[[], datetime]
ReconciledHook = Callable[[str, list[FindingChange], SiteView, datetime], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DeclaredSite:
    """A site of a policy in force, with its identity index built once."""

    policy: Policy
    site: Site
    index: SiteIndex


def declared_sites(policies: Iterable[Policy]) -> dict[str, DeclaredSite]:
    return {
        site.id: DeclaredSite(policy, site, SiteIndex(site))
        for policy in policies
        for site in policy.sites
    }


class Reconciler:
    def __init__(
        self,
        store: Store,
        sites: dict[str, DeclaredSite],
        config: ReconcileConfig,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.sites = sites
        self.config = config
        self.settings = ReconcileSettings(
            stale_after_s=config.stale_after_s,
            agent_silent_intervals=config.agent_silent_intervals,
        )
        self.clock = clock
        self.site_views: dict[str, SiteView] = {}
        """The summary of each site as of its last reconcile (the API's /sites)."""
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._reconciled = asyncio.Condition()
        self._cycle_seen: dict[str, datetime] = {}
        """Per site: the newest full cycle a finished reconcile has taken in."""
        self.on_reconciled: ReconciledHook | None = None
        """Told of every site reconciled (its finding changes and summary);
        must not block: the service queues it for consoles and alerts."""

    def mark(self, site_ids: Iterable[str]) -> None:
        """Ask for a reconcile of these sites soon (after the debounce).
        Sites no policy declares are ignored: nothing can be judged there."""
        known = {s for s in site_ids if s in self.sites}
        if known:
            self._dirty |= known
            self._wake.set()

    async def run(self) -> None:
        """Reconcile marked sites (debounced) and every site on the interval,
        until cancelled. A failing pass is logged and the next one tried."""
        loop = asyncio.get_running_loop()
        next_full = loop.time() + self.config.interval_s
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), max(0.0, next_full - loop.time()))
            except TimeoutError:
                pass
            if loop.time() >= next_full:
                next_full = loop.time() + self.config.interval_s
                due: Collection[str] = list(self.sites)
            else:
                if self.config.debounce_s:
                    await asyncio.sleep(self.config.debounce_s)
                due = sorted(self._dirty)
            self._wake.clear()
            self._dirty.clear()
            try:
                await self.reconcile(due)
            except CamwardenError as exc:
                log.error("reconcile of %d site(s) failed, will retry: %s", len(due), exc)
                self._dirty.update(due)

    async def reconcile(self, site_ids: Collection[str]) -> None:
        """One pass over ``site_ids`` now."""
        ordered = [s for s in site_ids if s in self.sites]
        for start in range(0, len(ordered), SITES_PER_PASS):
            chunk = ordered[start : start + SITES_PER_PASS]
            records = await self.store.load_sites(chunk)
            for site_id in chunk:
                await self._reconcile_site(self.sites[site_id], records[site_id])
        async with self._reconciled:
            self._reconciled.notify_all()

    async def _reconcile_site(self, declared: DeclaredSite, record: SiteRecord) -> None:
        now = self.clock()
        observed = SiteObservations(
            site_id=record.site_id,
            cameras=record.cameras,
            last_full_cycle_at=record.last_full_cycle_at,
            full_cycle_addresses=record.full_cycle_addresses,
            agent=self._agent_state(record),
        )
        try:
            verdict = reconcile_site(
                declared.policy, declared.site, observed, now, self.settings, declared.index
            )
        except ValueError as exc:
            log.error("site %s: reconcile refused its input: %s", record.site_id, exc)
            return
        changes = await self.store.apply_findings(record, verdict, now)
        for change in changes:
            site_id, subject, rule = change.key
            log.info(
                "finding %s: site %s %s %s (%s): %s",
                change.event,
                site_id,
                subject,
                rule,
                change.severity,
                change.summary,
            )
        live: dict[str, list[LiveFinding]] = {}
        for finding in verdict:
            live.setdefault(finding.key[1], []).append(finding)
        cameras = site_cameras(
            declared.site,
            declared.index,
            record,
            live,
            now,
            self.config.stale_after_s,
        )
        self.site_views[record.site_id] = site_view(
            declared.policy, declared.site, record, cameras, verdict
        )
        if record.last_full_cycle_at is not None:
            self._cycle_seen[record.site_id] = record.last_full_cycle_at
        if self.on_reconciled is not None:
            self.on_reconciled(record.site_id, changes, self.site_views[record.site_id], now)

    def _agent_state(self, record: SiteRecord) -> AgentState | None:
        row = record.agent()
        if row is None:
            return None
        return AgentState(
            agent_id=row.agent_id,
            session_id=row.session_id,
            online=row.online,
            last_seen=row.last_seen,
            interval_s=row.interval_s or self.config.interval_s,
        )

    async def wait_for_full_cycles(
        self,
        site_ids: Collection[str],
        timeout: float,  # noqa: ASYNC109 (the interface the demo and tests use)
        *,
        since: datetime | None = None,
    ) -> None:
        """Return once every site in ``site_ids`` has had a full audit cycle
        ingested and a reconcile run after it (with ``since``: a cycle that
        finished at or after it). Raises TimeoutError naming the sites still
        waiting, ValueError for sites no policy declares."""
        wanted = set(site_ids)
        unknown = sorted(wanted - set(self.sites))
        if unknown:
            raise ValueError(f"no policy in force declares site(s) {unknown}")

        def waiting() -> list[str]:
            return sorted(
                s
                for s in wanted
                if s not in self._cycle_seen or (since is not None and self._cycle_seen[s] < since)
            )

        async with self._reconciled:
            try:
                await asyncio.wait_for(self._reconciled.wait_for(lambda: not waiting()), timeout)
            except TimeoutError:
                raise TimeoutError(
                    f"no full audit cycle ingested and reconciled within {timeout:g} s "
                    f"for site(s) {waiting()}"
                ) from None
