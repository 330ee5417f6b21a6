"""How the console words the paperwork: the register (관리대장), access
requests (열람 청구) and the self-inspection checklist (자체점검표). Pure
functions of their inputs, like ``tui.format``: colour is never the only
signal, times arrive in UTC and are shown in the display zone, and "now" is
passed in (the console's clock), never read here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo

from rich.text import Text

from schemas.findings import Finding
from schemas.register import (
    AccessRequest,
    Checklist,
    ChecklistItem,
    EntryKind,
    ItemStatus,
    RegisterEntry,
    RequestState,
    VerifyResult,
)
from tui.format import SEVERITY_MARK, local_time
from tui.widgets.keyed_table import Row

KIND_WORDS: Mapping[EntryKind, str] = {
    "use": "use 이용",
    "provision": "provision 제공",
    "viewing": "viewing 열람",
    "destruction": "destruction 파기",
}

ITEM_MARK: Mapping[ItemStatus, tuple[str, str, str]] = {
    "done": ("✔", "done", "green"),
    "not-done": ("✖", "NOT DONE", "bold red"),
    "not-applicable": ("–", "n/a", "dim"),
    "needs-person": ("?", "needs a person", "yellow"),
}
"""Symbol, word, style of a checklist item's status."""

REQUEST_MARK: Mapping[RequestState, tuple[str, str, str]] = {
    "received": ("●", "received", "bold"),
    "answered": ("◐", "answered", ""),
    "closed": ("✔", "closed", "green"),
}

SOON_DAYS = 3
"""A request this many days or fewer from its deadline is marked (the
controller's ``request.due-soon`` alert is raised at the same point)."""

REGISTER_COLUMNS = (
    ("number", "No."),
    ("when", "When"),
    ("kind", "Kind"),
    ("cameras", "Cameras"),
    ("purpose", "Purpose"),
    ("recipient", "Recipient / requester"),
    ("due", "Destroy by"),
    ("chain", "Chain"),
)
REQUEST_COLUMNS = (
    ("id", "No."),
    ("received", "Received"),
    ("kind", "Kind"),
    ("requester", "Requester"),
    ("what", "Cameras / places"),
    ("deadline", "Deadline"),
    ("state", "State"),
)
CHECKLIST_COLUMNS = (
    ("no", "No."),
    ("item", "Item"),
    ("status", "Status"),
    ("evidence", "Evidence"),
)


def _mark(mark: tuple[str, str, str]) -> Text:
    symbol, word, style = mark
    return Text(f"{symbol} {word}", style=style)


def _date(moment: datetime, tz: tzinfo | None) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d")


def _cameras(camera_ids: Sequence[str], places: str | None = None) -> str:
    shown = ", ".join(camera_ids)
    if places:
        shown = f"{shown}; {places}" if shown else places
    return shown or "—"


# --- register -------------------------------------------------------------


def verify_text(verify: VerifyResult) -> Text:
    """The chain's state in one line: intact with its head, or TAMPERED with
    each problem named by entry number."""
    if verify.intact:
        return Text(
            f"✔ chain intact: {verify.entries} entries, head #{verify.head_number} "
            f"{verify.head_hash[:16]}…",
            style="green",
        )
    count = len(verify.problems)
    text = Text(f"✖ TAMPERED: {count} problem{'s' if count != 1 else ''}", style="bold red")
    for problem in verify.problems:
        text.append(f"\n  ✖ #{problem.number} {problem.kind}: {problem.detail}")
    return text


def register_rows(
    entries: Sequence[RegisterEntry], verify: VerifyResult, tz: tzinfo | None
) -> list[Row]:
    """One row per entry, newest first; the key is the entry's number. An
    entry the verification names is marked in the Chain column."""
    problems: dict[int, list[str]] = {}
    for problem in verify.problems:
        problems.setdefault(problem.number, []).append(problem.kind)
    rows: list[Row] = []
    for stored in reversed(entries):
        entry = stored.entry
        found = problems.get(stored.number)
        chain = (Text(f"✖ {', '.join(found)}", style="bold red") if found
                 else Text("✔", style="green"))
        kind = KIND_WORDS[entry.kind] + (" (auto)" if entry.automatic else "")
        rows.append((str(stored.number), (
            f"#{stored.number}",
            local_time(entry.occurred_at, tz),
            kind,
            _cameras(entry.camera_ids),
            entry.purpose,
            entry.recipient or "—",
            entry.destruction_due.isoformat() if entry.destruction_due else "—",
            chain,
        )))
    return rows


def entry_text(stored: RegisterEntry, tz: tzinfo | None) -> Text:
    """Every field of the seed form for one entry, and its place in the chain."""
    entry = stored.entry
    text = Text()
    text.append(f"#{stored.number} {KIND_WORDS[entry.kind]}", style="bold")
    if entry.automatic:
        text.append(" · written by the controller")
    if entry.corrects is not None:
        text.append(f" · corrects #{entry.corrects}", style="yellow")
    text.append("\n")
    footage = "—"
    if entry.footage_from is not None or entry.footage_until is not None:
        start = local_time(entry.footage_from, tz) if entry.footage_from else "…"
        end = local_time(entry.footage_until, tz) if entry.footage_until else "…"
        footage = f"{start} ~ {end}"
    fields = (
        ("When (일시)", local_time(entry.occurred_at, tz)),
        ("Site", entry.site_id or "—"),
        ("Cameras", _cameras(entry.camera_ids)),
        ("Footage (기록기간)", footage),
        ("File (파일명/형태)", " · ".join(v for v in (entry.file_name, entry.file_form) if v)
         or "—"),
        ("Handler (담당자)", entry.handler),
        ("Purpose (목적)", entry.purpose),
        ("Recipient (제3자/요구자)", entry.recipient or "—"),
        ("Legal basis (근거)", entry.legal_basis or "—"),
        ("Form of use (형태)", entry.form_of_use or "—"),
        ("Period of use (기간)", entry.period_of_use or "—"),
        ("Destroy by (파기예정일)", entry.destruction_due.isoformat()
         if entry.destruction_due else "—"),
        ("Destruction (파기 결과)", entry.destruction_result or "—"),
        ("Access request", f"No. {entry.request_id}" if entry.request_id else "—"),
        ("Recorded", f"{local_time(stored.recorded_at, tz)} · hash {stored.hash[:16]}… "
                     f"after {stored.prev_hash[:16]}…"),
    )
    for label, value in fields:
        text.append(f"{label}: ", style="bold")
        text.append(f"{value}\n")
    text.rstrip()
    return text


# --- access requests ------------------------------------------------------


def days_left(deadline: datetime, now: datetime) -> int:
    """Whole days until ``deadline``, rounded up (0 or less: overdue)."""
    return math.ceil((deadline - now) / timedelta(days=1))


def due_date(request: AccessRequest, tz: tzinfo | None) -> str:
    """The last day an answer is on time, in the display zone (the deadline
    itself is exclusive: the first instant that is late)."""
    return _date(request.deadline - timedelta(microseconds=1), tz)


def deadline_text(request: AccessRequest, now: datetime, tz: tzinfo | None) -> Text:
    """The deadline and, for a request still unanswered, how it stands:
    ``✖ OVERDUE`` past it, ``▲`` within ``SOON_DAYS``."""
    due = due_date(request, tz)
    if request.state != "received":
        return Text(f"by {due}", style="dim")
    left = days_left(request.deadline, now)
    if now >= request.deadline:
        late = max(1, -left)
        return Text(f"✖ OVERDUE {late} d (by {due})", style="bold red")
    if left <= SOON_DAYS:
        return Text(f"▲ {left} d left (by {due})", style="bold yellow")
    return Text(f"{left} d left (by {due})")


def request_state_text(request: AccessRequest) -> Text:
    text = _mark(REQUEST_MARK[request.state])
    if request.answer is not None:
        text.append(f" {request.answer.outcome}")
    return text


def request_rows(requests: Sequence[AccessRequest], now: datetime, tz: tzinfo | None) -> list[Row]:
    """Unanswered requests first, nearest deadline first; then the others,
    newest first. The key is the request's number."""
    open_ = sorted((r for r in requests if r.state == "received"), key=lambda r: r.deadline)
    done = sorted((r for r in requests if r.state != "received"),
                  key=lambda r: r.request.received_at, reverse=True)
    return [
        (str(r.id), (
            f"#{r.id}",
            local_time(r.request.received_at, tz),
            r.request.kind,
            f"{r.request.requester} ({r.request.relation})",
            _cameras(r.request.camera_ids, r.request.places),
            deadline_text(r, now, tz),
            request_state_text(r),
        ))
        for r in (*open_, *done)
    ]


def request_text(request: AccessRequest, now: datetime, tz: tzinfo | None) -> Text:
    """One request in full: what was asked, its deadline, the answer and the
    register entries it created."""
    asked = request.request
    text = Text()
    text.append(f"Request #{request.id} ({asked.kind}) · ", style="bold")
    text.append_text(request_state_text(request))
    text.append("\n")
    fields = [
        ("Requester (청구인)", f"{asked.requester}, relation: {asked.relation}"),
        ("Cameras / places", _cameras(asked.camera_ids, asked.places)),
        ("Footage", f"{local_time(asked.footage_from, tz)} ~ "
                    f"{local_time(asked.footage_until, tz)}"),
        ("Purpose (사유)", asked.purpose),
        ("Received (접수)", local_time(asked.received_at, tz)),
    ]
    for label, value in fields:
        text.append(f"{label}: ", style="bold")
        text.append(f"{value}\n")
    text.append("Deadline (10 days): ", style="bold")
    text.append_text(deadline_text(request, now, tz))
    if request.answer is not None:
        answer = request.answer
        text.append("\nAnswer: ", style="bold")
        text.append(f"{answer.outcome} on {local_time(answer.answered_at, tz)} by "
                    f"{answer.handler} ({answer.form_of_use})")
        if answer.reason:
            text.append(f"\nReason in writing: {answer.reason}")
    if request.closed_at is not None:
        text.append(f"\nClosed: {local_time(request.closed_at, tz)}")
    if request.register_numbers:
        text.append("\nRegister entries: " + ", ".join(f"#{n}" for n in request.register_numbers))
    return text


def findings_text(findings: Sequence[Finding]) -> Text:
    """What the controller raises about this paperwork now (deadlines,
    footage at risk, an overdue inspection); one line each."""
    if not findings:
        return Text("✔ nothing raised", style="green")
    text = Text()
    for index, finding in enumerate(findings):
        symbol, style = SEVERITY_MARK[finding.severity]
        if index:
            text.append("\n")
        text.append(f"{symbol} {finding.severity} {finding.rule}: ", style=style)
        text.append(finding.summary)
    return text


# --- self-inspection checklist --------------------------------------------


def item_status_text(item: ChecklistItem) -> Text:
    return _mark(ITEM_MARK[item.status])


def checklist_rows(checklist: Checklist) -> list[Row]:
    """One row per item in the seed's order; the key is its number."""
    return [
        (str(item.no), (
            str(item.no),
            item.text_en,
            item_status_text(item),
            f"{len(item.evidence)} link{'s' if len(item.evidence) != 1 else ''}"
            if item.evidence else "—",
        ))
        for item in checklist.items
    ]


def checklist_text(
    checklist: Checklist, last_completed: datetime | None, tz: tzinfo | None
) -> Text:
    """The checklist's head: organisation, half-year, due date, what is
    done, what needs a person, and when it was last completed."""
    counts = {status: 0 for status in ITEM_MARK}
    for item in checklist.items:
        counts[item.status] += 1
    text = Text()
    text.append(f"{checklist.organisation} · 자체점검표 self-inspection ", style="bold")
    text.append(f"{checklist.period_from.isoformat()} ~ {checklist.period_until.isoformat()}"
                f" · due {checklist.due.isoformat()}\n")
    for status, mark in ITEM_MARK.items():
        if counts[status]:
            text.append_text(_mark(mark))
            text.append(f" {counts[status]}   ")
    text.rstrip()
    text.append("\nLast completed: ", style="bold")
    text.append(local_time(last_completed, tz) if last_completed else "never")
    text.append(f" · register head {checklist.register_head[:16]}…")
    return text


def item_text(item: ChecklistItem) -> Text:
    """One item in both languages, its status, note and evidence links."""
    text = Text()
    text.append(f"{item.no}. {item.text_ko}\n", style="bold")
    text.append(f"{item.text_en}\n")
    text.append_text(item_status_text(item))
    if item.note:
        text.append(f" — {item.note}")
    for link in item.evidence:
        text.append(f"\n  → {link}")
    return text
