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
import gc
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import NamedTuple

from agent.checks import SiteIndex
from controller.config import ReconcileConfig
from controller.judged import judge_key
from controller.reconcile import (
    AgentState,
    Judged,
    ReconcileSettings,
    SiteObservations,
    holds_until,
    reconcile_site,
)
from controller.reconcile.stored import dump_memo, load_memo
from controller.settled import Settled, agent_key, settle, settled_key
from controller.site_summary import SiteSummary, site_summary
from controller.store import (
    FindingChange,
    JudgedSite,
    SiteRecord,
    SiteStamp,
    SiteVerdict,
    Store,
)
from controller.store.bulk import diff_findings
from controller.store.settled import NO_STAMP
from controller.store.sites import AgentRow
from controller.waiting import wait_set
from schemas.api import SiteView
from schemas.errors import CamwardenError, StoreError
from schemas.findings import Finding
from schemas.policy import Policy, Site

log = logging.getLogger(__name__)

SITES_PER_PASS = 1000
"""Sites per batch: read together, stored in one transaction (40,000
cameras at 40 per site: a second or two of work, so the event loop and the
API get a turn between batches; the parsed observations of one batch, some
8 KB each, are what a cold pass holds on top of the memo)."""

Clock = Callable[[], datetime]
ReconciledHook = Callable[[str, list[FindingChange], SiteView, datetime], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DeclaredSite:
    """A site of a policy in force, with its identity index built once and
    the memo of its observations judged under this policy (by address; a
    new policy version makes new ``DeclaredSite``s, so a fresh memo).
    ``judge_key``: names the policy and the judging code, for the memo
    the store keeps (``controller.judged``)."""

    policy: Policy
    site: Site
    index: SiteIndex
    judge_key: str
    memo: dict[str, Judged] = field(default_factory=dict)


def declared_sites(policies: Iterable[Policy]) -> dict[str, DeclaredSite]:
    sites = {}
    for policy in policies:
        key = judge_key(policy)
        for site in policy.sites:
            sites[site.id] = DeclaredSite(policy, site, SiteIndex(site), key)
    return sites


@dataclass(slots=True)
class PassStats:
    """Where reconcile's time went (seconds, summed over batches) since the
    last ``reset``: for the benchmark and for operators' logs."""

    sites: int = 0
    summaries_reused: int = 0
    """Sites whose summary was unchanged from the last pass (not recomputed;
    those left alone, ``settled``, included)."""
    restored: int = 0
    """Judged observations read back from the store (``_restore``)."""
    persisted: int = 0
    """Sites whose memo was written to the store (``_persist``)."""
    settled: int = 0
    """Sites left alone: nothing written for them since their verdict,
    which still holds (``controller.settled``)."""
    phases: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("load", "reconcile", "diff", "write", "views"), 0.0)
    )

    def add(
        self, sites: int, load: float, pure: float, diff: float, write: float, views: float
    ) -> None:
        self.sites += sites
        for name, seconds in zip(
            ("load", "reconcile", "diff", "write", "views"),
            (load, pure, diff, write, views),
            strict=True,
        ):
            self.phases[name] += seconds

    def reset(self) -> None:
        self.sites = 0
        self.summaries_reused = 0
        self.restored = self.persisted = self.settled = 0
        self.phases = dict.fromkeys(self.phases, 0.0)

    def as_dict(self) -> dict[str, float]:
        return dict(self.phases)


class _SummaryInputs(NamedTuple):
    """What a site's summary depends on besides its observations' versions
    (``SiteRecord.parsed``) and the time (``SiteSummary.holds_at``)."""

    cameras: int
    last_full_cycle_at: datetime | None
    agent: tuple[str, bool] | None
    findings: frozenset[tuple[tuple[str, str, str], str]]
    """Key and severity of each open finding (not in verdict order: that
    follows the database's row order, which PostgreSQL changes with every
    update of a row, a heartbeat's too)."""


class _HeldSummary(NamedTuple):
    declared: DeclaredSite
    """The very object it was computed under (a new policy version makes
    new ``DeclaredSite``s)."""
    inputs: _SummaryInputs
    summary: SiteSummary


class Reconciler:
    def __init__(
        self,
        store: Store,
        sites: dict[str, DeclaredSite],
        config: ReconcileConfig,
        clock: Clock = utc_now,
        *,
        freeze_gc: bool = False,
    ) -> None:
        """``freeze_gc``: during a start-up pass, pause the cyclic collector
        (what a batch parses is freed by reference counting; only cycles
        wait for the pass to end) and after each batch move what survives
        (the memo's judged observations) out of its way (``gc.freeze``): on
        a heap of millions of objects its collections otherwise cost a
        quarter to a third of a cold pass (measured). Only then:
        frozen objects that later form garbage cycles are never collected,
        which a long-running process cannot afford on every pass. For the
        service's process, not for a library caller's."""
        self.store = store
        self.freeze_gc = freeze_gc
        self.full_pass_first = False
        """Set before ``run``: begin with a full pass rather than after the
        interval (the service's start-up reconcile of a large fleet, done in
        the background while the API serves)."""
        self.sites = sites
        self.config = config
        self.settings = ReconcileSettings(
            stale_after_s=config.stale_after_s,
            agent_silent_intervals=config.agent_silent_intervals,
        )
        self.clock = clock
        self.site_views: dict[str, SiteView] = {}
        """The summary of each site as of its last reconcile (the API's /sites)."""
        self._summaries: dict[str, _HeldSummary] = {}
        """Per site: its last summary and what it was computed from."""
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._reconciled = asyncio.Condition()
        self._cycle_seen: dict[str, datetime] = {}
        """Per site: the newest full cycle a finished reconcile has taken in."""
        self._settled: dict[str, Settled] = {}
        """Per site: its verdict as last stored, while it may be left alone."""
        self._settled_read: set[str] = set()
        """Sites whose stored settled verdict was looked for (once a process)."""
        self._keys: dict[tuple[str, float | None], str] = {}
        self.stats = PassStats()
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
        next_full = loop.time() + (0.0 if self.full_pass_first else self.config.interval_s)
        startup = self.full_pass_first
        while True:
            await wait_set(self._wake, max(0.0, next_full - loop.time()))
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
                await self.reconcile(due, startup=startup)
                if startup:
                    log.info("start-up reconcile of %d site(s) done", len(due))
                    startup = False
            except CamwardenError as exc:
                log.error("reconcile of %d site(s) failed, will retry: %s", len(due), exc)
                self._dirty.update(due)

    async def reconcile(self, site_ids: Collection[str], *, startup: bool = False) -> None:
        """One pass over ``site_ids`` now, ``SITES_PER_PASS`` sites per batch:
        one bulk read, the pure reconcile of each site, one transaction for
        the batch's verdicts. A batch the database refuses is retried site
        by site, so one bad site does not cost the others; sites that still
        fail are marked for the next pass. Raises StoreError when nothing
        of a batch could be stored (the database is down, not one site).
        ``startup``: the process's first pass (see ``freeze_gc``)."""
        ordered = [s for s in site_ids if s in self.sites]
        failed: list[str] = []
        pause_gc = startup and self.freeze_gc and gc.isenabled()
        if pause_gc:
            gc.disable()
        try:
            for start in range(0, len(ordered), SITES_PER_PASS):
                failed += await self._reconcile_batch(ordered[start : start + SITES_PER_PASS])
                await self._refresh_statistics()
                if startup and self.freeze_gc:
                    gc.freeze()
        finally:
            if pause_gc:
                gc.enable()
            async with self._reconciled:
                self._reconciled.notify_all()
        if failed:
            self._dirty.update(failed)

    async def _reconcile_batch(self, site_ids: list[str]) -> list[str]:
        """Reconcile and store one batch of sites; returns the sites whose
        verdict could not be stored. Sites whose verdict is settled
        (``controller.settled``) are left alone: their live findings are
        marked seen, nothing else is read or judged."""
        stats = self.stats
        t0 = time.perf_counter()
        stamps = await self._stamps(site_ids)
        await self._restore_settled(site_ids, stamps)
        now = self.clock()
        due, kept = self._unsettled(site_ids, stamps, now)
        await self._restore(due)
        records = await self.store.load_sites(due, self._known) if due else {}
        t1 = time.perf_counter()
        judged: list[tuple[DeclaredSite, SiteRecord, tuple[Finding, ...], datetime | None]] = []
        remembered: list[DeclaredSite] = []
        for site_id in due:
            declared, record = self.sites[site_id], records[site_id]
            held = len(declared.memo)
            outcome = self._verdict(declared, record, now)
            if outcome is not None:
                judged.append((declared, record, *outcome))
                if record.parsed or len(declared.memo) != held:
                    remembered.append(declared)
        t2 = time.perf_counter()
        verdicts = [
            (record, verdict, diff_findings(record, verdict, now))
            for _, record, verdict, _ in judged
        ]
        t3 = time.perf_counter()
        changes, failed = await self._store_verdicts(verdicts, now)
        await self._persist(remembered, now)
        t4 = time.perf_counter()
        settled: list[tuple[str, Settled]] = []
        for declared, record, verdict, until in judged:
            site_id = record.site_id
            if site_id in changes:
                summary = self._publish(declared, record, verdict, changes[site_id], now)
                agent = agent_key(self._agent_state(record.agent()), now, self.settings)
                entry = settle(
                    self._key(declared), stamps.get(site_id, NO_STAMP), agent, record, verdict,
                    changes[site_id], summary, until, self.store.lifecycle.escalate_after_s,
                    now,
                )
                self._settled[site_id] = entry
                settled.append((site_id, entry))
        await self._store_settled(settled, kept, now)
        stats.add(len(site_ids), t1 - t0, t2 - t1, t3 - t2, t4 - t3, time.perf_counter() - t4)
        return failed

    async def _stamps(self, site_ids: list[str]) -> dict[str, SiteStamp]:
        """The sites' stamps, read before anything else of them (a write
        after this read moves them again: the next pass judges it). When
        they cannot be read, none: every site is judged."""
        try:
            return await self.store.read_stamps(site_ids)
        except StoreError as exc:
            log.warning("site stamps not read, judging every site: %s", exc)
            return {}

    def _key(self, declared: DeclaredSite) -> str:
        """The settled key of a site under ``declared``'s policy, this code
        and these settings (``controller.settled``)."""
        escalate = self.store.lifecycle.escalate_after_s
        key = self._keys.get((declared.judge_key, escalate))
        if key is None:
            settings = (
                f"stale {self.settings.stale_after_s!r} silent "
                f"{self.settings.agent_silent_intervals!r} interval {self.config.interval_s!r} "
                f"escalate {escalate!r}"
            )
            key = self._keys[(declared.judge_key, escalate)] = settled_key(
                declared.judge_key, settings
            )
        return key

    async def _restore_settled(self, site_ids: list[str], stamps: dict[str, SiteStamp]) -> None:
        """Read back, once a process, the stored settled verdict of each site
        holding none (after a start). One that cannot be read costs time:
        its site is judged."""
        wanted = [s for s in site_ids if s not in self._settled and s not in self._settled_read]
        if not wanted or not stamps:
            return
        self._settled_read.update(wanted)
        keys = {s: self._key(self.sites[s]) for s in wanted}
        try:
            rows = await self.store.read_settled(wanted, keys)
        except StoreError as exc:
            log.warning("settled verdicts not read, judging their sites: %s", exc)
            return
        for site_id, row in rows.items():
            try:
                entry = Settled.from_row(row, stamps.get(site_id, NO_STAMP).seen_at)
            except ValueError as exc:  # pydantic's ValidationError is one
                log.warning("site %s: stored settled verdict unreadable, judging it: %s",
                            site_id, exc)
                continue
            self._settled[site_id] = entry

    def _unsettled(
        self, site_ids: list[str], stamps: dict[str, SiteStamp], now: datetime
    ) -> tuple[list[str], list[str]]:
        """The sites to judge, and those left alone (their summary kept, or
        moved to the heartbeats' newest time and told to the hook)."""
        if not stamps:
            return site_ids, []
        due: list[str] = []
        kept: list[str] = []
        for site_id in site_ids:
            held = self._settled.get(site_id)
            entry = None
            if held is not None:
                stamp = stamps[site_id]
                agent = agent_key(self._agent_state(stamp.agent), now, self.settings)
                entry = held.kept(self._key(self.sites[site_id]), stamp, agent, now)
            if entry is None:
                due.append(site_id)
                continue
            kept.append(site_id)
            if entry is not held:
                self._settled[site_id] = entry
            view = entry.summary.view
            if self.site_views.get(site_id) is not view:
                self.site_views[site_id] = view
                self._summaries.pop(site_id, None)
                if self.on_reconciled is not None:
                    self.on_reconciled(site_id, [], view, now)
            if entry.cycle_at is not None:
                self._cycle_seen[site_id] = entry.cycle_at
        self.stats.settled += len(kept)
        self.stats.summaries_reused += len(kept)
        return due, kept

    async def _store_settled(
        self, settled: list[tuple[str, Settled]], kept: list[str], now: datetime
    ) -> None:
        """Store the verdicts just settled (for the next start) and mark the
        live findings of the sites left alone seen now. A refusal is logged:
        the findings' ``last_seen`` lags, the next start judges more."""
        if not settled and not kept:
            return
        try:
            await self.store.settle([e.row(s) for s, e in settled], kept, now)
        except StoreError as exc:
            log.warning("settled verdicts of %d site(s) not stored: %s", len(settled), exc)

    async def _restore(self, site_ids: list[str]) -> None:
        """Read back the stored memo of each site the reconciler holds none
        of (after a start, or a new policy: then the keys differ and
        nothing is read). A memo that cannot be read costs time, not
        findings: its site's observations are judged afresh."""
        empty = {s: self.sites[s] for s in site_ids if not self.sites[s].memo}
        if not empty:
            return
        try:
            stored = await self.store.read_judged(
                list(empty), {s: d.judge_key for s, d in empty.items()}
            )
        except StoreError as exc:
            log.warning("judged observations not read, judging afresh: %s", exc)
            return
        for site_id, row in stored.items():
            declared = empty[site_id]
            try:
                declared.memo.update(load_memo(row.body, declared.index))
            except ValueError as exc:
                log.warning("%s; judging its observations afresh", exc)
                continue
            self.stats.restored += len(declared.memo)

    async def _persist(self, sites: list[DeclaredSite], now: datetime) -> None:
        """Store the memo of each site whose memo this batch changed (an
        observation parsed, or gone), for the next start (``_restore``).
        A refusal is logged: the next start judges those sites afresh."""
        if not sites:
            return
        rows = [
            JudgedSite(d.site.id, d.judge_key, len(d.memo), dump_memo(d.memo, d.index))
            for d in sites
        ]
        try:
            await self.store.write_judged(rows, now)
        except StoreError as exc:
            log.warning("judged observations of %d site(s) not stored: %s", len(rows), exc)
            return
        self.stats.persisted += len(rows)

    async def _refresh_statistics(self) -> None:
        """Keep PostgreSQL's planner statistics up with what the batch wrote,
        since the next batch's reads choose their plan by them (see
        ``store.statistics``). A refusal costs speed, not findings: logged."""
        try:
            analyzed = await self.store.refresh_statistics()
        except StoreError as exc:
            log.warning("planner statistics not refreshed: %s", exc)
            return
        if analyzed:
            log.info("analyzed %s (statistics missing or stale)", ", ".join(analyzed))

    def _known(self, site_id: str) -> Mapping[str, Judged]:
        """The loader's question: which observation versions of this site
        are already judged? The site's memo (its entries hold the lean
        observation and the version it was judged at)."""
        declared = self.sites.get(site_id)
        return declared.memo if declared is not None else {}

    def _verdict(
        self, declared: DeclaredSite, record: SiteRecord, now: datetime
    ) -> tuple[tuple[Finding, ...], datetime | None] | None:
        """The site's findings at ``now`` and until when they hold by the
        clock (``holds_until``); None if reconcile refused the input."""
        observed = SiteObservations(
            site_id=record.site_id,
            cameras=record.cameras,
            last_full_cycle_at=record.last_full_cycle_at,
            full_cycle_addresses=record.full_cycle_addresses,
            agent=self._agent_state(record.agent()),
            tokens=record.tokens,
            facts_at=record.facts_at,
        )
        try:
            verdict = reconcile_site(
                declared.policy,
                declared.site,
                observed,
                now,
                self.settings,
                declared.index,
                declared.memo,
            )
            # the agent's silence is not a bound: it is compared live (Settled.agent)
            return verdict, holds_until(replace(observed, agent=None), now, self.settings)
        except ValueError as exc:
            log.error("site %s: reconcile refused its input: %s", record.site_id, exc)
            return None

    async def _store_verdicts(
        self, verdicts: list[SiteVerdict], now: datetime
    ) -> tuple[dict[str, list[FindingChange]], list[str]]:
        """All verdicts in one transaction; if the database refuses it, each
        site in its own, so that one bad site loses only its own verdict."""
        if not verdicts:
            return {}, []
        try:
            return await self.store.apply_verdicts(verdicts, now), []
        except StoreError as exc:
            if len(verdicts) == 1:
                raise
            log.warning(
                "a batch of %d sites was refused, storing them one by one: %s", len(verdicts), exc
            )
        changes: dict[str, list[FindingChange]] = {}
        failed: list[str] = []
        for verdict in verdicts:
            site_id = verdict[0].site_id
            try:
                changes.update(await self.store.apply_verdicts([verdict], now))
            except StoreError as exc:
                log.error("site %s: findings not stored: %s", site_id, exc)
                failed.append(site_id)
        if not changes:
            raise StoreError(f"none of {len(verdicts)} sites' findings could be stored")
        return changes, failed

    def _publish(
        self,
        declared: DeclaredSite,
        record: SiteRecord,
        verdict: tuple[Finding, ...],
        changes: list[FindingChange],
        now: datetime,
    ) -> SiteSummary:
        """Log the changes, refresh the site's summary (returned), tell the hook."""
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
        summary = self._summary(declared, record, verdict, now)
        self.site_views[record.site_id] = summary.view
        if record.last_full_cycle_at is not None:
            self._cycle_seen[record.site_id] = record.last_full_cycle_at
        if self.on_reconciled is not None:
            self.on_reconciled(record.site_id, changes, summary.view, now)
        return summary

    def _summary(
        self,
        declared: DeclaredSite,
        record: SiteRecord,
        verdict: tuple[Finding, ...],
        now: datetime,
    ) -> SiteSummary:
        """The site's summary: the one held from the last pass when nothing
        it is computed from changed (every observation the version the memo
        already held, the same cameras, cycle, agent and open findings, and
        no camera old enough yet to turn stale; times moved by heartbeats
        only move its last report, ``SiteSummary.moved``), else
        ``site_summary`` anew.
        On a steady fleet that is most sites; the counts are the same either
        way (a test holds them to a fresh computation)."""
        agent = record.agent()
        inputs = _SummaryInputs(
            len(record.cameras),
            record.last_full_cycle_at,
            (agent.agent_id, agent.online) if agent is not None else None,
            frozenset([(f.key, f.severity) for f in verdict]),
        )
        held = self._summaries.get(record.site_id)
        if (
            held is not None
            and held.declared is declared
            and record.parsed == 0
            and held.inputs == inputs
            and held.summary.holds_at(now)
        ):
            kept = held.summary if record.moved == 0 else held.summary.moved(record)
            if kept is not None:
                self.stats.summaries_reused += 1
                if kept is not held.summary:
                    self._summaries[record.site_id] = held._replace(summary=kept)
                return kept
        summary = site_summary(
            declared.policy,
            declared.site,
            declared.index,
            record,
            verdict,
            now,
            self.config.stale_after_s,
            declared.memo,
        )
        self._summaries[record.site_id] = _HeldSummary(declared, inputs, summary)
        return summary

    def _agent_state(self, row: AgentRow | None) -> AgentState | None:
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
