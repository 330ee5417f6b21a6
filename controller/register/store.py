"""The register's database side: the only place the register speaks SQL.

``RegisterStore`` shares the controller's engine (``Store.engine``); each
method is one transaction. Appending takes the organisation's head row
``FOR UPDATE`` (PostgreSQL; SQLite serialises writers), so that two
controllers appending at once still make one chain without gaps. Rows of
``register_entries`` are only ever inserted.

Every method raises StoreError when the database refuses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from controller.register.chain import StoredEntry, parse_entry, seal, verify_chain
from controller.register.destruction import (
    destruction_entries,
    monthly_check_entry,
    months_to_check,
)
from controller.register.requests import answer, close, request_deadline
from controller.register.tables import (
    access_requests,
    checklists,
    register_entries,
    register_footage,
    register_heads,
    register_monthly_checks,
)
from controller.store.dialect import upsert
from controller.store.tables import observations
from schemas.errors import StoreError
from schemas.messages import CameraObservation
from schemas.policy import Policy
from schemas.register import (
    GENESIS_HASH,
    AccessRequest,
    Anchor,
    Answer,
    Checklist,
    EntryDraft,
    EntryKind,
    RegisterEntry,
    RequestDraft,
    RequestState,
    VerifyResult,
)


class NotFound(StoreError):
    """No such request (or register) — the API answers 404."""


class RegisterStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def _transaction(self, doing: str) -> AsyncIterator[AsyncConnection]:
        try:
            async with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot {doing}: {exc}") from exc

    # -- the register ---------------------------------------------------

    async def append(
        self, policy_id: str, drafts: Sequence[EntryDraft], now: datetime
    ) -> list[RegisterEntry]:
        """Append ``drafts`` in order; returns the stored entries."""
        async with self._transaction("append to the register") as connection:
            return await _append(connection, policy_id, drafts, now)

    async def entries(
        self,
        policy_id: str,
        *,
        kind: EntryKind | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[list[RegisterEntry], int]:
        """Entries by number, filtered on kind and occurred_at [since, until)."""
        table = register_entries
        where = [table.c.policy_id == policy_id]
        if kind is not None:
            where.append(table.c.kind == kind)
        if since is not None:
            where.append(table.c.occurred_at >= since)
        if until is not None:
            where.append(table.c.occurred_at < until)
        query = select(table).where(*where).order_by(table.c.number).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        async with self._transaction("read the register") as connection:
            total = (await connection.execute(select(func.count()).where(*where))).scalar_one()
            rows = (await connection.execute(query)).all()
        return [parse_entry(_stored(row)) for row in rows], int(total)

    async def verify(self, policy_id: str, anchors: Sequence[Anchor] = ()) -> VerifyResult:
        async with self._transaction("read the register") as connection:
            rows = (
                await connection.execute(
                    select(register_entries)
                    .where(register_entries.c.policy_id == policy_id)
                    .order_by(register_entries.c.number)
                )
            ).all()
            head = await _head(connection, policy_id)
        return verify_chain(policy_id, [_stored(r) for r in rows], head, anchors)

    async def registers(self) -> list[str]:
        """The organisations (policy ids) that have a register."""
        async with self._transaction("read the register") as connection:
            ids = (await connection.execute(select(register_heads.c.policy_id))).scalars().all()
            found = (
                (await connection.execute(select(register_entries.c.policy_id).distinct()))
                .scalars()
                .all()
            )
        return sorted(set(ids) | set(found))

    async def head(self, policy_id: str) -> tuple[int, str]:
        async with self._transaction("read the register") as connection:
            return await _head(connection, policy_id) or (0, GENESIS_HASH)

    # -- automatic deletion -----------------------------------------------

    async def sync_destruction(
        self, policies: Iterable[Policy], now: datetime
    ) -> list[RegisterEntry]:
        """Turn every declared camera's DataFrom movement since the last sync
        into destruction entries, then write the monthly checks that are due.
        Idempotent: a second call with nothing new appends nothing."""
        by_site = {site.id: (policy, site) for policy in policies for site in policy.sites}
        written: list[RegisterEntry] = []
        async with self._transaction("record automatic deletion") as connection:
            seen = (
                await connection.execute(
                    select(observations.c.site_id, observations.c.camera_id, observations.c.body)
                    .where(observations.c.site_id.in_(list(by_site)))
                    .where(observations.c.camera_id.is_not(None))
                    .order_by(observations.c.site_id, observations.c.address)
                )
            ).all()
            marks = {
                (r.site_id, r.camera_id): r.data_from
                for r in (await connection.execute(select(register_footage))).all()
            }
            drafts: dict[str, list[EntryDraft]] = {}
            for site_id, camera_id, body in seen:
                observation = CameraObservation.model_validate_json(body)
                facts = observation.facts
                data_from = facts.recording.data_from if facts and facts.recording else None
                if data_from is None:
                    continue
                policy, _ = by_site[site_id]
                new = destruction_entries(
                    marks.get((site_id, camera_id)),
                    data_from,
                    site_id=site_id,
                    camera_id=camera_id,
                    observed_at=observation.observed_at,
                    retention=policy.retention,
                )
                drafts.setdefault(policy.policy_id, []).extend(new)
                statement = upsert(connection, register_footage).values(
                    site_id=site_id,
                    camera_id=camera_id,
                    data_from=data_from,
                    observed_at=observation.observed_at,
                )
                await connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["site_id", "camera_id"],
                        set_={"data_from": data_from, "observed_at": observation.observed_at},
                    )
                )
            for policy_id, items in drafts.items():
                if items:
                    written += await _append(connection, policy_id, items, now)
            for site_id, (policy, _) in sorted(by_site.items()):
                written += await _monthly_checks(connection, policy, site_id, now)
        return written

    # -- access requests ----------------------------------------------------

    async def create_request(self, policy: Policy, draft: RequestDraft) -> AccessRequest:
        deadline = request_deadline(draft.received_at, policy.access_requests.answer_within_days)
        async with self._transaction("record an access request") as connection:
            result = await connection.execute(
                access_requests.insert().values(
                    policy_id=policy.policy_id,
                    site_id=draft.site_id,
                    state="received",
                    received_at=draft.received_at,
                    deadline=deadline,
                    body="{}",
                )
            )
            request_id = _new_id(result.inserted_primary_key)
            item = AccessRequest(
                id=request_id,
                policy_id=policy.policy_id,
                request=draft,
                deadline=deadline,
                state="received",
            )
            await _save_request(connection, item)
        return item

    async def request(self, request_id: int) -> AccessRequest:
        async with self._transaction("read an access request") as connection:
            return await _load_request(connection, request_id)

    async def requests(
        self, *, policy_id: str | None = None, state: RequestState | None = None
    ) -> list[AccessRequest]:
        query = select(access_requests.c.body).order_by(access_requests.c.id)
        if policy_id is not None:
            query = query.where(access_requests.c.policy_id == policy_id)
        if state is not None:
            query = query.where(access_requests.c.state == state)
        async with self._transaction("read access requests") as connection:
            bodies = (await connection.execute(query)).scalars().all()
        return [AccessRequest.model_validate_json(body) for body in bodies]

    async def answer_request(self, request_id: int, given: Answer, now: datetime) -> AccessRequest:
        """received -> answered; a granted (or partly granted) viewing writes
        its register entry in the same transaction (TransitionError when the
        request is not in ``received``)."""
        async with self._transaction("answer an access request") as connection:
            item = answer(await _load_request(connection, request_id), given)
            if given.outcome in ("granted", "partly"):
                draft = item.request
                entry = EntryDraft(
                    kind="viewing",
                    occurred_at=given.answered_at,
                    site_id=draft.site_id,
                    camera_ids=draft.camera_ids,
                    footage_from=draft.footage_from,
                    footage_until=draft.footage_until,
                    file_name=draft.places,
                    file_form="video",
                    handler=given.handler,
                    purpose=draft.purpose,
                    recipient=f"{draft.requester} ({draft.relation})",
                    legal_basis="PIPA Art. 35; Standard PI Protection Guidelines Art. 44",
                    form_of_use=given.form_of_use,
                    destruction_result=given.reason,
                    request_id=item.id,
                )
                stored = await _append(connection, item.policy_id, [entry], now)
                item = item.model_copy(update={"register_numbers": tuple(e.number for e in stored)})
            await _save_request(connection, item)
        return item

    async def close_request(self, request_id: int, at: datetime) -> AccessRequest:
        async with self._transaction("close an access request") as connection:
            item = close(await _load_request(connection, request_id), at)
            await _save_request(connection, item)
        return item

    # -- self-inspection ------------------------------------------------------

    async def save_checklist(self, checklist: Checklist, completed_at: datetime) -> int:
        async with self._transaction("save a checklist") as connection:
            result = await connection.execute(
                checklists.insert().values(
                    policy_id=checklist.policy_id,
                    period_from=checklist.period_from,
                    period_until=checklist.period_until,
                    completed_at=completed_at,
                    body=checklist.model_dump_json(),
                )
            )
        return _new_id(result.inserted_primary_key)

    async def last_checklist(self, policy_id: str) -> tuple[datetime, Checklist] | None:
        async with self._transaction("read checklists") as connection:
            row = (
                await connection.execute(
                    select(checklists.c.completed_at, checklists.c.body)
                    .where(checklists.c.policy_id == policy_id)
                    .order_by(checklists.c.completed_at.desc())
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        return row.completed_at, Checklist.model_validate_json(row.body)


def _new_id(key: object) -> int:
    assert key is not None
    return int(key[0])  # type: ignore[index]


def _stored(row: object) -> StoredEntry:
    mapping: Mapping[str, object] = row._mapping  # type: ignore[attr-defined]
    return StoredEntry(
        number=int(str(mapping["number"])),
        body=str(mapping["body"]),
        prev_hash=str(mapping["prev_hash"]),
        hash=str(mapping["hash"]),
    )


async def _head(connection: AsyncConnection, policy_id: str) -> tuple[int, str] | None:
    row = (
        await connection.execute(
            select(register_heads.c.number, register_heads.c.hash).where(
                register_heads.c.policy_id == policy_id
            )
        )
    ).first()
    return (int(row.number), str(row.hash)) if row is not None else None


async def _append(
    connection: AsyncConnection, policy_id: str, drafts: Sequence[EntryDraft], now: datetime
) -> list[RegisterEntry]:
    if not drafts:
        return []
    await connection.execute(
        upsert(connection, register_heads)
        .values(policy_id=policy_id, number=0, hash=GENESIS_HASH, updated_at=now)
        .on_conflict_do_nothing(index_elements=["policy_id"])
    )
    row = (
        await connection.execute(
            select(register_heads.c.number, register_heads.c.hash)
            .where(register_heads.c.policy_id == policy_id)
            .with_for_update()
        )
    ).one()
    number, prev_hash = int(row.number), str(row.hash)
    stored: list[RegisterEntry] = []
    rows: list[dict[str, object]] = []
    for draft in drafts:
        number += 1
        sealed = seal(policy_id, number, now, draft, prev_hash)
        rows.append(
            {
                "policy_id": policy_id,
                "number": number,
                "kind": draft.kind,
                "site_id": draft.site_id,
                "occurred_at": draft.occurred_at,
                "recorded_at": now,
                "body": sealed.body,
                "prev_hash": sealed.prev_hash,
                "hash": sealed.hash,
            }
        )
        stored.append(parse_entry(sealed))
        prev_hash = sealed.hash
    await connection.execute(register_entries.insert(), rows)
    await connection.execute(
        update(register_heads)
        .where(register_heads.c.policy_id == policy_id)
        .values(number=number, hash=prev_hash, updated_at=now)
    )
    return stored


async def _monthly_checks(
    connection: AsyncConnection, policy: Policy, site_id: str, now: datetime
) -> list[RegisterEntry]:
    last: date | None = (
        await connection.execute(
            select(func.max(register_monthly_checks.c.month)).where(
                register_monthly_checks.c.site_id == site_id
            )
        )
    ).scalar_one()
    written: list[RegisterEntry] = []
    for month in months_to_check(last, now):
        rows = (
            await connection.execute(
                select(register_entries)
                .where(register_entries.c.policy_id == policy.policy_id)
                .where(register_entries.c.kind == "destruction")
                .where(register_entries.c.site_id == site_id)
                .order_by(register_entries.c.number)
            )
        ).all()
        entries = [parse_entry(_stored(r)) for r in rows]
        draft = monthly_check_entry(month, site_id, entries, now, policy.retention)
        stored = await _append(connection, policy.policy_id, [draft], now)
        written += stored
        await connection.execute(
            register_monthly_checks.insert().values(
                site_id=site_id, month=month, number=stored[0].number
            )
        )
    return written


async def _load_request(connection: AsyncConnection, request_id: int) -> AccessRequest:
    body = (
        await connection.execute(
            select(access_requests.c.body).where(access_requests.c.id == request_id)
        )
    ).scalar_one_or_none()
    if body is None:
        raise NotFound(f"no access request {request_id}")
    return AccessRequest.model_validate_json(body)


async def _save_request(connection: AsyncConnection, item: AccessRequest) -> None:
    await connection.execute(
        update(access_requests)
        .where(access_requests.c.id == item.id)
        .values(state=item.state, body=item.model_dump_json())
    )
