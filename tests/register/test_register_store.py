"""The register's store on SQLite and PostgreSQL: append, verify, tampering
in the database itself, access requests, automatic deletion from observations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update

from controller.register.store import NotFound, RegisterStore
from controller.register.tables import register_entries
from controller.store import Store
from controller.store.tables import observations
from schemas.facts import CameraFacts, ObservedIdentity, RecordingFacts
from schemas.messages import CameraObservation
from schemas.policy import Policy
from schemas.register import Answer, EntryDraft, RequestDraft

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[RegisterStore]:
    main = await Store.open(db_url)
    yield RegisterStore(main.engine)
    await main.close()


def use(i: int) -> EntryDraft:
    return EntryDraft(kind="use", occurred_at=NOW, handler="security officer", purpose=f"check {i}")


async def test_appended_entries_are_numbered_and_verify(store: RegisterStore) -> None:
    first = await store.append("org", [use(1), use(2)], NOW)
    more = await store.append("org", [use(3)], NOW)
    assert [e.number for e in first + more] == [1, 2, 3]
    assert more[0].prev_hash == first[1].hash
    result = await store.verify("org")
    assert result.intact and result.head_number == 3
    entries, total = await store.entries("org", offset=1, limit=1)
    assert total == 3 and [e.entry.purpose for e in entries] == ["check 2"]
    assert await store.registers() == ["org"]


async def test_tampering_in_the_database_is_named(store: RegisterStore) -> None:
    await store.append("org", [use(i) for i in range(1, 6)], NOW)
    async with store.engine.begin() as connection:
        await connection.execute(
            update(register_entries)
            .where(register_entries.c.number == 2)
            .values(body=register_entries.c.body + " ")
        )
        await connection.execute(delete(register_entries).where(register_entries.c.number == 4))
    result = await store.verify("org")
    assert {(p.number, p.kind) for p in result.problems} >= {(2, "altered"), (4, "removed")}


async def test_a_granted_request_writes_its_viewing_entry(
    store: RegisterStore, policy: Policy
) -> None:
    received = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    draft = RequestDraft(
        site_id="test-main",
        requester="data subject",
        relation="self",
        camera_ids=("test-main-cam1",),
        footage_from=received - timedelta(days=1),
        footage_until=received - timedelta(days=1) + timedelta(minutes=30),
        purpose="lost bag",
        received_at=received,
    )
    item = await store.create_request(policy, draft)
    assert item.deadline == datetime(2026, 3, 12, 15, 0, tzinfo=UTC)
    answered = await store.answer_request(
        item.id,
        Answer(
            outcome="granted", answered_at=received + timedelta(days=3), handler="security officer"
        ),
        NOW,
    )
    assert answered.state == "answered" and answered.register_numbers == (1,)
    entries, _ = await store.entries(policy.policy_id)
    assert entries[0].entry.kind == "viewing" and entries[0].entry.request_id == item.id
    closed = await store.close_request(item.id, NOW)
    assert [r.state for r in await store.requests(policy_id=policy.policy_id)] == ["closed"]
    assert closed.closed_at == NOW
    with pytest.raises(NotFound):
        await store.request(999)


async def _observe(store: RegisterStore, data_from: datetime, seen: datetime) -> None:
    observation = CameraObservation(
        address="127.0.0.1:8001",
        reachable=True,
        observed_at=seen,
        camera_id="test-main-cam1",
        facts=CameraFacts(
            identity=ObservedIdentity(address="127.0.0.1:8001"),
            recording=RecordingFacts(data_from=data_from),
        ),
    )
    async with store.engine.begin() as connection:
        await connection.execute(delete(observations))
        await connection.execute(
            observations.insert().values(
                site_id="test-main",
                address="127.0.0.1:8001",
                camera_id="test-main-cam1",
                agent_id="agent-1",
                report_id="r" * 32,
                observed_at=seen,
                reachable=True,
                facts_hash="h" * 64,
                body=observation.model_dump_json(),
            )
        )


async def test_automatic_deletion_becomes_destruction_entries(
    store: RegisterStore, policy: Policy
) -> None:
    start = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)  # 12:00 KST
    await _observe(store, start - timedelta(days=30), start)
    first = await store.sync_destruction([policy], start)
    assert [e.entry.purpose for e in first] == [
        "monthly check of automatic deletion for 2026-02",
        "monthly check of automatic deletion for 2026-02",
    ]  # one per site; nothing destroyed yet: this is the first sight of the camera
    later = start + timedelta(days=2)
    await _observe(store, later - timedelta(days=30), later)
    written = await store.sync_destruction([policy], later)
    assert [e.entry.file_name for e in written] == [
        "2026-01-30 test-main-cam1",
        "2026-01-31 test-main-cam1",
    ]
    assert await store.sync_destruction([policy], later) == []  # idempotent
    assert (await store.verify(policy.policy_id)).intact
