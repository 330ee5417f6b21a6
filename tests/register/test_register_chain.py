"""The hash chain: any tampering with stored rows is detected and named."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from controller.register.chain import StoredEntry, parse_entry, seal, verify_chain
from schemas.register import GENESIS_HASH, Anchor, EntryDraft

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def draft(i: int) -> EntryDraft:
    return EntryDraft(
        kind=("use", "viewing", "destruction")[i % 3],
        occurred_at=T0 + timedelta(hours=i),
        site_id="test-main",
        camera_ids=(f"test-main-cam{i % 3 + 1}",),
        handler="security officer",
        purpose=f"purpose {i}",
    )


def chain(n: int, policy_id: str = "org") -> list[StoredEntry]:
    rows: list[StoredEntry] = []
    prev = GENESIS_HASH
    for i in range(1, n + 1):
        row = seal(policy_id, i, T0 + timedelta(minutes=i), draft(i), prev)
        rows.append(row)
        prev = row.hash
    return rows


def head(rows: list[StoredEntry]) -> tuple[int, str]:
    return (rows[-1].number, rows[-1].hash) if rows else (0, GENESIS_HASH)


def test_an_intact_chain_verifies() -> None:
    rows = chain(5)
    result = verify_chain("org", rows, head(rows))
    assert result.intact
    assert (result.entries, result.head_number, result.head_hash) == (5, 5, rows[-1].hash)


def test_the_body_reads_back_as_the_entry() -> None:
    row = chain(1)[0]
    entry = parse_entry(row)
    assert (entry.number, entry.entry, entry.hash) == (1, draft(1), row.hash)


def _edit(row: StoredEntry, field: str, value: str) -> StoredEntry:
    document = json.loads(row.body)
    document["entry"][field] = value
    return replace(row, body=json.dumps(document, sort_keys=True, separators=(",", ":")))


def numbers(result: object) -> set[int]:
    return {p.number for p in result.problems}  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 12), data=st.data())
def test_an_edited_field_is_named(n: int, data: st.DataObject) -> None:
    rows = chain(n)
    k = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from(["purpose", "handler", "occurred_at"]))
    value = data.draw(st.text(min_size=1, max_size=20))
    original = json.loads(rows[k].body)["entry"][field]
    if value == original:
        value += "x"
    rows[k] = _edit(rows[k], field, value)
    result = verify_chain("org", rows, head(chain(n)))
    assert not result.intact
    assert any(p.number == k + 1 and p.kind == "altered" for p in result.problems)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 12), data=st.data())
def test_a_removed_entry_is_named(n: int, data: st.DataObject) -> None:
    rows = chain(n)
    k = data.draw(st.integers(0, n - 1))
    del rows[k]
    result = verify_chain("org", rows, head(chain(n)))
    assert not result.intact
    assert k + 1 in numbers(result)
    assert any(p.kind == "removed" for p in result.problems)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 12), data=st.data())
def test_reordered_entries_are_named(n: int, data: st.DataObject) -> None:
    rows = chain(n)
    i, j = sorted(data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)))
    # the rows keep their numbers (the primary key) but swap their content
    a, b = rows[i], rows[j]
    rows[i] = replace(b, number=a.number)
    rows[j] = replace(a, number=b.number)
    result = verify_chain("org", rows, head(chain(n)))
    assert not result.intact
    assert {i + 1, j + 1} <= numbers(result)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 12), data=st.data())
def test_an_inserted_entry_is_named(n: int, data: st.DataObject) -> None:
    rows = chain(n)
    k = data.draw(st.integers(0, n))
    # a forged entry slipped in at position k, later rows renumbered
    prev = rows[k - 1].hash if k > 0 else GENESIS_HASH
    forged = seal("org", k + 1, T0, draft(99), prev)
    tail = [replace(r, number=r.number + 1) for r in rows[k:]]
    tampered = [*rows[:k], forged, *tail]
    result = verify_chain("org", tampered, head(rows))
    assert not result.intact
    assert (k + 2 in numbers(result)) or (k == n and n + 1 in numbers(result))


def test_a_cut_tail_is_named_through_the_head() -> None:
    rows = chain(6)
    result = verify_chain("org", rows[:4], head(rows))
    assert [(p.number, p.kind) for p in result.problems] == [(5, "removed")]


def test_a_rewritten_chain_is_caught_only_by_an_anchor() -> None:
    rows = chain(6)
    anchor = Anchor(policy_id="org", number=4, hash=rows[3].hash, exported_at=T0)
    rewritten = chain(6, policy_id="org")
    rewritten[1] = seal("org", 2, T0, draft(42), rewritten[0].hash)
    prev = rewritten[1].hash
    for i in range(2, 6):  # recompute every later hash: self-consistent
        rewritten[i] = seal("org", i + 1, T0 + timedelta(minutes=i + 1), draft(i + 1), prev)
        prev = rewritten[i].hash
    assert verify_chain("org", rewritten, head(rewritten)).intact
    result = verify_chain("org", rewritten, head(rewritten), [anchor])
    assert [(p.number, p.kind) for p in result.problems] == [(4, "anchor-mismatch")]
