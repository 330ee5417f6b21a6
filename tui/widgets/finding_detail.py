"""One finding in full, as an inspector would read it."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.widgets import Static

from schemas.api import FindingView
from tui.format import age, evidence_lines, finding_state_text, local_time, severity_text


def finding_text(finding: FindingView, now: datetime, tz: tzinfo | None) -> Text:
    """Title (English and Korean), severity, legal basis in words, summary,
    evidence and when it was first seen."""
    text = Text()
    text.append_text(severity_text(finding.severity))
    text.append(f"  {finding.rule}  ", style="bold")
    text.append_text(finding_state_text(finding.state))
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
    return text


class FindingDetail(Static):
    DEFAULT_CSS = """
    FindingDetail {
        height: auto;
        padding: 0 1;
        border-top: solid $primary;
    }
    """

    def show(self, finding: FindingView | None, now: datetime, tz: tzinfo | None) -> None:
        if finding is None:
            self.update(Text("✔ no findings for this camera", style="green"))
        else:
            self.update(finding_text(finding, now, tz))
