"""Automatic deletion as destruction entries, and the monthly check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from controller.register.destruction import (
    destruction_entries,
    monthly_check_entry,
    months_to_check,
)
from controller.register.requests import KST
from schemas.policy import RetentionPolicy
from schemas.register import RegisterEntry

RETENTION = RetentionPolicy(days=30, tolerance_days=1)


def kst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=KST)


def entries(prev: datetime | None, cur: datetime | None, seen: datetime) -> list:
    return destruction_entries(
        prev, cur, site_id="s", camera_id="cam1", observed_at=seen, retention=RETENTION
    )


def test_one_entry_per_kst_day_that_left_the_recorder() -> None:
    found = entries(kst("2026-03-01T10:00"), kst("2026-03-03T10:00"), kst("2026-04-02T10:00"))
    assert [e.file_name for e in found] == ["2026-03-01 cam1", "2026-03-02 cam1"]
    first = found[0]
    assert (first.kind, first.camera_ids, first.automatic) == ("destruction", ("cam1",), True)
    assert first.footage_from == kst("2026-03-01T00:00")
    assert first.footage_until == kst("2026-03-02T00:00")
    assert first.destruction_result is not None and "on time" in first.destruction_result


def test_nothing_moves_nothing_is_recorded() -> None:
    t = kst("2026-03-01T10:00")
    assert entries(None, t, t) == []
    assert entries(t, None, t) == []
    assert entries(t, t, t) == []
    assert entries(t, t - timedelta(days=2), t) == []  # went backwards: a reset, not a deletion
    assert entries(t, t + timedelta(hours=5), t) == []  # same day: not yet fully deleted


def test_early_and_late_deletion_are_stated() -> None:
    early = entries(kst("2026-03-01T10:00"), kst("2026-03-02T10:00"), kst("2026-03-20T00:00"))
    late = entries(kst("2026-03-01T10:00"), kst("2026-03-02T10:00"), kst("2026-04-10T00:00"))
    assert "; early: kept 18 days" in (early[0].destruction_result or "")
    assert "; late: kept 39 days" in (late[0].destruction_result or "")


def test_utc_days_are_not_kst_days() -> None:
    # DataFrom crosses KST midnight (15:00 UTC) but not UTC midnight
    prev = datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
    cur = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    found = entries(prev, cur, cur + timedelta(days=30))
    assert [e.file_name for e in found] == ["2026-03-01 cam1"]


def test_monthly_check_summarises_per_camera() -> None:
    seen = kst("2026-04-01T09:00")
    drafts = entries(kst("2026-02-27T10:00"), kst("2026-03-04T10:00"), seen)
    stored = [
        RegisterEntry(
            policy_id="org",
            number=i + 1,
            recorded_at=seen,
            entry=d,
            prev_hash="0" * 64,
            hash="0" * 64,
        )
        for i, d in enumerate(drafts)
    ]
    check = monthly_check_entry(date(2026, 3, 1), "s", stored, seen, RETENTION)
    assert check.camera_ids == ("cam1",)
    assert check.destruction_result is not None
    assert "cam1: 3 day(s)" in check.destruction_result  # 1, 2, 3 March; not 27, 28 Feb
    assert check.purpose == "monthly check of automatic deletion for 2026-03"


def test_months_to_check() -> None:
    now = kst("2026-04-01T00:30")  # 31 March 15:30 UTC: already April in Seoul
    assert months_to_check(None, now) == [date(2026, 3, 1)]
    assert months_to_check(date(2026, 3, 1), now) == []
    assert months_to_check(date(2025, 12, 1), now) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
