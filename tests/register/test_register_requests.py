"""Access-request deadlines (KST calendar days, UTC inside), states and findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.register.requests import (
    KST,
    TransitionError,
    answer,
    close,
    request_deadline,
    request_findings,
)
from schemas.register import AccessRequest, Answer, RequestDraft

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("received_kst", "due_kst"),
    [
        ("2026-01-31T15:00", "2026-02-11T00:00"),  # into February
        ("2026-02-20T09:00", "2026-03-03T00:00"),  # across a 28-day February
        ("2028-02-20T09:00", "2028-03-02T00:00"),  # leap year
        ("2026-12-25T23:59", "2027-01-05T00:00"),  # across the year
        ("2026-04-30T00:00", "2026-05-11T00:00"),  # first minute of the day counts as that day
    ],
    ids=["jan-feb", "february", "leap-february", "new-year", "midnight"],
)
def test_deadline_is_the_end_of_the_tenth_kst_day_after_receipt(
    received_kst: str, due_kst: str
) -> None:
    received = datetime.fromisoformat(received_kst).replace(tzinfo=KST)
    due = request_deadline(received.astimezone(UTC), 10)
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)
    assert due.astimezone(KST) == datetime.fromisoformat(due_kst).replace(tzinfo=KST)


def test_the_kst_date_decides_not_the_utc_date() -> None:
    # 2026-03-31 16:30 UTC is already 1 April in Seoul: due end of 11 April KST
    received = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)
    assert request_deadline(received, 10) == datetime(2026, 4, 11, 15, 0, tzinfo=UTC)
    # the same instant written in New York time gives the same deadline
    assert request_deadline(received.astimezone(NEW_YORK), 10) == request_deadline(received, 10)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        request_deadline(datetime(2026, 1, 1), 10)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(1, 90),
)
def test_deadline_is_days_plus_one_kst_midnights_away(received: datetime, days: int) -> None:
    due = request_deadline(received, days).astimezone(KST)
    assert (due.hour, due.minute, due.second) == (0, 0, 0)
    assert (due.date() - received.astimezone(KST).date()).days == days + 1
    assert timedelta(days=days) < due - received <= timedelta(days=days + 1)


def _request(
    received: datetime, state: str = "received", footage_days_ago: float = 2
) -> AccessRequest:
    draft = RequestDraft(
        site_id="test-main",
        requester="data subject",
        relation="self",
        camera_ids=("test-main-cam1",),
        footage_from=received - timedelta(days=footage_days_ago),
        footage_until=received - timedelta(days=footage_days_ago) + timedelta(minutes=30),
        purpose="lost bicycle",
        received_at=received,
    )
    return AccessRequest(
        id=7,
        policy_id="test-office",
        request=draft,
        deadline=request_deadline(received, 10),
        state=state,  # type: ignore[arg-type]
    )


RECEIVED = datetime(2026, 1, 31, 6, 0, tzinfo=UTC)  # 15:00 KST; due 2026-02-10 15:00 UTC


@pytest.mark.parametrize(
    ("now", "rules"),
    [
        (datetime(2026, 2, 7, 14, 59, tzinfo=UTC), []),
        (datetime(2026, 2, 7, 15, 0, tzinfo=UTC), ["request.due-soon"]),
        (datetime(2026, 2, 10, 14, 59, tzinfo=UTC), ["request.due-soon"]),
        (datetime(2026, 2, 10, 15, 0, tzinfo=UTC), ["request.overdue"]),
    ],
    ids=["quiet", "three-days-left", "last-minute", "overdue"],
)
def test_due_soon_and_overdue(now: datetime, rules: list[str]) -> None:
    found = request_findings([_request(RECEIVED)], retention_days=30, now=now)
    assert [f.rule for f in found] == rules


def test_an_answered_request_raises_no_deadline_finding() -> None:
    item = answer(
        _request(RECEIVED),
        Answer(outcome="granted", answered_at=RECEIVED, handler="security officer"),
    )
    assert request_findings([item], 30, RECEIVED + timedelta(days=20)) == []


def test_footage_near_the_end_of_retention_is_at_risk() -> None:
    item = _request(RECEIVED, footage_days_ago=28)
    found = request_findings([item], retention_days=30, now=RECEIVED)
    assert [f.rule for f in found] == ["request.footage-at-risk"]
    assert found[0].evidence["days_to_deletion"] == 2.0


def test_states_move_only_forward() -> None:
    item = _request(RECEIVED)
    with pytest.raises(TransitionError, match="answer it before closing"):
        close(item, RECEIVED)
    refused = answer(
        item,
        Answer(
            outcome="refused",
            answered_at=RECEIVED,
            handler="manager",
            reason="footage of other people cannot be masked",
        ),
    )
    with pytest.raises(TransitionError, match="is answered, not received"):
        answer(refused, Answer(outcome="granted", answered_at=RECEIVED, handler="manager"))
    assert close(refused, RECEIVED).state == "closed"


def test_a_refusal_needs_its_reason() -> None:
    with pytest.raises(ValueError, match="needs its reason"):
        Answer(outcome="refused", answered_at=RECEIVED, handler="manager")
