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
    /api/v1/findings/{id}                   FindingView
    /api/v1/findings/{id}/history           tuple[FindingEvent, ...]
    POST /api/v1/findings/{id}/acknowledge  AcknowledgeRequest -> FindingView   (operator role)
    /api/v1/policies                        Page[PolicyVersionView]
    /api/v1/policies/{policy_id}            PolicyDetail
    /api/v1/events                          text/event-stream of ChangeEvent (one SSE event per
                                            change: "event: <kind>" and "data: <ChangeEvent json>";
                                            "id:" is ChangeEvent.seq; Last-Event-ID resumes)

Authentication: every route but /api/v1/health needs ``Authorization: Bearer
TOKEN``; 401 without a valid token, 403 when the token's role may not do it.
Roles: ``viewer`` reads everything; ``operator`` also acknowledges.
Errors are ``{"error": "what is wrong"}`` with a 4xx/5xx status.
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import AwareDatetime, Field

from schemas.base import Model
from schemas.facts import CameraFacts
from schemas.findings import EvidenceValue
from schemas.policy import DeclaredCamera, Policy
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
    acknowledged_by: str | None = None
    acknowledged_at: AwareDatetime | None = None
    note: str | None = None
    """The acknowledging operator's note."""


FindingEventKind = Literal["opened", "acknowledged", "escalated", "resolved", "reopened"]


class FindingEvent(Model):
    """One step of a finding's history (never deleted)."""

    finding_id: int
    kind: FindingEventKind
    at: AwareDatetime
    by: str | None = None
    """Who: an operator's name for acknowledgements, None for the controller's own changes."""
    note: str | None = None
    severity: Severity | None = None


class AcknowledgeRequest(Model):
    note: str = Field(min_length=1, max_length=2000)
    """Why it is acknowledged (what is being done about it)."""


class AgentPolicyView(Model):
    agent_id: str
    site_id: str
    policy_version: str
    """The version the agent said its latest findings were computed with."""
    reported_at: AwareDatetime


class PolicyVersionView(Model):
    policy_id: str
    version: str
    organisation: str
    sites: tuple[str, ...]
    loaded_at: AwareDatetime
    agents: tuple[AgentPolicyView, ...] = ()


class PolicyDetail(Model):
    summary: PolicyVersionView
    policy: Policy


ChangeKind = Literal["finding", "site", "agent", "heartbeat"]


class ChangeEvent(Model):
    """One change the controller made, pushed to consoles as it happens.

    ``finding``: a finding opened, acknowledged, escalated, resolved or
    reopened (``finding`` and ``event`` are set); ``site``: a site's summary
    changed (``site`` set); ``agent``: an agent came online or went offline
    (``site`` set); ``heartbeat``: nothing changed, the stream is alive.
    """

    seq: int = Field(ge=0)
    kind: ChangeKind
    at: AwareDatetime
    site_id: str | None = None
    finding: FindingView | None = None
    event: FindingEvent | None = None
    site: SiteView | None = None


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
