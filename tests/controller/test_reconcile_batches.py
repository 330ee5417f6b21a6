"""The reconciler at scale, on both engines: many sites in one batch store
exactly the findings the pure reconcile gives each site; a batch with a bad
site loses only that site; a second pass parses nothing unchanged (the
memo) and says the same; the site summaries equal the API's views."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta

import pytest
from ctl_factory import Agent, now, uid

import controller.reconciler as reconciler_module
from controller.config import ReconcileConfig
from controller.intake import AgentEvent, Batch
from controller.reconcile import AgentState, SiteObservations, reconcile_site
from controller.reconciler import Reconciler, declared_sites
from controller.site_summary import SiteSummary
from controller.store import FindingChange, FindingFilter, SiteVerdict, Store
from controller.views import site_cameras, site_view
from schemas.api import SeverityCounts, SiteView
from schemas.errors import StoreError
from schemas.fingerprint import observation_fingerprint
from schemas.messages import CameraHeartbeat, HeartbeatEntry
from schemas.policy import Policy

SITES = 12


def fleet_policy(sites: int = SITES) -> Policy:
    return Policy.model_validate_json(json.dumps({
        "schema_version": 1, "policy_id": "test-office", "version": "2026-01-01",
        "effective_from": "2026-01-01", "organisation": {"name": "Test Office"},
        "legal_basis": ["PIPA Art. 25(1)1"], "purposes": ["facility-safety"],
        "recording": {"continuous": True, "max_gap_minutes": 10}, "audio": "forbidden",
        "retention": {"days": 30, "tolerance_days": 1}, "clock": {"max_drift_seconds": 5},
        "roles": [{"role": "responsible-manager", "title": "head of general affairs"}],
        "sites": [
            {"id": f"s{s}", "name": f"Site {s}", "storage_place": "server room",
             "cameras": [{"id": f"s{s}-c{c}", "name": f"Cam {c}", "location": "hall",
                          "coverage": "hall", "identity": {"serial": f"SN-{s}-{c}"}}
                         for c in range(4)]}
            for s in range(sites)
        ],
    }))


def fleet_batch(at: datetime, sites: int = SITES) -> Batch:
    """Per site: a birth, reports (one audio encoder, one unreachable, one
    missing every 3rd site, an undeclared device every 4th), a full cycle."""
    batch = Batch()
    for s in range(sites):
        agent = Agent(f"s{s}", agent_id=f"agent-{s}")
        batch.agent_events.append(AgentEvent(agent.birth(at), False))
        addresses = []
        for c in range(4):
            if c == 3 and s % 3 == 0:
                continue
            address = f"10.0.{s}.{c + 1}:80"
            addresses.append(address)
            batch.reports.append(agent.report(
                address, f"SN-{s}-{c}", at=at, audio=c == 1, reachable=c != 2,
                camera_id=f"s{s}-c{c}"))
        if s % 4 == 0:
            addresses.append(f"10.0.{s}.99:80")
            batch.reports.append(agent.report(f"10.0.{s}.99:80", f"STRANGER-{s}", at=at))
        batch.cycles.append(agent.cycle(tuple(addresses), at))
    return batch


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    store = await Store.open(db_url)
    yield store
    await store.close()


def _reconciler(store: Store, policy: Policy, at: datetime) -> Reconciler:
    return Reconciler(store, declared_sites([policy]), ReconcileConfig(debounce_s=0), lambda: at)


async def _stored(store: Store) -> set[tuple[str, str, str, str, str]]:
    rows, _ = await store.list_findings(FindingFilter(), 0, 10_000)
    return {(r.site_id, r.subject, r.rule, r.state, r.summary) for r in rows if r.state == "open"}


async def _expected(store: Store, reconciler: Reconciler, at: datetime) -> set[tuple[str, ...]]:
    """The pure reconcile of every site, without memo, from freshly parsed rows."""
    records = await store.load_sites(list(reconciler.sites))
    found = set()
    for site_id, declared in reconciler.sites.items():
        record = records[site_id]
        agent = record.agent()
        observed = SiteObservations(
            site_id, record.cameras, record.last_full_cycle_at, record.full_cycle_addresses,
            AgentState(agent.agent_id, agent.session_id, agent.online, agent.last_seen,
                       agent.interval_s or 60.0) if agent else None, facts_at=record.facts_at)
        for f in reconcile_site(declared.policy, declared.site, observed, at,
                                reconciler.settings):
            found.add((site_id, f.key[1], f.rule, "open", f.summary))
    return found


async def test_many_sites_in_one_batch_store_what_pure_reconcile_says(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reconciler_module, "SITES_PER_PASS", 5)  # 12 sites: 3 batches
    policy, at = fleet_policy(), now()
    await store.write_batch(fleet_batch(at), at)
    reconciler = _reconciler(store, policy, at + timedelta(seconds=30))
    await reconciler.reconcile(list(reconciler.sites))
    expected = await _expected(store, reconciler, at + timedelta(seconds=30))
    assert {rule for *_, rule, _, _ in expected} >= {
        "audio.encoder-enabled", "camera.unreachable", "inventory.missing",
        "inventory.undeclared"}
    assert await _stored(store) == expected
    assert reconciler.stats.sites == SITES


async def test_a_second_pass_parses_nothing_unchanged_and_changes_nothing(store: Store) -> None:
    policy, at = fleet_policy(), now()
    await store.write_batch(fleet_batch(at), at)
    reconciler = _reconciler(store, policy, at + timedelta(seconds=30))
    changes: list[FindingChange] = []
    reconciler.on_reconciled = lambda _s, c, _v, _at: changes.extend(c)
    await reconciler.reconcile(list(reconciler.sites))
    opened = len(changes)
    first = await _stored(store)
    changes.clear()

    records = await store.load_sites(list(reconciler.sites), reconciler._known)
    assert all(o.facts is None for r in records.values() for o in r.cameras.values())
    await reconciler.reconcile(list(reconciler.sites))
    assert opened > 0 and changes == []
    assert await _stored(store) == first

    # One camera reports anew (its audio encoder now off): only it is parsed,
    # and its finding resolves.
    agent = Agent("s0", agent_id="agent-0")
    fixed = agent.report("10.0.0.2:80", "SN-0-1", at=at + timedelta(seconds=10))
    await store.write_batch(Batch(reports=[fixed]), at)
    records = await store.load_sites(["s0"], reconciler._known)
    parsed = [a for a, o in records["s0"].cameras.items() if o.facts is not None]
    assert parsed == ["10.0.0.2:80"]
    await reconciler.reconcile(["s0"])
    assert [(c.event, c.key[2]) for c in changes] == [("resolved", "audio.encoder-enabled")]

    # A heartbeat moves a camera's time without a new report: the same
    # facts, so nothing is parsed; the held observation takes the new time.
    beat_at = at + timedelta(seconds=20)
    beat = CameraHeartbeat(
        report_id=uid(), agent_id="agent-0", site_id="s0", session_id=agent.session_id,
        cycle_id=uid(), policy_id="test-office", policy_version=policy.version,
        observed_at=beat_at,
        cameras=(HeartbeatEntry(address="10.0.0.2:80", reachable=True,
                                facts_hash=observation_fingerprint(fixed.observation)),),
    )
    await store.write_batch(Batch(heartbeats=[beat]), beat_at)
    records = await store.load_sites(["s0"], reconciler._known)
    assert (records["s0"].parsed, records["s0"].moved) == (0, 1)
    assert records["s0"].cameras["10.0.0.2:80"].observed_at == beat_at
    assert records["s0"].cameras["10.0.0.2:80"].facts is None
    changes.clear()
    left_alone = reconciler.stats.settled
    await reconciler.reconcile(["s0"])
    assert changes == []
    # Nothing a heartbeat moves is named by s0's findings: the site is left
    # alone (controller.settled), its last report moved to the heartbeat's.
    assert reconciler.stats.settled == left_alone + 1
    assert reconciler.site_views["s0"].last_report_at == beat_at
    # Judged all the same (its settled verdict forgotten), the held
    # observation takes the new time, still without parsing.
    del reconciler._settled["s0"]
    await reconciler.reconcile(["s0"])
    assert changes == []
    assert reconciler.sites["s0"].memo["10.0.0.2:80"].observation.observed_at == beat_at


async def test_heartbeats_past_the_allowed_gap_raise_no_recording_gap(store: Store) -> None:
    """Unchanged cameras travel as heartbeats for up to an hour between full
    snapshots. Their facts are judged as of their audit (footage 20 s old
    then), not as of each heartbeat: judged 25 minutes on, the same facts
    would read as a 25-minute recording gap on every camera. Fresh and
    restarted (nothing held: parsed) reconcilers say the same."""
    policy, audited = fleet_policy(1), now() - timedelta(minutes=30)
    agent = Agent("s0", agent_id="agent-0")
    batch = Batch(agent_events=[AgentEvent(agent.birth(audited), False)])
    batch.reports += [agent.report(f"10.0.0.{c + 1}:80", f"SN-0-{c}", at=audited,
                                   camera_id=f"s0-c{c}") for c in range(4)]
    batch.cycles.append(agent.cycle(tuple(r.observation.address for r in batch.reports), audited))
    await store.write_batch(batch, audited)
    held = _reconciler(store, policy, audited + timedelta(seconds=5))
    await held.reconcile(["s0"])
    assert await _stored(store) == set()
    beat_at = audited + timedelta(minutes=25)
    beat = CameraHeartbeat(
        report_id=uid(), agent_id="agent-0", site_id="s0", session_id=agent.session_id,
        cycle_id=uid(), policy_id="test-office", policy_version=policy.version,
        observed_at=beat_at,
        cameras=tuple(HeartbeatEntry(address=r.observation.address, reachable=True,
                                     facts_hash=observation_fingerprint(r.observation))
                      for r in batch.reports),
    )
    await store.write_batch(Batch(heartbeats=[beat]), beat_at)
    later = beat_at + timedelta(seconds=5)
    held.clock = lambda: later
    await held.reconcile(["s0"])
    assert await _stored(store) == set()
    restarted = _reconciler(store, policy, later)
    await restarted.reconcile(["s0"])
    assert await _stored(store) == set()
    assert restarted.site_views["s0"] == held.site_views["s0"]
    assert restarted.site_views["s0"].last_report_at == beat_at
    assert restarted.site_views["s0"].cameras_compliant == 4


async def _api_views(store: Store, reconciler: Reconciler, at: datetime) -> dict[str, SiteView]:
    """Each site's view as the API's per-camera path computes it at ``at``."""
    records = await store.load_sites(list(reconciler.sites))
    views = {}
    for site_id, declared in reconciler.sites.items():
        rows, _ = await store.list_findings(FindingFilter(site=site_id, state="open"), 0, 1000)
        live: dict[str, list[object]] = {}
        for row in rows:
            live.setdefault(row.subject, []).append(row)
        cameras = site_cameras(declared.site, declared.index, records[site_id], live,  # type: ignore[arg-type]
                               at, reconciler.config.stale_after_s)
        views[site_id] = site_view(declared.policy, declared.site, records[site_id], cameras, rows)
    return views


async def test_site_summaries_equal_the_views_of_the_api(store: Store) -> None:
    policy, at = fleet_policy(), now()
    await store.write_batch(fleet_batch(at), at)
    later = at + timedelta(minutes=20)  # past stale_after_s: unreachable by age as well
    reconciler = _reconciler(store, policy, later)
    await reconciler.reconcile(list(reconciler.sites))
    await reconciler.reconcile(list(reconciler.sites))  # from the memo's lean observations
    assert reconciler.site_views == await _api_views(store, reconciler, later)


async def test_a_summary_is_reused_only_while_nothing_it_says_can_have_changed(
    store: Store,
) -> None:
    policy, at = fleet_policy(), now()
    await store.write_batch(fleet_batch(at), at)
    clock = [at + timedelta(seconds=30)]
    reconciler = Reconciler(
        store, declared_sites([policy]), ReconcileConfig(debounce_s=0), lambda: clock[0]
    )
    stale_after = timedelta(seconds=reconciler.config.stale_after_s)

    async def check_pass(when: datetime) -> int:
        clock[0] = when
        reconciler.stats.reset()
        await reconciler.reconcile(list(reconciler.sites))
        assert reconciler.site_views == await _api_views(store, reconciler, when)
        return reconciler.stats.summaries_reused

    assert await check_pass(at + timedelta(seconds=30)) == 0, "a first pass computes them all"
    assert await check_pass(at + timedelta(seconds=60)) == SITES, "nothing changed"
    # A camera reports again, the same facts: no finding changes, but its
    # site's last report does, so that summary alone is computed again.
    agent = Agent("s0", agent_id="agent-0")
    again_at = at + timedelta(seconds=70)
    await store.write_batch(Batch(reports=[agent.report("10.0.0.1:80", "SN-0-0", at=again_at)]),
                            again_at)
    assert await check_pass(at + timedelta(seconds=80)) == SITES - 1
    assert reconciler.site_views["s0"].last_report_at == again_at
    # Time alone: the cameras turn stale, so every summary is computed again.
    assert await check_pass(at + stale_after + timedelta(seconds=71)) == 0
    assert sum(v.cameras_seen for v in reconciler.site_views.values()) == 0


async def test_heartbeats_move_a_held_summary_to_their_time_and_nothing_else(
    store: Store,
) -> None:
    """A round of heartbeats moves every observation's time. A summary with
    stale cameras is computed again (they are fresh now); one whose cameras
    were all fresh is kept with the new last report. Every one equals the
    API's view."""
    policy, at = fleet_policy(), now()
    await store.write_batch(fleet_batch(at), at)
    late = at + timedelta(seconds=ReconcileConfig().stale_after_s + 10)
    clock = [late]
    reconciler = Reconciler(
        store, declared_sites([policy]), ReconcileConfig(debounce_s=0), lambda: clock[0]
    )
    await reconciler.reconcile(list(reconciler.sites))
    assert not any(held.summary.movable for held in reconciler._summaries.values())
    stored = await store.load_sites(list(reconciler.sites))

    async def heartbeats_then_pass(beat_at: datetime) -> int:
        beats = [
            CameraHeartbeat(
                report_id=uid(), agent_id=f"agent-{s}", site_id=site_id, session_id=uid(),
                cycle_id=uid(), policy_id="test-office", policy_version=policy.version,
                observed_at=beat_at,
                cameras=tuple(HeartbeatEntry(address=a, reachable=o.reachable,
                                             facts_hash=observation_fingerprint(o))
                              for a, o in record.cameras.items()),
            )
            for s, (site_id, record) in enumerate(stored.items())
        ]
        await store.write_batch(Batch(heartbeats=beats), beat_at)
        clock[0] = beat_at + timedelta(seconds=5)
        reconciler.stats.reset()
        await reconciler.reconcile(list(reconciler.sites))
        assert reconciler.site_views == await _api_views(store, reconciler, clock[0])
        assert all(v.last_report_at == beat_at for v in reconciler.site_views.values())
        return reconciler.stats.summaries_reused

    assert await heartbeats_then_pass(late) == 0, "stale cameras fresh again: computed anew"
    assert all(held.summary.movable for held in reconciler._summaries.values())
    assert await heartbeats_then_pass(late + timedelta(seconds=60)) == SITES


def test_a_held_summary_holds_until_a_fresh_camera_may_turn_stale() -> None:
    at = now()
    view = SiteView(site_id="s", name="S", policy_id="p", policy_version="1", organisation="O",
                    storage_place="", cameras_declared=0, cameras_seen=0, cameras_compliant=0,
                    findings_open=SeverityCounts(critical=0, warning=0, info=0),
                    agent_id=None, agent_online=None, last_report_at=None)
    held = SiteSummary(view, at, at + timedelta(seconds=600), movable=False)
    assert held.holds_at(at) and held.holds_at(at + timedelta(seconds=599))
    assert not held.holds_at(at + timedelta(seconds=600))
    assert not held.holds_at(at - timedelta(seconds=1)), "a clock that went back: compute anew"
    assert SiteSummary(view, at, None, movable=False).holds_at(at + timedelta(days=365))


class RefusingStore(Store):
    """Refuses any write that includes the site ``bad`` (as a database
    refuses one site's rows: a constraint, a too-long value)."""

    bad = "s3"
    calls: int = 0

    async def apply_verdicts(
        self, verdicts: Sequence[SiteVerdict], now: datetime
    ) -> dict[str, list[FindingChange]]:
        self.calls += 1
        if any(record.site_id == self.bad for record, _, _ in verdicts):
            raise StoreError(f"refused site {self.bad}")
        return await super().apply_verdicts(verdicts, now)


async def test_a_bad_site_in_a_batch_does_not_lose_the_others(db_url: str) -> None:
    store = await RefusingStore.open(db_url)
    try:
        policy, at = fleet_policy(), now()
        await store.write_batch(fleet_batch(at), at)
        reconciler = _reconciler(store, policy, at + timedelta(seconds=30))
        await reconciler.reconcile(list(reconciler.sites))
        stored = await _stored(store)
        expected = await _expected(store, reconciler, at + timedelta(seconds=30))
        assert stored == {f for f in expected if f[0] != "s3"}
        assert "s3" not in reconciler.site_views and "s4" in reconciler.site_views
        assert reconciler._dirty == {"s3"}  # tried again on the next pass
        assert store.calls == 1 + SITES  # the batch, then each site alone
    finally:
        await store.close()


async def test_a_store_refusing_everything_fails_the_pass(db_url: str) -> None:
    store = await RefusingStore.open(db_url)
    store.bad = "s0"
    try:
        policy, at = fleet_policy(1), now()
        await store.write_batch(fleet_batch(at, 1), at)
        reconciler = _reconciler(store, policy, at)
        with pytest.raises(StoreError):
            await reconciler.reconcile(list(reconciler.sites))
    finally:
        await store.close()


async def test_a_start_up_pass_pauses_the_collector_and_enables_it_again(store: Store) -> None:
    import gc

    policy, at = fleet_policy(), now()
    await store.write_batch(fleet_batch(at), at)
    reconciler = Reconciler(store, declared_sites([policy]), ReconcileConfig(), lambda: at,
                            freeze_gc=True)
    seen: list[bool] = []
    original = reconciler._reconcile_batch

    async def spy(site_ids: list[str]) -> list[str]:
        seen.append(gc.isenabled())
        return await original(site_ids)

    reconciler._reconcile_batch = spy  # type: ignore[method-assign]
    try:
        await reconciler.reconcile(list(reconciler.sites), startup=True)
        assert seen == [False] and gc.isenabled()
        await reconciler.reconcile(list(reconciler.sites))  # later passes: untouched
        assert seen == [False, True]
    finally:
        gc.unfreeze()
        gc.enable()


class StatisticsStore(Store):
    """Counts the reconciler's requests to refresh planner statistics, and
    refuses them when told to (a role without the right, a lock timeout)."""

    refreshed: int = 0
    refuse = False

    async def refresh_statistics(self) -> list[str]:
        self.refreshed += 1
        if self.refuse:
            raise StoreError("permission denied to analyze")
        return await super().refresh_statistics()


async def test_statistics_are_refreshed_after_every_batch_and_a_refusal_loses_nothing(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reconciler_module, "SITES_PER_PASS", 5)  # 12 sites: 3 batches
    store = await StatisticsStore.open(db_url)
    try:
        policy, at = fleet_policy(), now()
        await store.write_batch(fleet_batch(at), at)
        reconciler = _reconciler(store, policy, at + timedelta(seconds=30))
        store.refreshed, store.refuse = 0, True
        await reconciler.reconcile(list(reconciler.sites))
        assert store.refreshed == 3, "the next batch's reads plan by what this one wrote"
        expected = await _expected(store, reconciler, at + timedelta(seconds=30))
        assert await _stored(store) == expected
        assert reconciler._dirty == set(), "a refused analyze fails no site"
    finally:
        await store.close()


async def test_a_cancel_that_lands_as_sites_are_marked_stops_the_loop(store: Store) -> None:
    """On Python 3.11 ``asyncio.wait_for`` drops a cancel that arrives as
    its event is set; a controller stopping while ingest marked sites then
    never finished its stop (seen as a teardown hang)."""
    policy, at = fleet_policy(1), now()
    reconciler = Reconciler(store, declared_sites([policy]),
                            ReconcileConfig(interval_s=60, debounce_s=0), lambda: at)
    reconciler.full_pass_first = False
    running = asyncio.create_task(reconciler.run())
    await asyncio.sleep(0.05)  # waiting for a mark or the interval
    reconciler.mark(["s0"])
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 5)
