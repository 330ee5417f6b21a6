"""Report batches through intake and the store, on both engines: each
camera report counts on its own (idempotent by report id), a redelivered or
overlapping batch changes nothing already stored, a bad envelope is
quarantined whole and a bad item alone."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from ctl_factory import Agent, now
from sqlalchemy import select

from controller.intake import RawMessage, sort_messages
from controller.store import Store
from controller.store.devices import observations_at
from controller.store.tables import ingested_reports, observations
from schemas.messages import BatchedReport, CameraReport, CameraReportBatch
from schemas.topics import encode


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    store = await Store.open(db_url)
    yield store
    await store.close()


def _batch_of(reports: list[CameraReport]) -> CameraReportBatch:
    first = reports[0]
    return CameraReportBatch(
        agent_id=first.agent_id,
        site_id=first.site_id,
        session_id=first.session_id,
        cycle_id=first.cycle_id,
        policy_id=first.policy_id,
        policy_version=first.policy_version,
        reports=tuple(
            BatchedReport(report_id=r.report_id, observation=r.observation) for r in reports
        ),
    )


def _raw(topic: str, payload: bytes) -> RawMessage:
    return RawMessage(topic, payload, 1, 1, now())


async def _ids(store: Store) -> set[str]:
    async with store.engine.connect() as connection:
        return set((await connection.scalars(select(ingested_reports.c.report_id))).all())


async def test_batches_and_single_reports_are_stored_alike(store: Store) -> None:
    agent = Agent("test-main")
    reports = [agent.report(f"10.0.0.{i}:80", f"SN-{i}") for i in range(6)]
    single = agent.report("10.0.1.1:80", "SN-single")  # an older agent's message
    raws = [_raw(*encode(_batch_of(reports[:3]))), _raw(*encode(single))]
    raws.append(_raw(*encode(_batch_of(reports[3:]))))
    effects = await store.write_batch(sort_messages(raws, 1 << 20), now())
    assert (effects.new_reports, effects.duplicates, effects.quarantined) == (7, 0, 0)
    assert await _ids(store) == {r.report_id for r in [*reports, single]}
    assert await store.count("observations") == 7
    assert await store.count("observation_changes") == 7


async def test_a_redelivered_or_overlapping_batch_changes_nothing_stored(store: Store) -> None:
    agent = Agent("test-main")
    reports = [agent.report(f"10.0.0.{i}:80", f"SN-{i}") for i in range(5)]
    first = _raw(*encode(_batch_of(reports[:3])))
    await store.write_batch(sort_messages([first], 1 << 20), now())
    again = await store.write_batch(sort_messages([first], 1 << 20), now())
    assert (again.new_reports, again.duplicates) == (0, 3)
    overlap = _raw(*encode(_batch_of(reports[1:])))  # two old, two new
    effects = await store.write_batch(sort_messages([overlap], 1 << 20), now())
    assert (effects.new_reports, effects.duplicates) == (2, 2)
    assert await _ids(store) == {r.report_id for r in reports}
    assert await store.count("observations") == 5
    assert await store.count("observation_changes") == 5


async def test_a_bad_item_is_quarantined_alone_and_the_rest_stored(store: Store) -> None:
    agent = Agent("test-main")
    reports = [agent.report(f"10.0.0.{i}:80", f"SN-{i}") for i in range(3)]
    topic, payload = encode(_batch_of(reports))
    data = json.loads(payload)
    data["reports"][1]["observation"]["observed_at"] = "yesterday"
    effects = await store.write_batch(
        sort_messages([_raw(topic, json.dumps(data).encode())], 1 << 20), now()
    )
    assert (effects.new_reports, effects.quarantined) == (2, 1)
    assert await _ids(store) == {reports[0].report_id, reports[2].report_id}
    [row] = await store.quarantine()
    assert row.topic == topic
    assert "reports.1" in row.reason and "observation.observed_at" in row.reason
    assert json.loads(row.payload) == data["reports"][1]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"site_id": "other-site"}, "speaks for site 'other-site'"),
        ({"cycle_id": 7}, "first at cycle_id"),
        ({"reports": []}, "first at reports"),
    ],
    ids=["other-site", "bad-cycle-id", "no-reports"],
)
async def test_a_bad_envelope_is_quarantined_whole(
    store: Store, change: dict[str, object], needle: str
) -> None:
    agent = Agent("test-main")
    stored = agent.report("10.0.9.9:80", "SN-stored")
    await store.write_batch(sort_messages([_raw(*encode(stored))], 1 << 20), now())
    topic, payload = encode(_batch_of([agent.report(f"10.0.0.{i}:80", None) for i in range(3)]))
    bad = json.dumps({**json.loads(payload), **change}).encode()
    effects = await store.write_batch(sort_messages([_raw(topic, bad)], 1 << 20), now())
    assert (effects.new_reports, effects.quarantined) == (0, 1)
    assert await _ids(store) == {stored.report_id}
    [row] = await store.quarantine()
    assert needle in row.reason and row.size == len(bad)


async def test_an_oversized_batch_is_quarantined_whole_with_both_sizes(store: Store) -> None:
    agent = Agent("test-main")
    topic, payload = encode(_batch_of([agent.report(f"10.0.0.{i}:80", "SN") for i in range(40)]))
    limit = len(payload) - 1
    effects = await store.write_batch(sort_messages([_raw(topic, payload)], limit), now())
    assert (effects.new_reports, effects.quarantined) == (0, 1)
    [row] = await store.quarantine()
    assert f"payload of {len(payload)} bytes exceeds the limit of {limit}" == row.reason


async def test_stored_observations_are_found_by_key_across_sites_and_chunks(store: Store) -> None:
    """The lookup behind change detection and heartbeats: more addresses
    than one SQLite ``IN`` takes, two sites, keys never stored left out."""
    main, annex = Agent("test-main"), Agent("test-annex")
    stored = [main.report(f"10.0.{i // 256}.{i % 256}:80", f"SN-{i}") for i in range(1200)]
    stored.append(annex.report("10.9.9.9:80", "SN-annex"))
    raws = [_raw(*encode(_batch_of(stored[i : i + 600]))) for i in range(0, 1200, 600)]
    raws.append(_raw(*encode(stored[-1])))
    await store.write_batch(sort_messages(raws, 1 << 20), now())
    asked = [(r.site_id, r.observation.address) for r in stored]
    never = [("test-main", "10.255.0.1:80"), ("test-annex", "10.0.0.1:80")]
    async with store.engine.connect() as connection:
        found = {
            (site_id, address): report_id
            async for site_id, address, report_id in observations_at(
                connection, asked + never, observations.c.report_id
            )
        }
    assert found == {(r.site_id, r.observation.address): r.report_id for r in stored}


async def test_an_agent_born_in_the_batch_of_its_reports_is_seen_at_the_newest(
    store: Store,
) -> None:
    """A new agent's birth and first reports often share a batch. The birth
    makes its row; the reports' times must still count as seen, or the agent
    reads as silent until its next message (agent.offline after three
    intervals with reports flowing)."""
    from datetime import timedelta

    from controller.intake import AgentEvent, Batch

    at = now()
    agent = Agent("s1", agent_id="agent-new")
    batch = Batch(
        agent_events=[AgentEvent(agent.birth(at - timedelta(hours=1)), False)],
        reports=[agent.report("10.0.0.1:80", "SN-1", at=at)],
    )
    await store.write_batch(batch, at)
    record = (await store.load_sites(["s1"]))["s1"]
    seen = record.agent()
    assert seen is not None and seen.online and seen.last_seen == at
