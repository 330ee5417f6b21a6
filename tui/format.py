"""How the console words and marks things: pure functions of their inputs.

Colour is never the only signal: every severity and state carries a symbol
and a word, so that the console reads the same on a monochrome terminal, to
a colour-blind operator, and in a screenshot pasted into an inspection
report. Times arrive as aware UTC and are shown in the display time zone;
ages are computed against a ``now`` the caller passes in (the console's
injectable clock), never read here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from functools import cache, lru_cache

from rich.text import Text

from schemas.api import CameraState, FindingState, SeverityCounts, SiteView
from schemas.findings import EvidenceValue
from schemas.rules import SEVERITIES, Severity

SEVERITY_MARK: Mapping[Severity, tuple[str, str]] = {
    "critical": ("✖", "bold red"),
    "warning": ("▲", "yellow"),
    "info": ("ℹ", "cyan"),
}

STATE_MARK: Mapping[CameraState, tuple[str, str, str]] = {
    "compliant": ("✔", "compliant", "green"),
    "findings": ("▲", "findings", "yellow"),
    "missing": ("?", "MISSING", "bold black on yellow"),
    "undeclared": ("✚", "UNDECLARED", "bold white on red"),
    "unreachable": ("✖", "unreachable", "bold red"),
    "unknown": ("·", "not audited", "dim"),
}
"""Symbol, word, style. Missing and undeclared are in capitals on a filled
background: they are inventory problems an operator must not scroll past."""

FINDING_STATE_MARK: Mapping[FindingState, tuple[str, str]] = {
    "open": ("●", "bold"),
    "acknowledged": ("◐", ""),
    "resolved": ("✔", "green"),
}


def severity_text(severity: Severity) -> Text:
    """``✖ critical``, ``▲ warning``, ``ℹ info``, styled."""
    mark, style = SEVERITY_MARK[severity]
    return Text(f"{mark} {severity}", style=style)


def state_text(state: CameraState) -> Text:
    """A camera state as symbol and word, styled."""
    mark, word, style = STATE_MARK[state]
    return Text(f"{mark} {word}", style=style)


def finding_state_text(state: FindingState) -> Text:
    mark, style = FINDING_STATE_MARK[state]
    return Text(f"{mark} {state}", style=style)


def counts_text(counts: SeverityCounts) -> Text:
    """Open findings by severity, compact: ``✖2 ▲1 ℹ0``; zeros are dimmed,
    a fleet with nothing open reads ``✔ none``."""
    if not (counts.critical or counts.warning or counts.info):
        return Text("✔ none", style="green")
    text = Text()
    for severity in SEVERITIES:
        mark, style = SEVERITY_MARK[severity]
        value = getattr(counts, severity)
        if text:
            text.append(" ")
        text.append(f"{mark}{value}", style=style if value else "dim")
    return text


def state_cell(state: CameraState) -> Text:
    """``state_text`` for a table cell: one object per state, shared by
    every row that shows it. A table only reads its cells; never change it."""
    return _state_cell(state)


def counts_cell(counts: SeverityCounts) -> Text:
    """``counts_text`` for a table cell, shared by every row with the same
    counts (5,000 rows, a handful of distinct counts). Never change it."""
    return _counts_cell(counts.critical, counts.warning, counts.info)


@cache
def _state_cell(state: CameraState) -> Text:
    return state_text(state)


@lru_cache(maxsize=1024)
def _counts_cell(critical: int, warning: int, info: int) -> Text:
    return counts_text(SeverityCounts(critical=critical, warning=warning, info=info))


def counts_words(counts: SeverityCounts) -> Text:
    """Open findings by severity, spelled out for a header line."""
    text = Text()
    for severity in SEVERITIES:
        mark, style = SEVERITY_MARK[severity]
        value = getattr(counts, severity)
        if text:
            text.append("  ")
        text.append(f"{mark} {value} {severity}", style=style if value else "dim")
    return text


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage with one decimal; ``n/a`` for none."""
    if whole <= 0:
        return "n/a"
    return f"{100.0 * part / whole:.1f} %"


def age(then: datetime, now: datetime) -> str:
    """How long ago ``then`` was, coarse: ``12 s``, ``5 min``, ``3 h``, ``2 d``.

    A time in the future (a clock ahead of ours) reads ``in the future`` rather
    than a negative age."""
    seconds = int((now - then).total_seconds())
    return seconds_words(seconds) if seconds >= 0 else "in the future"


def seconds_words(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def duration_words(seconds: float) -> str:
    """A configured duration (retention) in whole days when it is one."""
    if seconds % 86400 == 0:
        days = int(seconds // 86400)
        return f"{days} day" if days == 1 else f"{days} days"
    return seconds_words(int(seconds))


def local_time(moment: datetime, tz: tzinfo | None) -> str:
    """``moment`` in the display zone (None: the machine's), to the minute."""
    shown = moment.astimezone(tz)
    return shown.strftime("%Y-%m-%d %H:%M %Z").strip()


def agent_text(site: SiteView, now: datetime) -> Text:
    """The site's agent: online or offline, and how old its last report is."""
    return agent_cell(site, now).copy()


def agent_cell(site: SiteView, now: datetime) -> Text:
    """``agent_text`` for a table cell, shared by every row that reads the
    same (2,000 sites, a few states and ages). Never change it."""
    seen = age(site.last_report_at, now) if site.last_report_at else None
    return _agent_cell(site.agent_id is not None, site.agent_online, seen)


@lru_cache(maxsize=1024)
def _agent_cell(has_agent: bool, online: bool | None, seen: str | None) -> Text:
    if not has_agent:
        return Text("— no agent", style="dim")
    said = f", {seen}" if seen is not None else ", never reported"
    if online:
        return Text(f"● online{said}", style="green")
    if online is None:
        return Text(f"? unknown{said}", style="yellow")
    return Text(f"○ OFFLINE{said}", style="bold red")


def cameras_text(site: SiteView) -> str:
    """Declared / seen / compliant."""
    return f"{site.cameras_declared}/{site.cameras_seen}/{site.cameras_compliant}"


def evidence_value(value: EvidenceValue) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "(none)"
    return str(value)


def evidence_lines(evidence: Mapping[str, EvidenceValue]) -> tuple[str, ...]:
    """``name: value`` per evidence item, in name order so that two reads of
    the same finding look the same."""
    return tuple(f"{name}: {evidence_value(evidence[name])}" for name in sorted(evidence))


def link_status(
    url: str,
    last_ok: datetime | None,
    error: str | None,
    now: datetime,
    retry_s: float,
    *,
    live: bool | None = None,
) -> tuple[str, bool]:
    """The status line and whether it is bad news.

    ``error`` is the last failure's message (None after a success); ``last_ok``
    when data was last fetched successfully (or a live change last arrived);
    ``live`` whether the event stream is up (None: not followed)."""
    if error is None:
        if last_ok is None:
            return (f"connecting to {url}…", False)
        text = f"✔ connected to {url}"
        updated = f"updated {age(last_ok, now)} ago"
        if live is None:
            return (f"{text} · {updated}", False)
        if live:
            return (f"{text} · ● live · {updated}", False)
        fallback = f"refreshing every {retry_s:g} s" if retry_s > 0 else "press r to refresh"
        return (f"{text} · {updated} · ○ live updates down, {fallback}", False)
    retry = f"retrying every {retry_s:g} s" if retry_s > 0 else "press r to retry"
    shown = (
        f"data shown is {age(last_ok, now)} old" if last_ok is not None else "no data yet"
    )
    if error.startswith("controller unreachable"):
        head = f"✖ controller unreachable at {url}"
    else:
        head = f"✖ {error}"
    return (f"{head}, {retry}; {shown}", True)
