"""Sites left alone (``controller.settled``), on both engines: a pass does
not read or judge a site nothing was written for whose verdict still holds
by the clock; a report, a cycle, an agent's birth or death, a verdict
written from outside, the clock crossing a threshold (a camera turning
stale, an agent falling silent, a finding old enough to escalate) each make
it judged again; heartbeats leave alone a site they cannot change and move
its last report; a restarted reconciler leaves alone what its predecessor
settled. After every step the stored findings are what the pure reconcile
of freshly read rows says, and the summaries what the API says."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from ctl_factory import Agent, now, uid
from sqlalchemy import select, update
from test_reconcile_batches import (
    SITES,
    _api_views,
    _expected,
    _stored,
    fleet_batch,
    fleet_policy,
)

from controller.config import ReconcileConfig
from controller.intake import AgentEvent, Batch
from controller.reconciler import Reconciler, declared_sites
from controller.store import FindingChange, SiteRecord, Store
from controller.store.tables import findings, settled_sites
from schemas.fingerprint import observation_fingerprint
from schemas.messages import CameraHeartbeat, HeartbeatEntry
from schemas.policy import Policy


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    store = await Store.open(db_url)
    yield store
    await store.close()


class Run:
    """One reconciler over the test fleet, its clock set per pass, the
    sites it read and the changes it told."""

    def __init__(self, store: Store, policy: Policy, at: datetime, **config: float) -> None:
        self.store = store
        self.at = at
        self.reconciler = Reconciler(
            store, declared_sites([policy]), ReconcileConfig(debounce_s=0, **config),
            lambda: self.at,
        )
        self.read: list[str] = []
        self.changes: list[FindingChange] = []
        self.reconciler.on_reconciled = lambda _s, c, _v, _at: self.changes.extend(c)
        real_load = store.load_sites

        async def spy(site_ids: list[str], known: object = None) -> dict[str, SiteRecord]:
            self.read += site_ids
            return await real_load(site_ids, known)  # type: ignore[arg-type]

        self.reconciler.store = _Spied(store, spy)

    async def settle(self, at: datetime) -> list[str]:
        """A pass at ``at``; returns the sites it judged (read). Checks the
        stored findings and the summaries against a fresh computation."""
        self.at = at
        self.read.clear()
        self.changes.clear()
        self.reconciler.stats.reset()
        await self.reconciler.reconcile(list(self.reconciler.sites))
        assert await _stored(self.store) == await _expected(self.store, self.reconciler, at)
        assert self.reconciler.site_views == await _api_views(self.store, self.reconciler, at)
        assert self.reconciler.stats.settled + len(self.read) == len(self.reconciler.sites)
        return sorted(self.read)


class _Spied:
    """The store, but for ``load_sites``."""

    def __init__(self, store: Store, load: object) -> None:
        self._store = store
        self.load_sites = load

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


async def _fleet(store: Store) -> tuple[Policy, datetime]:
    policy, at = fleet_policy(), now()
    await store.write_batch(fleet_batch(at), at)
    return policy, at


async def test_a_pass_leaves_alone_every_site_nothing_was_written_for(store: Store) -> None:
    policy, at = await _fleet(store)
    run = Run(store, policy, at)
    assert len(await run.settle(at + timedelta(seconds=30))) == SITES
    assert run.changes, "the first pass opens findings"
    assert await run.settle(at + timedelta(seconds=60)) == []
    assert run.changes == []
    assert run.reconciler.stats.settled == SITES
    async with store.engine.connect() as connection:
        seen = set((await connection.execute(
            select(findings.c.last_seen).where(findings.c.state != "resolved"))).scalars())
    assert seen == {at + timedelta(seconds=60)}, "live findings marked seen, as if judged"


async def test_writes_for_a_site_make_it_judged_again(store: Store) -> None:
    policy, at = await _fleet(store)
    run = Run(store, policy, at)
    await run.settle(at + timedelta(seconds=30))
    # A report (s1's audio encoder now off), a cycle (s2's), a new agent
    # session (s4's: born again, then its will).
    fixed = Agent("s1", agent_id="agent-1").report(
        "10.0.1.2:80", "SN-1-1", at=at + timedelta(seconds=35), camera_id="s1-c1")
    await store.write_batch(Batch(reports=[fixed]), at + timedelta(seconds=35))
    assert await run.settle(at + timedelta(seconds=40)) == ["s1"]
    assert [(c.event, c.key[2]) for c in run.changes] == [("resolved", "audio.encoder-enabled")]

    s2 = Agent("s2", agent_id="agent-2")
    cycle_at = at + timedelta(seconds=45)
    await store.write_batch(Batch(cycles=[s2.cycle(("10.0.2.1:80",), cycle_at)]), cycle_at)
    assert await run.settle(at + timedelta(seconds=50)) == ["s2"]
    assert ("opened", "inventory.missing") in {(c.event, c.key[2]) for c in run.changes}

    s4 = Agent("s4", agent_id="agent-4")
    born = at + timedelta(seconds=55)
    await store.write_batch(Batch(agent_events=[AgentEvent(s4.birth(born), False)]), born)
    assert await run.settle(at + timedelta(seconds=56)) == ["s4"]
    await store.write_batch(Batch(agent_events=[AgentEvent(s4.death(), False)]), born)
    assert await run.settle(at + timedelta(seconds=57)) == ["s4"]
    assert [(c.event, c.key[2]) for c in run.changes] == [("opened", "agent.offline")]
    assert await run.settle(at + timedelta(seconds=58)) == []


async def test_a_verdict_written_from_outside_makes_its_site_judged_again(store: Store) -> None:
    policy, at = await _fleet(store)
    run = Run(store, policy, at)
    await run.settle(at + timedelta(seconds=30))
    record = (await store.load_sites(["s3"]))["s3"]
    await store.apply_findings(record, (), at + timedelta(seconds=31))  # all resolved
    assert await run.settle(at + timedelta(seconds=40)) == ["s3"]
    assert {c.event for c in run.changes} == {"reopened"}


async def test_the_clock_makes_a_settled_site_judged_again_at_its_threshold(
    store: Store,
) -> None:
    policy, at = await _fleet(store)
    run = Run(store, policy, at, agent_silent_intervals=1000.0)  # only staleness, here
    await run.settle(at + timedelta(seconds=30))
    stale_after = timedelta(seconds=run.reconciler.config.stale_after_s)
    assert await run.settle(at + stale_after - timedelta(seconds=1)) == [], "fresh until then"
    assert len(await run.settle(at + stale_after + timedelta(seconds=1))) == SITES
    assert {c.key[2] for c in run.changes if c.event == "opened"} == {"camera.unreachable"}
    assert await run.settle(at + stale_after + timedelta(hours=1)) == [], (
        "stale stays stale: nothing more the clock can change")


async def test_an_agent_falling_silent_makes_its_site_judged_again(store: Store) -> None:
    policy, at = await _fleet(store)
    run = Run(store, policy, at)
    await run.settle(at + timedelta(seconds=30))
    silent = timedelta(seconds=3 * 60.0)  # agent_silent_intervals × the birth's interval
    assert await run.settle(at + silent - timedelta(seconds=1)) == []
    assert len(await run.settle(at + silent + timedelta(seconds=1))) == SITES
    assert {c.key[2] for c in run.changes} == {"agent.offline"}


async def test_a_finding_old_enough_to_escalate_makes_its_site_judged_again(
    store: Store,
) -> None:
    store.lifecycle.escalate_after_s = 120.0
    policy, at = await _fleet(store)
    run = Run(store, policy, at)
    await run.settle(at + timedelta(seconds=30))
    assert await run.settle(at + timedelta(seconds=149)) == []
    assert len(await run.settle(at + timedelta(seconds=151))) == SITES
    assert run.changes and {c.event for c in run.changes} == {"escalated"}
    assert await run.settle(at + timedelta(seconds=160)) == [], "escalated once"


def _clean_site_batch(at: datetime) -> tuple[Batch, Agent]:
    """s0 alone, every camera reachable and compliant, a full cycle."""
    agent = Agent("s0", agent_id="agent-0")
    batch = Batch(agent_events=[AgentEvent(agent.birth(at), False)])
    batch.reports += [agent.report(f"10.0.0.{c + 1}:80", f"SN-0-{c}", at=at,
                                   camera_id=f"s0-c{c}") for c in range(4)]
    batch.cycles.append(agent.cycle(tuple(r.observation.address for r in batch.reports), at))
    return batch, agent


def _beat(agent: Agent, policy: Policy, record: SiteRecord, at: datetime) -> CameraHeartbeat:
    return CameraHeartbeat(
        report_id=uid(), agent_id=agent.agent_id, site_id=agent.site_id,
        session_id=agent.session_id, cycle_id=uid(), policy_id="test-office",
        policy_version=policy.version, observed_at=at,
        cameras=tuple(HeartbeatEntry(address=a, reachable=o.reachable,
                                     facts_hash=observation_fingerprint(o))
                      for a, o in record.cameras.items()),
    )


async def test_heartbeats_leave_a_site_alone_when_they_can_change_nothing(
    store: Store,
) -> None:
    """Sites stay settled through heartbeats, their last report moved, past
    the three intervals after which their agent would be silent without them
    (the agent's last seen is compared live): a compliant one (s0), and one
    with a camera that does not answer (s1: its finding names no time). A
    site with a stale camera (s2) is judged again: the heartbeat makes the
    camera fresh, and its finding resolves."""
    policy, at = fleet_policy(3), now()
    batch, agent = _clean_site_batch(at)
    other = fleet_batch(at, 2)  # s1: a camera that does not answer, one audio encoder
    batch.agent_events += other.agent_events[1:]
    batch.reports += [r for r in other.reports if r.site_id == "s1"]
    batch.cycles += [c for c in other.cycles if c.site_id == "s1"]
    s2 = Agent("s2", agent_id="agent-2")
    batch.agent_events.append(AgentEvent(s2.birth(at), False))
    s2_reports = [s2.report(f"10.0.2.{c + 1}:80", f"SN-2-{c}",
                            at=at - timedelta(minutes=20) if c == 0 else at,
                            camera_id=f"s2-c{c}") for c in range(4)]
    batch.reports += s2_reports
    batch.cycles.append(s2.cycle(tuple(r.observation.address for r in s2_reports), at))
    await store.write_batch(batch, at)
    run = Run(store, policy, at)
    await run.settle(at + timedelta(seconds=5))
    assert {c.key[1:] for c in run.changes if c.key[0] == "s2"} == {
        ("s2-c0", "camera.unreachable")}
    stored = await store.load_sites(["s0", "s1", "s2"])
    agents = {"s0": agent, "s1": Agent("s1", agent_id="agent-1"), "s2": s2}
    for step in range(1, 6):
        beat_at = at + timedelta(seconds=60 * step)
        beats = [_beat(agents[s], policy, stored[s], beat_at) for s in ("s0", "s1", "s2")]
        effects = await store.write_batch(Batch(heartbeats=beats), beat_at)
        assert effects.heartbeat_cameras == 12
        judged = await run.settle(beat_at + timedelta(seconds=5))
        if step == 1:
            assert judged == ["s2"]
            assert [(c.event, c.key[1:]) for c in run.changes] == [
                ("resolved", ("s2-c0", "camera.unreachable"))]
        else:
            assert judged == [] and run.changes == []
        assert {v.last_report_at for v in run.reconciler.site_views.values()} == {beat_at}


async def test_a_restart_leaves_alone_what_its_predecessor_settled(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    policy, at = await _fleet(store)
    first = Run(store, policy, at)
    await first.settle(at + timedelta(seconds=30))
    assert await store.count("settled_sites") == SITES

    restarted = Run(store, policy, at)
    assert await restarted.settle(at + timedelta(seconds=40)) == []
    assert restarted.reconciler.site_views == first.reconciler.site_views
    await restarted.reconciler.wait_for_full_cycles(["s0"], 1.0, since=at)

    other_settings = Run(store, policy, at, stale_after_s=600.0)
    assert len(await other_settings.settle(at + timedelta(seconds=50))) == SITES

    async with store.engine.begin() as connection:
        await connection.execute(
            update(settled_sites).where(settled_sites.c.site_id == "s5").values(view="{oops")
        )
    with caplog.at_level(logging.WARNING):
        again = Run(store, policy, at, stale_after_s=600.0)
        assert await again.settle(at + timedelta(seconds=60)) == ["s5"]
    assert "site s5: stored settled verdict unreadable, judging it" in caplog.text


async def test_a_pass_judges_every_site_when_stamps_cannot_be_read(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from schemas.errors import StoreError

    policy, at = await _fleet(store)
    run = Run(store, policy, at)
    await run.settle(at + timedelta(seconds=30))

    async def refuse(*_args: object) -> None:
        raise StoreError("site_stamps: gone")

    monkeypatch.setattr(store, "read_stamps", refuse)
    with caplog.at_level(logging.WARNING):
        assert len(await run.settle(at + timedelta(seconds=40))) == SITES
    assert "site stamps not read, judging every site" in caplog.text
