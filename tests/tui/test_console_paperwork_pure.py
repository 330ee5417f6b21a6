"""The paperwork's wording, on the pure functions: deadlines counted in the
display zone across a month's end, the order requests are listed in, and
what a broken chain says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from schemas.register import (
    AccessRequest,
    Answer,
    ChainProblem,
    RequestDraft,
    VerifyResult,
)
from tui.paperwork import days_left, deadline_text, due_date, request_rows, verify_text

KST = ZoneInfo("Asia/Seoul")
# Received 2026-05-29 11:00 KST: the tenth day ends 2026-06-08 24:00 KST.
RECEIVED = datetime(2026, 5, 29, 2, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 6, 8, 15, 0, tzinfo=UTC)


def request(number: int, *, received: datetime = RECEIVED, answered: bool = False,
            deadline: datetime = DEADLINE) -> AccessRequest:
    answer = (Answer(outcome="granted", answered_at=received + timedelta(days=1),
                     handler="security officer") if answered else None)
    return AccessRequest(
        id=number,
        policy_id="test-office",
        request=RequestDraft(
            requester="data subject", relation="self", places="lobby",
            footage_from=received - timedelta(days=1), footage_until=received,
            purpose="lost wallet", received_at=received,
        ),
        deadline=deadline,
        state="answered" if answered else "received",
        answer=answer,
    )


def test_the_due_date_is_the_last_day_on_time_in_the_display_zone() -> None:
    assert due_date(request(1), KST) == "2026-06-08"
    assert due_date(request(1), UTC) == "2026-06-08"  # 15:00 UTC is still the 8th
    midnight_utc = request(1, deadline=datetime(2026, 7, 1, tzinfo=UTC))
    assert due_date(midnight_utc, UTC) == "2026-06-30"  # across the month's end


def test_deadline_marks_soon_and_overdue() -> None:
    item = request(1)
    assert str(deadline_text(item, DEADLINE - timedelta(days=5), KST)) == "5 d left (by 2026-06-08)"
    assert str(deadline_text(item, DEADLINE - timedelta(days=3), KST)) == (
        "▲ 3 d left (by 2026-06-08)"
    )
    assert str(deadline_text(item, DEADLINE - timedelta(seconds=1), KST)) == (
        "▲ 1 d left (by 2026-06-08)"
    )
    assert str(deadline_text(item, DEADLINE, KST)) == "✖ OVERDUE 1 d (by 2026-06-08)"
    assert str(deadline_text(item, DEADLINE + timedelta(days=4), KST)) == (
        "✖ OVERDUE 4 d (by 2026-06-08)"
    )
    answered = request(2, answered=True)
    assert str(deadline_text(answered, DEADLINE + timedelta(days=4), KST)) == "by 2026-06-08"


@given(st.integers(min_value=-20 * 86400, max_value=20 * 86400))
def test_days_left_is_never_overdue_before_the_deadline(offset_s: int) -> None:
    now = DEADLINE + timedelta(seconds=offset_s)
    left = days_left(DEADLINE, now)
    text = str(deadline_text(request(1), now, KST))
    assert text.startswith("✖ OVERDUE") == (now >= DEADLINE)
    if now < DEADLINE:
        assert left >= 1 and f"{left} d left" in text


def test_requests_unanswered_by_deadline_first_then_newest() -> None:
    later = RECEIVED + timedelta(days=2)
    items = [
        request(1, answered=True),
        request(2, received=later, deadline=DEADLINE + timedelta(days=2)),
        request(3, deadline=DEADLINE),
        request(4, received=later, answered=True),
    ]
    keys = [key for key, _ in request_rows(items, RECEIVED, KST)]
    assert keys == ["3", "2", "4", "1"]


def test_a_broken_chain_names_each_problem() -> None:
    head = "a" * 64
    intact = VerifyResult(policy_id="org", entries=3, head_number=3, head_hash=head)
    assert str(verify_text(intact)) == f"✔ chain intact: 3 entries, head #3 {'a' * 16}…"
    broken = intact.model_copy(update={"problems": (
        ChainProblem(number=2, kind="altered", detail="its hash does not match its body"),
        ChainProblem(number=3, kind="removed", detail="entry 3 is missing"),
    )})
    lines = str(verify_text(broken)).splitlines()
    assert lines == [
        "✖ TAMPERED: 2 problems",
        "  ✖ #2 altered: its hash does not match its body",
        "  ✖ #3 removed: entry 3 is missing",
    ]
