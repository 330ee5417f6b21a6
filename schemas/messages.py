"""Wire messages between agents and controllers, and the audit JSON.

Every message carries ``schema_version`` and a ``kind``; each MQTT topic kind
carries exactly one message model (``schemas.topics.MESSAGE_FOR_KIND``).
Payloads are UTF-8 JSON made by ``model_dump_json`` and read by
``schemas.topics.decode``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from schemas.base import Model
from schemas.facts import CameraFacts, DeviceInfo
from schemas.findings import Finding
from schemas.policy import Policy, Slug
from schemas.rules import Severity

Uuid = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
"""A uuid4 as 32 lower-case hex digits (``uuid.uuid4().hex``)."""

ErrorKind = Literal["unreachable", "auth-failed", "not-supported", "protocol", "timeout"]


class CameraErrorInfo(Model):
    kind: ErrorKind
    operation: str
    message: str


class CameraObservation(Model):
    """One camera as one audit saw it."""

    address: str
    reachable: bool
    observed_at: AwareDatetime
    camera_id: str | None = None
    """The declared camera the device matched, if any."""
    device: DeviceInfo | None = None
    facts: CameraFacts | None = None
    findings: tuple[Finding, ...] = ()
    errors: tuple[CameraErrorInfo, ...] = ()


class AuditReport(Model):
    """The output of ``camwarden audit --json``."""

    schema_version: Literal[1] = 1
    audited_at: AwareDatetime
    policy_id: str | None = None
    policy_version: str | None = None
    site_id: str | None = None
    cameras: tuple[CameraObservation, ...]


class AgentBirth(Model):
    """Retained on the agent's birth topic while it runs."""

    schema_version: Literal[1] = 1
    kind: Literal["birth"] = "birth"
    agent_id: Slug
    site_id: Slug
    session_id: Uuid
    started_at: AwareDatetime
    software_version: str
    policy_id: str
    policy_version: str
    interval_s: float = Field(gt=0)
    """How often the agent audits its cameras; silence for several intervals means trouble."""
    targets: int = Field(ge=0)


class AgentDeath(Model):
    """The agent's last will (and its clean goodbye). Carries the session id so
    that a stale will never marks a newer session dead."""

    schema_version: Literal[1] = 1
    kind: Literal["death"] = "death"
    agent_id: Slug
    site_id: Slug
    session_id: Uuid


class CameraReport(Model):
    """One camera observation, sent once per camera per audit cycle."""

    schema_version: Literal[1] = 1
    kind: Literal["camera-report"] = "camera-report"
    report_id: Uuid
    agent_id: Slug
    site_id: Slug
    session_id: Uuid
    cycle_id: Uuid
    policy_id: str
    policy_version: str
    observation: CameraObservation


MAX_BATCH_REPORTS = 1000
"""At most this many camera reports in one ``CameraReportBatch``."""
MAX_BATCH_BYTES = 1_048_576
"""At most this many bytes of JSON in one ``CameraReportBatch`` payload
(``schemas.topics.decode`` refuses a larger one). The controller's default
``max_payload_bytes`` is the same 1 MiB."""


class BatchedReport(Model):
    """One camera's report inside a ``CameraReportBatch``: its own report
    id (idempotency and counting stay per camera report) and observation."""

    report_id: Uuid
    observation: CameraObservation


class CameraReportBatch(Model):
    """Several full camera reports of one audit cycle in one message, so a
    large site costs the broker one message per batch, not one per camera.
    What every report of the cycle shares is said once; each item is what
    a ``CameraReport`` would carry on its own (``camera_reports()``).
    Report ids are unique within a batch."""

    schema_version: Literal[1] = 1
    kind: Literal["camera-report-batch"] = "camera-report-batch"
    agent_id: Slug
    site_id: Slug
    session_id: Uuid
    cycle_id: Uuid
    policy_id: str
    policy_version: str
    reports: tuple[BatchedReport, ...] = Field(min_length=1, max_length=MAX_BATCH_REPORTS)

    @model_validator(mode="after")
    def _unique_report_ids(self) -> CameraReportBatch:
        seen: set[str] = set()
        for index, item in enumerate(self.reports):
            if item.report_id in seen:
                raise ValueError(f"reports.{index}: report id {item.report_id} appears twice")
            seen.add(item.report_id)
        return self

    def camera_reports(self) -> tuple[CameraReport, ...]:
        """Each item as the ``CameraReport`` it stands for (already
        validated, so built without validating again)."""
        return tuple(
            CameraReport.model_construct(
                report_id=item.report_id,
                agent_id=self.agent_id,
                site_id=self.site_id,
                session_id=self.session_id,
                cycle_id=self.cycle_id,
                policy_id=self.policy_id,
                policy_version=self.policy_version,
                observation=item.observation,
            )
            for item in self.reports
        )


class CycleReport(Model):
    """Sent after every camera report of one full audit of the site, so the
    controller knows the site was audited in full (and may call a declared
    camera missing)."""

    schema_version: Literal[1] = 1
    kind: Literal["cycle"] = "cycle"
    report_id: Uuid
    agent_id: Slug
    site_id: Slug
    session_id: Uuid
    cycle_id: Uuid
    started_at: AwareDatetime
    finished_at: AwareDatetime
    addresses: tuple[str, ...]
    """Every address audited in this cycle."""
    camera_reports: int = Field(ge=0)


FactsHash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""``schemas.fingerprint.observation_fingerprint``: SHA-256 as 64 hex digits."""


class HeartbeatEntry(Model):
    """One camera that is still as last reported in full."""

    address: str
    reachable: bool
    facts_hash: FactsHash
    """The fingerprint of the last full report of this camera: the controller
    applies the heartbeat only if it holds an observation with this hash."""


class CameraHeartbeat(Model):
    """Cameras whose facts and findings did not change since their last full
    report, audited again at ``observed_at``: "still so, seen now". Sent once
    per cycle (in chunks for a large site), before the cycle report; a
    camera that changed travels as a full ``CameraReport`` instead."""

    schema_version: Literal[1] = 1
    kind: Literal["heartbeat"] = "heartbeat"
    report_id: Uuid
    agent_id: Slug
    site_id: Slug
    session_id: Uuid
    cycle_id: Uuid
    policy_id: str
    policy_version: str
    observed_at: AwareDatetime
    cameras: tuple[HeartbeatEntry, ...] = Field(min_length=1)


AgentMessage = (
    AgentBirth | AgentDeath | CameraReport | CameraReportBatch | CycleReport | CameraHeartbeat
)


class PolicyMessage(Model):
    """A site's policy, published retained by the controller on the site's
    policy topic. Agents use the newest version they receive and name it in
    every report (``policy_version``)."""

    schema_version: Literal[1] = 1
    kind: Literal["policy"] = "policy"
    site_id: Slug
    policy_id: str
    version: str
    published_at: AwareDatetime
    policy: Policy


AlertEvent = Literal["opened", "escalated", "resolved", "reopened"]


class AlertMessage(Model):
    """A finding that opened, escalated, reopened or resolved, as the
    controller announces it on the site's alert topic (and to webhooks)."""

    schema_version: Literal[1] = 1
    kind: Literal["alert"] = "alert"
    alert_id: Uuid
    event: AlertEvent
    at: AwareDatetime
    site_id: Slug
    finding_id: int
    rule: str
    severity: Severity
    camera_key: str
    """The camera id, the address of an undeclared device, or the agent id."""
    summary: str
    legal_basis: str
