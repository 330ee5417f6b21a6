"""A finding: one rule broken by one camera (or agent), with its evidence."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from schemas.base import Model
from schemas.rules import Severity, rule

EvidenceValue = str | int | float | bool | None | tuple[str, ...]


class Finding(Model):
    rule: str
    severity: Severity
    legal_basis: str
    summary: Annotated[str, StringConstraints(min_length=1)]
    """One line a person reads: what was seen, against what was declared."""
    evidence: dict[str, EvidenceValue]
    """The observed values the rule read, by name (units in the name: ``_s``, ``_days``)."""
    site_id: str | None = None
    camera_id: str | None = None
    """The declared camera, when the device matched one."""
    address: str | None = None
    """host:port of the device, when one was reached or declared."""
    agent_id: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity of the finding across audits: a finding is the same one
        while the same rule holds for the same subject."""
        subject = self.camera_id or self.address or self.agent_id or ""
        return (self.site_id or "", subject, self.rule)


def make_finding(
    rule_id: str,
    summary: str,
    evidence: dict[str, EvidenceValue],
    *,
    site_id: str | None = None,
    camera_id: str | None = None,
    address: str | None = None,
    agent_id: str | None = None,
) -> Finding:
    """A finding for ``rule_id`` with severity and legal basis from the catalog."""
    entry = rule(rule_id)
    return Finding(
        rule=entry.id,
        severity=entry.severity,
        legal_basis=entry.legal_basis,
        summary=summary,
        evidence=evidence,
        site_id=site_id,
        camera_id=camera_id,
        address=address,
        agent_id=agent_id,
    )
