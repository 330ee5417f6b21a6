"""Valid wire messages for the controller's tests, built with
schemas.messages so that every test speaks the real vocabulary."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from controller.auth import TokenEntry, hash_token
from schemas.facts import (
    AudioFacts,
    CameraFacts,
    ClockFacts,
    DeviceInfo,
    ObservedIdentity,
    RecordingFacts,
    RecordingJobFact,
    SecurityFacts,
)
from schemas.messages import AgentBirth, AgentDeath, CameraObservation, CameraReport, CycleReport


def uid() -> str:
    return uuid.uuid4().hex


def now() -> datetime:
    return datetime.now(UTC)


def facts(
    address: str,
    serial: str,
    at: datetime,
    *,
    audio: bool = False,
    manufacturer: str = "Acme",
) -> CameraFacts:
    """A device that obeys the small test policy, or carries an audio encoder."""
    return CameraFacts(
        identity=ObservedIdentity(address=address, serial=serial),
        device=DeviceInfo(manufacturer=manufacturer, model="C1", firmware="1.0", serial=serial),
        audio=AudioFacts(sources=0, encoder_profiles=("main",) if audio else ()),
        recording=RecordingFacts(
            jobs=(RecordingJobFact(token="j", recording_token="r", mode="Active", state="Active"),),
            data_from=at - timedelta(days=29, hours=12),
            data_until=at - timedelta(seconds=20),
        ),
        clock=ClockFacts(observed_at=at, camera_utc=at, ntp=True, ntp_servers=("ntp",)),
        security=SecurityFacts(anonymous_access=False, auth_scheme="ws-security", tls=None),
    )


class Agent:
    """One simulated agent of one site: births, reports, cycles, deaths."""

    def __init__(self, site_id: str, agent_id: str = "agent-1", interval_s: float = 60.0) -> None:
        self.site_id = site_id
        self.agent_id = agent_id
        self.session_id = uid()
        self.interval_s = interval_s
        self.cycle_id = uid()

    def birth(self, at: datetime | None = None) -> AgentBirth:
        return AgentBirth(
            agent_id=self.agent_id,
            site_id=self.site_id,
            session_id=self.session_id,
            started_at=at or now(),
            software_version="test",
            policy_id="test-office",
            policy_version="2026-01-01",
            interval_s=self.interval_s,
            targets=3,
        )

    def death(self) -> AgentDeath:
        return AgentDeath(agent_id=self.agent_id, site_id=self.site_id, session_id=self.session_id)

    def report(
        self,
        address: str,
        serial: str | None,
        *,
        at: datetime | None = None,
        camera_id: str | None = None,
        audio: bool = False,
        reachable: bool = True,
    ) -> CameraReport:
        at = at or now()
        observation = CameraObservation(
            address=address,
            reachable=reachable,
            observed_at=at,
            camera_id=camera_id,
            facts=facts(address, serial, at, audio=audio) if reachable and serial else None,
        )
        return CameraReport(
            report_id=uid(),
            agent_id=self.agent_id,
            site_id=self.site_id,
            session_id=self.session_id,
            cycle_id=self.cycle_id,
            policy_id="test-office",
            policy_version="2026-01-01",
            observation=observation,
        )

    def cycle(self, addresses: tuple[str, ...], at: datetime | None = None) -> CycleReport:
        at = at or now()
        message = CycleReport(
            report_id=uid(),
            agent_id=self.agent_id,
            site_id=self.site_id,
            session_id=self.session_id,
            cycle_id=self.cycle_id,
            started_at=at - timedelta(seconds=1),
            finished_at=at,
            addresses=addresses,
            camera_reports=len(addresses),
        )
        self.cycle_id = uid()
        return message


OPERATOR_TOKEN = "cw_test-operator-token"
VIEWER_TOKEN = "cw_test-viewer-token"


def token_entries() -> tuple[TokenEntry, ...]:
    """An operator ("olga") and a viewer ("victor")."""
    return (
        TokenEntry(name="olga", role="operator", sha256=hash_token(OPERATOR_TOKEN)),
        TokenEntry(name="victor", role="viewer", sha256=hash_token(VIEWER_TOKEN)),
    )


def bearer(token: str = VIEWER_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
