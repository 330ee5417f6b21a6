"""The register's hash chain (위·변조 방지), pure.

Each stored entry keeps the exact bytes that were hashed (``body``: the
canonical JSON of its number, organisation, recording time and fields) and
``hash = SHA-256(prev_hash || body)``, where ``prev_hash`` is the hash of the
entry before it (``GENESIS_HASH`` for number 1). The store also keeps the
head (last number and hash) in its own row, written in the same
transaction, so that cutting entries off the end is seen too.

``verify_chain`` walks stored rows in number order and names every problem
it finds: an entry whose body no longer matches its hash (``altered``), a
number missing (``removed``), a number out of place (``reordered``) or one
that should not be there (``inserted``). A chain rewritten from scratch is
self-consistent; only a head hash published earlier (``Anchor``, in every
daily export) shows it, which is ``anchor-mismatch``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from schemas.register import (
    GENESIS_HASH,
    Anchor,
    ChainProblem,
    EntryDraft,
    RegisterEntry,
    VerifyResult,
)


@dataclass(frozen=True)
class StoredEntry:
    """One row as the database holds it (what verification reads)."""

    number: int
    body: str
    prev_hash: str
    hash: str


def canonical_body(policy_id: str, number: int, recorded_at: datetime, entry: EntryDraft) -> str:
    """The bytes that are hashed: sorted keys, no spaces, UTC times, UTF-8 text
    kept as is. Stable across Python and database versions because it is
    stored verbatim, never re-serialised."""
    document = {
        "policy_id": policy_id,
        "number": number,
        "recorded_at": recorded_at.astimezone(UTC).isoformat(),
        "entry": json.loads(entry.model_dump_json()),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + body.encode("utf-8")).hexdigest()


def seal(
    policy_id: str, number: int, recorded_at: datetime, entry: EntryDraft, prev_hash: str
) -> StoredEntry:
    """The row to append after an entry whose hash is ``prev_hash``."""
    body = canonical_body(policy_id, number, recorded_at, entry)
    return StoredEntry(
        number=number, body=body, prev_hash=prev_hash, hash=chain_hash(prev_hash, body)
    )


def parse_entry(row: StoredEntry) -> RegisterEntry:
    """The entry a row holds; ValueError when the body is not one."""
    try:
        document = json.loads(row.body)
        draft = EntryDraft.model_validate_json(json.dumps(document["entry"]))
        recorded_at = datetime.fromisoformat(document["recorded_at"])
        return RegisterEntry(
            policy_id=document["policy_id"],
            number=document["number"],
            recorded_at=recorded_at,
            entry=draft,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise ValueError(f"entry {row.number}: unreadable body: {exc}") from None


def _body_number(row: StoredEntry) -> int | None:
    try:
        value = json.loads(row.body).get("number")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def verify_chain(
    policy_id: str,
    rows: Sequence[StoredEntry],
    head: tuple[int, str] | None,
    anchors: Sequence[Anchor] = (),
) -> VerifyResult:
    """Check ``rows`` (in the order the database returns them by number)
    against their hashes, each other, the stored ``head`` (number, hash) and
    any ``anchors`` from earlier exports. Every problem names an entry number."""
    problems: list[ChainProblem] = []
    expected_number = 1
    prev_hash = GENESIS_HASH
    by_number: dict[int, StoredEntry] = {}
    for row in rows:
        by_number.setdefault(row.number, row)
        if row.number > expected_number:
            missing = (
                f"entry {expected_number} is missing"
                if row.number == expected_number + 1
                else f"entries {expected_number}..{row.number - 1} are missing"
            )
            problems.append(ChainProblem(number=expected_number, kind="removed", detail=missing))
        elif row.number < expected_number:
            problems.append(
                ChainProblem(
                    number=row.number,
                    kind="inserted",
                    detail=f"a second entry numbered {row.number} "
                    f"follows entry {expected_number - 1}",
                )
            )
        if chain_hash(row.prev_hash, row.body) != row.hash:
            problems.append(
                ChainProblem(
                    number=row.number,
                    kind="altered",
                    detail=f"entry {row.number}'s content no longer matches its hash",
                )
            )
        body_number = _body_number(row)
        if body_number is not None and body_number != row.number:
            problems.append(
                ChainProblem(
                    number=row.number,
                    kind="reordered",
                    detail=f"the row numbered {row.number} holds entry {body_number}",
                )
            )
        if row.prev_hash != prev_hash and row.number >= expected_number:
            problems.append(
                ChainProblem(
                    number=row.number,
                    kind="reordered" if row.number == expected_number else "removed",
                    detail=f"entry {row.number} does not follow the entry before it "
                    "(an entry before it was removed, inserted or moved)",
                )
            )
        prev_hash = row.hash
        expected_number = max(expected_number, row.number + 1)
    last_number = expected_number - 1
    if head is not None:
        head_number, head_hash = head
        if head_number > last_number:
            problems.append(
                ChainProblem(
                    number=last_number + 1,
                    kind="removed",
                    detail=f"the register's head is entry {head_number}, "
                    f"but the last entry kept is {last_number}",
                )
            )
        elif head_number < last_number:
            problems.append(
                ChainProblem(
                    number=head_number + 1,
                    kind="inserted",
                    detail=f"entries after the head ({head_number}) were added behind its back",
                )
            )
        elif head_hash != prev_hash:
            problems.append(
                ChainProblem(
                    number=last_number,
                    kind="altered",
                    detail=f"entry {last_number} differs from the head the register recorded",
                )
            )
    for anchor in anchors:
        if anchor.number == 0:
            continue
        row_at = by_number.get(anchor.number)
        if row_at is None or row_at.hash != anchor.hash:
            stamp = anchor.exported_at.astimezone(UTC).isoformat()
            problems.append(
                ChainProblem(
                    number=anchor.number,
                    kind="anchor-mismatch",
                    detail=f"entry {anchor.number} is not the one exported at {stamp} "
                    f"(anchor {anchor.hash[:12]}...)",
                )
            )
    return VerifyResult(
        policy_id=policy_id,
        entries=len(rows),
        head_number=last_number,
        head_hash=prev_hash,
        problems=_dedupe(problems),
    )


def _dedupe(problems: list[ChainProblem]) -> tuple[ChainProblem, ...]:
    seen: set[tuple[int, str]] = set()
    kept: list[ChainProblem] = []
    for problem in problems:
        key = (problem.number, problem.detail)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return tuple(kept)
