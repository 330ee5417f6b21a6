"""The JSON the controller's HTTP API serves and the console reads.

The controller builds these; ``tui`` parses them with ``model_validate_json``.
Routes (all GET, JSON)::

    /api/v1/health                          {"status": "ok"}
    /api/v1/fleet                           FleetView
    /api/v1/sites                           Page[SiteView]
    /api/v1/sites/{site_id}                 SiteView
    /api/v1/sites/{site_id}/cameras         Page[CameraView]   ?state= &offset= &limit=
    /api/v1/cameras/{site_id}/{camera_key}  CameraDetail       (camera_key: camera id, or the
                                                                address for an undeclared device)
    /api/v1/findings                        Page[FindingView]  ?site= &camera= &rule= &severity=
                                                               &state= &offset= &limit=
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import AwareDatetime, Field

from schemas.base import Model
from schemas.facts import CameraFacts
from schemas.findings import EvidenceValue
from schemas.policy import DeclaredCamera
from schemas.rules import Severity

CameraState = Literal["compliant", "findings", "missing", "undeclared", "unreachable", "unknown"]
"""compliant: seen and no open finding; findings: seen with open findings;
missing: declared, a full audit did not find it; undeclared: seen, not
declared; unreachable: known but not answering; unknown: declared, not yet
audited."""

FindingState = Literal["open", "acknowledged", "resolved"]

T = TypeVar("T")


class SeverityCounts(Model):
    critical: int = 0
    warning: int = 0
    info: int = 0


class FleetView(Model):
    generated_at: AwareDatetime
    sites: int
    cameras_declared: int
    cameras_seen: int
    cameras_compliant: int
    findings_open: SeverityCounts
    agents_online: int
    agents_known: int


class SiteView(Model):
    site_id: str
    name: str
    policy_id: str
    policy_version: str
    organisation: str
    storage_place: str
    cameras_declared: int
    cameras_seen: int
    cameras_compliant: int
    findings_open: SeverityCounts
    agent_id: str | None = None
    agent_online: bool | None = None
    last_report_at: AwareDatetime | None = None


class CameraView(Model):
    site_id: str
    key: str
    """The camera id, or the address of an undeclared device."""
    camera_id: str | None
    name: str
    location: str
    coverage: str
    declared: bool
    state: CameraState
    address: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    serial: str | None = None
    last_seen: AwareDatetime | None = None
    findings_open: SeverityCounts = SeverityCounts()


class FindingView(Model):
    id: int
    rule: str
    severity: Severity
    title: str
    title_ko: str
    legal_basis: str
    summary: str
    evidence: dict[str, EvidenceValue]
    site_id: str
    camera_key: str
    """The camera id, the address of an undeclared device, or the agent id."""
    state: FindingState
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    resolved_at: AwareDatetime | None = None


class CameraDetail(Model):
    camera: CameraView
    declared: DeclaredCamera | None
    observed: CameraFacts | None
    findings: tuple[FindingView, ...]


class Page(Model, Generic[T]):
    items: tuple[T, ...]
    total: int = Field(ge=0)
    offset: int = Field(ge=0)
    limit: int = Field(ge=1)
