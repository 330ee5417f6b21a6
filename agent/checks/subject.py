"""Who a finding is about, and the camera's own idea of now.

Every family of checks builds its findings through one ``Subject`` so that
site, camera and address are filled the same way everywhere, and reads the
camera's clock through ``camera_now`` so that footage timestamps (stamped by
the camera) are compared with the camera's time, not the agent's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.facts import CameraFacts
from schemas.findings import EvidenceValue, Finding, make_finding


@dataclass(frozen=True, slots=True)
class Subject:
    """The site, declared camera (if any) and address a finding names."""

    site_id: str | None
    camera_id: str | None
    address: str | None

    def finding(self, rule_id: str, summary: str, evidence: dict[str, EvidenceValue]) -> Finding:
        return make_finding(
            rule_id,
            summary,
            evidence,
            site_id=self.site_id,
            camera_id=self.camera_id,
            address=self.address,
        )


def require_aware(now: datetime, name: str = "now") -> None:
    """Raise ValueError when ``now`` is naive: every time inside is aware UTC."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime (UTC), got naive {now!r}")


def camera_now(facts: CameraFacts, now: datetime) -> datetime:
    """``now`` as the camera's clock shows it: now plus the measured clock
    offset, or ``now`` itself when the clock is unknown."""
    if facts.clock is None:
        return now
    return now + timedelta(seconds=facts.clock.offset_seconds)


def quoted(names: tuple[str, ...] | list[str]) -> str:
    """``'a', 'b'`` for summaries."""
    return ", ".join(f"{name!r}" for name in names)


def days(seconds: float) -> float:
    """Seconds as days, rounded for people (2 decimals)."""
    return round(seconds / 86400.0, 2)
