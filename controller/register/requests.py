"""Data-subject access requests (존재확인·열람 청구), pure: the deadline, the
state machine and the findings an unanswered request raises.

The deadline: a request received at instant ``t`` must be answered within
``answer_within_days`` calendar days, counted in Korea Standard Time the way
the Civil Act counts periods (초일불산입: the day of receipt is not counted).
So the answer is due by the end (24:00 KST) of the day that is
``answer_within_days`` days after the KST date of receipt; ``request_deadline``
returns that end as an exclusive UTC instant. Received on 31 January at
any time (KST), a 10-day request is due by the end of 10 February.
Weekends and holidays are counted (the Guidelines speak of days, not
working days).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schemas.findings import Finding, make_finding
from schemas.register import AccessRequest, Answer, RequestState

KST = ZoneInfo("Asia/Seoul")
DUE_SOON_DAYS = 3
"""A request this many days (or fewer) from its deadline is ``request.due-soon``."""
AT_RISK_DAYS = 3
"""Footage this many days (or fewer) from the end of retention is at risk."""


class TransitionError(ValueError):
    """A request cannot move to that state from where it is."""


def kst_date(instant: datetime) -> date:
    return instant.astimezone(KST).date()


def kst_start(day: date) -> datetime:
    """00:00 KST of ``day`` as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=KST).astimezone(UTC)


def request_deadline(received_at: datetime, days: int) -> datetime:
    """The exclusive UTC instant by which a request received at
    ``received_at`` must be answered (see the module docstring)."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    return kst_start(kst_date(received_at) + timedelta(days=days + 1))


def days_left(deadline: datetime, now: datetime) -> float:
    return (deadline - now).total_seconds() / 86400


def answer(request: AccessRequest, given: Answer) -> AccessRequest:
    """received -> answered. TransitionError from any other state."""
    if request.state != "received":
        raise TransitionError(f"request {request.id} is {request.state}, not received")
    if given.answered_at < request.request.received_at:
        raise TransitionError("the answer predates the request")
    return request.model_copy(update={"state": "answered", "answer": given})


def close(request: AccessRequest, at: datetime) -> AccessRequest:
    """answered -> closed."""
    if request.state != "answered":
        raise TransitionError(f"request {request.id} is {request.state}; answer it before closing")
    return request.model_copy(update={"state": "closed", "closed_at": at})


NEXT: dict[RequestState, tuple[RequestState, ...]] = {
    "received": ("answered",),
    "answered": ("closed",),
    "closed": (),
}


def request_findings(
    requests: Iterable[AccessRequest], retention_days: int, now: datetime
) -> list[Finding]:
    """``request.due-soon`` / ``request.overdue`` for each unanswered request,
    and ``request.footage-at-risk`` for each open (not closed) one whose
    oldest footage reaches the end of retention within ``AT_RISK_DAYS``
    (retention counted from the capture, as the policies say)."""
    found: list[Finding] = []
    for item in requests:
        subject = f"request-{item.id}"
        draft = item.request
        evidence: dict[str, str | int | float | bool | tuple[str, ...] | None] = {
            "request_id": item.id,
            "received_at": draft.received_at.isoformat(),
            "deadline": item.deadline.isoformat(),
            "deadline_kst": item.deadline.astimezone(KST).isoformat(),
        }
        if item.state == "received":
            left = days_left(item.deadline, now)
            evidence["days_left"] = round(left, 2)
            if left <= 0:
                found.append(
                    make_finding(
                        "request.overdue",
                        f"access request {item.id} received {_kst(draft.received_at)} was due by "
                        f"{_kst(item.deadline)} and is not answered",
                        evidence,
                        site_id=draft.site_id,
                        address=subject,
                    )
                )
            elif left <= DUE_SOON_DAYS:
                found.append(
                    make_finding(
                        "request.due-soon",
                        f"access request {item.id} is due by {_kst(item.deadline)} "
                        f"({left:.1f} days left)",
                        evidence,
                        site_id=draft.site_id,
                        address=subject,
                    )
                )
        if item.state != "closed":
            expires = draft.footage_from + timedelta(days=retention_days)
            left = days_left(expires, now)
            if left <= AT_RISK_DAYS:
                found.append(
                    make_finding(
                        "request.footage-at-risk",
                        f"footage of request {item.id} from {_kst(draft.footage_from)} reaches "
                        f"the end of its {retention_days}-day retention at {_kst(expires)}: "
                        "preserve it before automatic deletion",
                        {
                            **evidence,
                            "footage_from": draft.footage_from.isoformat(),
                            "retention_ends": expires.isoformat(),
                            "days_to_deletion": round(left, 2),
                        },
                        site_id=draft.site_id,
                        address=subject,
                    )
                )
    return found


def _kst(instant: datetime) -> str:
    return instant.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")
