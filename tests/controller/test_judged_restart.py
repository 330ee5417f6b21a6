"""A restarted reconciler reads back the judged observations its
predecessor stored (``judged_sites``) instead of parsing and judging every
observation again, and says exactly what its predecessor said; stored
judgements of another policy or another code are not read; a memo that
cannot be read, or a store that refuses to keep one, costs time and never
a finding. On both engines. A restart reads the memo of a site it must
judge; a site nothing was written for since is left alone altogether
(tests/controller/test_settled_sites.py), so here the settled verdicts are
dropped after the first run, as from a store before they were kept."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from ctl_factory import Agent, now, uid
from sqlalchemy import update
from test_reconcile_batches import SITES, _reconciler, _stored, fleet_batch, fleet_policy

import controller.reconciler as reconciler_module
from controller.intake import Batch
from controller.judged import code_digest, judge_key
from controller.reconciler import Reconciler, declared_sites
from controller.store import Store
from controller.store.tables import judged_sites, settled_sites
from schemas.errors import StoreError
from schemas.fingerprint import observation_fingerprint
from schemas.messages import CameraHeartbeat, HeartbeatEntry


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    store = await Store.open(db_url)
    yield store
    await store.close()


async def _first_run(store: Store) -> tuple[Reconciler, int]:
    policy, at = fleet_policy(), now()
    await store.write_batch(fleet_batch(at), at)
    first = _reconciler(store, policy, at + timedelta(seconds=30))
    await first.reconcile(list(first.sites))
    cameras = sum(len(d.memo) for d in first.sites.values())
    assert first.stats.persisted == SITES and first.stats.restored == 0
    assert await store.count("settled_sites") == SITES
    async with store.engine.begin() as connection:
        await connection.execute(settled_sites.delete())
    return first, cameras


async def test_a_restart_reads_back_what_was_judged_and_says_the_same(store: Store) -> None:
    first, cameras = await _first_run(store)
    opened = await _stored(store)
    assert opened and await store.count("judged_sites") == SITES

    restarted = _reconciler(store, fleet_policy(), first.clock())
    records = []
    real_load = restarted.store.load_sites

    async def spy(site_ids, known=None):  # type: ignore[no-untyped-def]
        loaded = await real_load(site_ids, known)
        records.extend(loaded.values())
        return loaded

    restarted.store.load_sites = spy  # type: ignore[method-assign]
    await restarted.reconcile(list(restarted.sites))
    assert restarted.stats.restored == cameras
    assert sum(r.parsed for r in records) == 0, "nothing parsed: every observation restored"
    assert restarted.stats.persisted == 0, "nothing changed: nothing written"
    assert await _stored(store) == opened
    assert restarted.site_views == first.site_views
    assert {s: d.memo for s, d in restarted.sites.items()} == {
        s: d.memo for s, d in first.sites.items()}


async def test_a_restart_after_heartbeats_and_a_new_report_parses_only_the_report(
    store: Store,
) -> None:
    first, _ = await _first_run(store)
    at = first.clock()
    agent = Agent("s1", agent_id="agent-1")
    fixed = agent.report("10.0.1.2:80", "SN-1-1", at=at)  # its audio encoder now off
    held = await store.load_sites(["s1"])
    beat = CameraHeartbeat(
        report_id=uid(), agent_id="agent-1", site_id="s1", session_id=agent.session_id,
        cycle_id=uid(), policy_id="test-office", policy_version="2026-01-01", observed_at=at,
        cameras=(HeartbeatEntry(address="10.0.1.1:80", reachable=True,
                                facts_hash=observation_fingerprint(
                                    held["s1"].cameras["10.0.1.1:80"])),),
    )
    await store.write_batch(Batch(reports=[fixed], heartbeats=[beat]), at)
    restarted = _reconciler(store, fleet_policy(), at + timedelta(seconds=5))
    loaded = await store.load_sites(["s1"], restarted._known)
    assert loaded["s1"].parsed == 4, "before the restore: the loader holds nothing"
    await restarted._restore(["s1"])
    loaded = await store.load_sites(["s1"], restarted._known)
    assert (loaded["s1"].parsed, loaded["s1"].moved) == (1, 1)
    assert loaded["s1"].cameras["10.0.1.1:80"].observed_at == at
    await restarted.reconcile(list(restarted.sites))
    open_rules = {(site, subject, rule) for site, subject, rule, *_ in await _stored(store)}
    assert ("s1", "s1-c1", "audio.encoder-enabled") not in open_rules
    assert restarted.stats.persisted == 1  # s1 only: its memo changed


async def test_judgements_of_another_policy_or_code_are_not_read(store: Store) -> None:
    await _first_run(store)
    newer = fleet_policy().model_copy(update={"version": "2026-02-01"})
    assert judge_key(newer) != judge_key(fleet_policy())
    restarted = _reconciler(store, newer, now())
    await restarted.reconcile(list(restarted.sites))
    assert restarted.stats.restored == 0
    assert restarted.stats.persisted == SITES, "rewritten under the new key"

    other_code = Reconciler(
        store,
        {s: replace(d, memo={}, judge_key="0" * 64) for s, d in declared_sites([newer]).items()},
        restarted.config, restarted.clock,
    )
    await other_code.reconcile(list(other_code.sites))
    assert other_code.stats.restored == 0
    assert len(code_digest()) == 64


async def test_a_memo_that_cannot_be_read_is_judged_afresh(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    _, cameras = await _first_run(store)
    opened = await _stored(store)
    async with store.engine.begin() as connection:
        await connection.execute(
            update(judged_sites).where(judged_sites.c.site_id == "s3").values(body=b"{oops")
        )
    restarted = _reconciler(store, fleet_policy(), now())
    with caplog.at_level(logging.WARNING):
        await restarted.reconcile(list(restarted.sites))
    assert "site 's3': stored memo is not compressed" in caplog.text
    assert 0 < restarted.stats.restored < cameras
    assert restarted.stats.persisted == 1, "s3 judged afresh and stored again"
    assert await _stored(store) == opened


async def test_a_store_that_refuses_judgements_loses_no_finding(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def refuse(*_args: object) -> None:
        raise StoreError("judged_sites: disk full")

    monkeypatch.setattr(store, "write_judged", refuse)
    monkeypatch.setattr(store, "read_judged", refuse)
    monkeypatch.setattr(reconciler_module, "SITES_PER_PASS", 5)
    policy, at = fleet_policy(), now()
    await store.write_batch(fleet_batch(at), at)
    reconciler = _reconciler(store, policy, at + timedelta(seconds=30))
    with caplog.at_level(logging.WARNING):
        await reconciler.reconcile(list(reconciler.sites))
    assert "judged observations not read" in caplog.text
    assert "judged observations of 5 site(s) not stored: judged_sites: disk full" in caplog.text
    assert await _stored(store), "findings stored all the same"
    assert reconciler.stats.sites == SITES
