"""One finding in full, as an inspector would read it, with its history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from rich.text import Text
from textual.widgets import Static

from schemas.api import FindingEvent, FindingView
from tui.format import age, evidence_lines, finding_state_text, local_time, severity_text

STEP_WORDS = {
    "opened": "● opened",
    "acknowledged": "◐ acknowledged",
    "escalated": "▲ escalated",
    "resolved": "✔ resolved",
    "reopened": "● reopened",
}


def finding_text(
    finding: FindingView,
    now: datetime,
    tz: tzinfo | None,
    history: Sequence[FindingEvent] | None = None,
) -> Text:
    """Title (English and Korean), severity, legal basis in words, summary,
    evidence, when it was first seen, who acknowledged it and why, and its
    history (None: not fetched yet)."""
    text = Text()
    text.append_text(severity_text(finding.severity))
    text.append(f"  {finding.rule}  ", style="bold")
    text.append_text(finding_state_text(finding.state))
    text.append(f"  #{finding.id}", style="dim")
    text.append(f"\n{finding.title}\n", style="bold")
    text.append(f"{finding.title_ko}\n")
    text.append("What: ", style="bold")
    text.append(f"{finding.summary}\n")
    text.append("Law: ", style="bold")
    text.append(f"{finding.legal_basis}\n")
    text.append("Evidence: ", style="bold")
    text.append("; ".join(evidence_lines(finding.evidence)) or "(none)")
    text.append("\nFirst seen: ", style="bold")
    text.append(
        f"{local_time(finding.first_seen, tz)} ({age(finding.first_seen, now)} ago)"
        f" · last seen {local_time(finding.last_seen, tz)}"
    )
    if finding.resolved_at is not None:
        text.append(f" · resolved {local_time(finding.resolved_at, tz)}")
    if finding.acknowledged_at is not None:
        text.append("\nAcknowledged: ", style="bold")
        text.append(f"{local_time(finding.acknowledged_at, tz)} by "
                    f"{finding.acknowledged_by or 'unknown'}: {finding.note or '(no note)'}")
    text.append("\nHistory: ", style="bold")
    if history is None:
        text.append("loading…", style="dim")
    for step in history or ():
        text.append(f"\n  {local_time(step.at, tz)}  {STEP_WORDS.get(step.kind, step.kind)}")
        if step.severity is not None:
            text.append(f" ({step.severity})")
        if step.by:
            text.append(f" by {step.by}")
        if step.note:
            text.append(f": {step.note}")
    return text


class FindingDetail(Static):
    DEFAULT_CSS = """
    FindingDetail {
        height: auto;
        padding: 0 1;
        border-top: solid $primary;
    }
    """

    def show(
        self,
        finding: FindingView | None,
        now: datetime,
        tz: tzinfo | None,
        history: Sequence[FindingEvent] | None = None,
    ) -> None:
        if finding is None:
            self.update(Text("✔ no findings for this camera", style="green"))
        else:
            self.update(finding_text(finding, now, tz, history))
