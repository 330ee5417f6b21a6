"""Automatic deletion as register entries, pure.

The recorder deletes footage by itself; the register must still show it
("파기: 자동 삭제 포함", seed 004). The evidence is the recording summary's
DataFrom (the oldest footage kept) moving forward: when it passes the end of
a day (in KST, the day the policy's people think in), that day's footage is
gone. One destruction entry per camera per day: the seed's register names
files per camera and day ("'12.10.5 cameras 3~10 / video"), and a per-camera
entry is what an inspector asks about ("was camera 9's footage of 5 October
kept 30 days?"). The monthly check on the 1st (seed 004: "30일 주기 자동
파기, 매월 1일 확인") is one more entry summarising the month per camera.

Whether the deletion came on time is stated on the entry: kept shorter than
``days - tolerance`` is early (evidence lost, ``retention.kept-too-short``),
longer than ``days + tolerance`` late (``retention.kept-too-long``); the
agent raises those findings from the same DataFrom, the entry records them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from controller.register.requests import KST, kst_date, kst_start
from schemas.policy import RetentionPolicy
from schemas.register import EntryDraft, RegisterEntry

MAX_DAYS_PER_STEP = 400
"""A DataFrom that jumps further than this (a recorder reset, a wrong clock)
records the newest days only and says so, rather than flooding the register."""

HANDLER = "controller (automatic deletion by the recorder)"


def destruction_entries(
    previous_data_from: datetime | None,
    current_data_from: datetime | None,
    *,
    site_id: str,
    camera_id: str,
    observed_at: datetime,
    retention: RetentionPolicy,
) -> list[EntryDraft]:
    """One destruction entry per KST day whose footage left the recorder
    between two observations: exactly the days whose end (24:00 KST) is after
    ``previous_data_from`` and at or before ``current_data_from``. Nothing
    when either is unknown or DataFrom did not move forward (a recorder
    reset is not a deletion). How long the day was kept is measured from its
    youngest footage (24:00) to ``observed_at``, in whole days."""
    if previous_data_from is None or current_data_from is None:
        return []
    if current_data_from <= previous_data_from:
        return []
    first = kst_date(previous_data_from)
    last = kst_date(current_data_from)  # exclusive: this day is still partly kept
    days = [first + timedelta(days=n) for n in range((last - first).days)]
    skipped = max(0, len(days) - MAX_DAYS_PER_STEP)
    days = days[skipped:]
    return [
        _entry(day, site_id, camera_id, observed_at, retention, skipped if i == 0 else 0)
        for i, day in enumerate(days)
    ]


def _entry(
    day: date,
    site_id: str,
    camera_id: str,
    observed_at: datetime,
    retention: RetentionPolicy,
    skipped: int,
) -> EntryDraft:
    start = kst_start(day)
    end = kst_start(day + timedelta(days=1))
    kept_days = (observed_at - end).days  # the day's youngest footage, as last seen
    if kept_days < retention.days - retention.tolerance_days:
        timing = f"early: kept {kept_days} days, the policy keeps {retention.days}"
    elif kept_days > retention.days + retention.tolerance_days:
        timing = f"late: kept {kept_days} days, the policy keeps {retention.days}"
    else:
        timing = f"on time: kept {kept_days} days (policy {retention.days})"
    note = f"; {skipped} older day(s) not itemised (DataFrom jumped)" if skipped else ""
    check = retention.deletion_check or "checked monthly on the 1st"
    return EntryDraft(
        kind="destruction",
        occurred_at=observed_at,
        site_id=site_id,
        camera_ids=(camera_id,),
        footage_from=start,
        footage_until=end,
        file_name=f"{day.isoformat()} {camera_id}",
        file_form="video",
        handler=HANDLER,
        purpose=f"end of the {retention.days}-day retention",
        legal_basis="PIPA Art. 21(1); the published policy's retention period",
        period_of_use=f"{retention.days}-day cycle automatic deletion, {check}",
        destruction_due=(day + timedelta(days=retention.days)),
        destruction_result=f"automatically deleted, seen {_kst(observed_at)}; {timing}{note}",
        automatic=True,
    )


def monthly_check_entry(
    month: date,
    site_id: str,
    entries: Iterable[RegisterEntry],
    checked_at: datetime,
    retention: RetentionPolicy,
) -> EntryDraft:
    """The check on the 1st: how many days of footage each camera of the site
    had deleted in ``month`` (the first day of that month), and how many of
    those deletions were early or late."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    days: Counter[str] = Counter()
    off: Counter[str] = Counter()
    for stored in entries:
        draft = stored.entry
        if draft.kind != "destruction" or draft.site_id != site_id or draft.footage_from is None:
            continue
        if not draft.automatic or draft.purpose.startswith("monthly check"):
            continue
        day = kst_date(draft.footage_from)
        if first <= day < following:
            for camera in draft.camera_ids:
                days[camera] += 1
                result = draft.destruction_result or ""
                if "; early" in result or "; late" in result:
                    off[camera] += 1
    summary = ", ".join(
        f"{camera}: {count} day(s)" + (f" ({off[camera]} off schedule)" if off[camera] else "")
        for camera, count in sorted(days.items())
    )
    return EntryDraft(
        kind="destruction",
        occurred_at=checked_at,
        site_id=site_id,
        camera_ids=tuple(sorted(days)),
        footage_from=kst_start(first),
        footage_until=kst_start(following),
        file_name=f"footage of {first:%Y-%m} (all cameras of {site_id})",
        file_form="video",
        handler=HANDLER,
        purpose=f"monthly check of automatic deletion for {first:%Y-%m}",
        legal_basis="PIPA Art. 21(1); the published policy's retention period",
        period_of_use=f"{retention.days}-day cycle automatic deletion, checked on the 1st",
        destruction_result=f"checked {_kst(checked_at)}: {summary or 'no deletion recorded'}",
        automatic=True,
    )


def months_to_check(last_checked: date | None, now: datetime) -> list[date]:
    """First days of the months whose check is due at ``now``: every month
    before the current KST month, after ``last_checked`` (the first day of
    the last month checked). With no check yet, only the previous month."""
    current = kst_date(now).replace(day=1)
    previous = (current - timedelta(days=1)).replace(day=1)
    if last_checked is None:
        return [previous]
    months: list[date] = []
    month = (last_checked + timedelta(days=32)).replace(day=1)
    while month < current:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _kst(instant: datetime) -> str:
    return instant.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")
