"""The store on both engines: schema from empty, idempotent batches,
observation history only on change, agent session rules, finding life."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from ctl_factory import Agent, now
from sqlalchemy import inspect, select

from controller.intake import AgentEvent, Batch, RawMessage, change_signature, sort_messages
from controller.store import FindingFilter, Store
from controller.store.tables import agents, metadata, observation_changes, observations
from schemas.errors import StoreError
from schemas.findings import make_finding
from schemas.messages import CameraObservation
from schemas.topics import encode


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    store = await Store.open(db_url)
    yield store
    await store.close()


async def test_migrations_create_the_declared_schema_from_empty(store: Store) -> None:
    def check(sync_connection):  # type: ignore[no-untyped-def]
        tables = set(inspect(sync_connection).get_table_names())
        context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
        return tables, compare_metadata(context, metadata)

    async with store.engine.connect() as connection:
        tables, diff = await connection.run_sync(check)
    assert set(metadata.tables) | {"alembic_version"} == tables
    assert diff == []


async def test_migrating_twice_changes_nothing(store: Store) -> None:
    from controller.store.engine import migrate

    await migrate(store.engine)
    assert await store.count("findings") == 0


def _batch(*messages: object) -> Batch:
    raws = []
    for message in messages:
        topic, payload = encode(message)  # type: ignore[arg-type]
        raws.append(RawMessage(topic, payload, 1, 1, now()))
    return sort_messages(raws, 1_000_000)


async def test_the_same_report_twice_is_stored_once(store: Store) -> None:
    agent = Agent("test-main")
    report = agent.report("10.0.0.1:80", "TEST-0001")
    first = await store.write_batch(_batch(report, report), now())
    again = await store.write_batch(_batch(report), now())
    assert (first.new_reports, first.duplicates) == (1, 1)
    assert (again.new_reports, again.duplicates) == (0, 1)
    assert await store.count("ingested_reports") == 1
    assert await store.count("observations") == 1
    assert await store.count("observation_changes") == 1


async def test_history_keeps_changes_not_heartbeats(store: Store) -> None:
    agent = Agent("test-main")
    t0 = now()
    same = [
        agent.report("10.0.0.1:80", "TEST-0001", at=t0 + timedelta(seconds=i)) for i in range(3)
    ]
    changed = agent.report("10.0.0.1:80", "TEST-0001", at=t0 + timedelta(seconds=5), audio=True)
    await store.write_batch(_batch(*same[:2]), now())
    await store.write_batch(_batch(same[2], changed), now())
    assert await store.count("observation_changes") == 2
    record = (await store.load_sites(["test-main"]))["test-main"]
    assert record.cameras["10.0.0.1:80"].observed_at == changed.observation.observed_at


async def test_one_batch_of_one_camera_keeps_each_change_and_the_newest_in_full(
    store: Store,
) -> None:
    """A report that is history only, one that is history and the latest,
    and one that is the latest only (no change): every column lands."""
    agent = Agent("test-main")
    t0 = now()
    quiet = agent.report("10.0.0.1:80", "TEST-0001", at=t0, camera_id="test-main-cam1")
    loud = agent.report("10.0.0.1:80", "TEST-0001", at=t0 + timedelta(seconds=1), audio=True,
                        camera_id="test-main-cam1")
    other = agent.report("10.0.0.2:80", "TEST-0002", at=t0, camera_id="test-main-cam2")
    await store.write_batch(_batch(other), now())
    other_again = agent.report("10.0.0.2:80", "TEST-0002", at=t0 + timedelta(seconds=2),
                               camera_id="test-main-cam2")
    await store.write_batch(_batch(quiet, loud, other_again), now())
    async with store.engine.connect() as c:
        history = (await c.execute(
            select(observation_changes.c.address, observation_changes.c.report_id,
                   observation_changes.c.observed_at)
            .order_by(observation_changes.c.address, observation_changes.c.observed_at)
        )).all()
        latest = {row.address: row for row in await c.execute(select(observations))}
    assert [tuple(h) for h in history] == [
        ("10.0.0.1:80", quiet.report_id, quiet.observation.observed_at),
        ("10.0.0.1:80", loud.report_id, loud.observation.observed_at),
        ("10.0.0.2:80", other.report_id, other.observation.observed_at),
    ]
    for report in (loud, other_again):
        row = latest[report.observation.address]
        assert (row.report_id, row.agent_id, row.camera_id, row.reachable, row.observed_at) == (
            report.report_id, report.agent_id, report.observation.camera_id,
            report.observation.reachable, report.observation.observed_at)
        assert row.facts_hash == change_signature(report.observation)
        assert CameraObservation.model_validate_json(row.body) == report.observation


async def test_an_older_observation_never_overwrites_a_newer_one(store: Store) -> None:
    agent = Agent("test-main")
    t0 = now()
    newer = agent.report("10.0.0.1:80", "TEST-0001", at=t0)
    older = agent.report("10.0.0.1:80", "TEST-0001", at=t0 - timedelta(minutes=5), audio=True)
    await store.write_batch(_batch(newer), now())
    await store.write_batch(_batch(older), now())
    record = (await store.load_sites(["test-main"]))["test-main"]
    assert record.cameras["10.0.0.1:80"].observed_at == t0


async def test_cycles_keep_the_newest_per_site(store: Store) -> None:
    agent = Agent("test-main")
    t0 = now()
    await store.write_batch(_batch(agent.cycle(("a:1", "b:2"), at=t0)), now())
    await store.write_batch(_batch(agent.cycle(("a:1",), at=t0 - timedelta(minutes=1))), now())
    record = (await store.load_sites(["test-main"]))["test-main"]
    assert (record.last_full_cycle_at, record.full_cycle_addresses) == (t0, {"a:1", "b:2"})


async def _online(store: Store, agent_id: str) -> bool:
    async with store.engine.connect() as connection:
        value = await connection.scalar(
            select(agents.c.online).where(agents.c.agent_id == agent_id)
        )
    return bool(value)


async def test_a_stale_will_never_kills_a_newer_session(store: Store) -> None:
    old = Agent("test-main")
    new = Agent("test-main")
    await store.write_batch(_batch(old.birth(now() - timedelta(minutes=1))), now())
    await store.write_batch(_batch(new.birth()), now())
    await store.write_batch(_batch(old.death()), now())
    assert await _online(store, "agent-1")


async def test_a_retained_birth_does_not_revive_a_dead_session(store: Store) -> None:
    agent = Agent("test-main")
    await store.write_batch(_batch(agent.birth()), now())
    await store.write_batch(_batch(agent.death()), now())
    replay = Batch(agent_events=[AgentEvent(agent.birth(), retained=True)])
    await store.write_batch(replay, now())
    assert not await _online(store, "agent-1")
    live = Batch(agent_events=[AgentEvent(agent.birth(), retained=False)])
    await store.write_batch(live, now())
    assert await _online(store, "agent-1")


def _finding(rule: str, camera: str) -> object:
    return make_finding(
        rule, f"{rule} on {camera}", {"n": 1}, site_id="test-main", camera_id=camera
    )


async def test_findings_open_resolve_and_reopen_with_history(store: Store) -> None:
    audio = _finding("audio.encoder-enabled", "test-main-cam1")
    drift = _finding("clock.drift", "test-main-cam2")
    t0 = now()

    async def apply(*verdict: object, at: object) -> list[tuple[str, str]]:
        record = (await store.load_sites(["test-main"]))["test-main"]
        changes = await store.apply_findings(record, verdict, at)  # type: ignore[arg-type]
        return sorted((c.event, c.key[2]) for c in changes)

    assert await apply(audio, drift, at=t0) == [
        ("opened", "audio.encoder-enabled"),
        ("opened", "clock.drift"),
    ]
    assert await apply(audio, drift, at=t0 + timedelta(seconds=1)) == []
    assert await apply(drift, at=t0 + timedelta(seconds=2)) == [
        ("resolved", "audio.encoder-enabled")
    ]
    assert await apply(audio, drift, at=t0 + timedelta(seconds=3)) == [
        ("reopened", "audio.encoder-enabled")
    ]
    rows, total = await store.list_findings(FindingFilter(rule="audio.encoder-enabled"), 0, 10)
    assert total == 1 and rows[0].state == "open" and rows[0].first_seen == t0
    history = await store.finding_history(rows[0].id)
    assert [e.event for e in history] == ["opened", "resolved", "reopened"]


def test_the_findings_select_is_finding_rows_fields_in_order() -> None:
    """load_sites builds a FindingRow from each selected row by position."""
    from dataclasses import fields

    from controller.store.sites import FINDING_SELECT, FindingRow

    names = [column.name for column in FINDING_SELECT]
    assert names == [f.name for f in fields(FindingRow)]


class RefusingStatistics(Store):
    async def refresh_statistics(self) -> list[str]:
        raise StoreError("permission denied to analyze")


async def test_a_failed_open_leaves_no_connection_behind(tmp_path: Path) -> None:
    """The schema migrated (its connection back in the pool), then the
    open failed: the engine is disposed, so no connection (on SQLite, no
    worker thread) outlives it and warns at the loop's close."""
    before = {t.ident for t in threading.enumerate()}
    with pytest.raises(StoreError, match="permission denied"):
        await RefusingStatistics.open(f"sqlite+aiosqlite:///{tmp_path / 'controller.db'}")
    for _ in range(50):  # a closed connection's worker thread ends at once
        left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        if not left:
            break
        await asyncio.sleep(0.02)
    assert left == []


async def test_a_file_sqlite_cannot_open_leaves_no_worker_thread(tmp_path: Path) -> None:
    """SQLite cannot open the file (its folder is missing), so the connection
    never reaches the pool for dispose to close: the error reaches the caller
    only once aiosqlite's worker has stopped. Otherwise a command's
    ``asyncio.run`` closes the loop before the worker's last reply, and the
    worker dies of "Event loop is closed" in an unhandled thread exception."""
    before = {t.ident for t in threading.enumerate()}
    with pytest.raises(StoreError, match="unable to open database file"):
        await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'controller.db'}")
    left = [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert left == [], "aiosqlite's worker still runs after the failed open"
