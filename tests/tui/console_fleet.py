"""A fixed fleet, built from the models of schemas.api, for the console's tests.

Two sites of the small test policy's organisation: the main building with
every camera state the console must show (compliant, findings, missing,
undeclared, unreachable, not audited), and an annex that is fully compliant
but whose agent is offline. Times are fixed around ``NOW`` so that ages and
snapshots never change between runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from schemas.api import (
    AgentPolicyView,
    CameraDetail,
    CameraView,
    FindingEvent,
    FindingView,
    FleetView,
    PolicyDetail,
    PolicyVersionView,
    SeverityCounts,
    SiteView,
)
from schemas.facts import (
    AudioFacts,
    CameraFacts,
    ClockFacts,
    DeviceInfo,
    ObservedIdentity,
    PtzFacts,
    PtzPosition,
    PtzPresetFact,
    RecordingFact,
    RecordingFacts,
    RecordingJobFact,
    SecurityFacts,
    TrackFact,
)
from schemas.findings import EvidenceValue
from schemas.policy import DeclaredCamera, Identity, Preset, PtzPolicy
from schemas.policy_file import load_policy
from schemas.rules import rule

NOW = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
MAIN = "test-main"
ANNEX = "test-annex"
POLICY_FILE = Path(__file__).parent.parent / "fixtures" / "policy-small.yaml"
OPERATOR_TOKEN = "op-token-1"
VIEWER_TOKEN = "viewer-token-1"
TOKENS = {OPERATOR_TOKEN: ("kim.operator", "operator"), VIEWER_TOKEN: ("lee.viewer", "viewer")}
"""Token -> (name, role), as the stand-in controller knows them."""


@dataclass
class FleetData:
    """Everything the stand-in controller serves. Tests may replace fields
    (the models are frozen; replace, don't edit) to simulate change."""

    fleet: FleetView
    sites: tuple[SiteView, ...]
    cameras: dict[str, tuple[CameraView, ...]]
    details: dict[tuple[str, str], CameraDetail]
    findings: tuple[FindingView, ...] = field(default=())
    history: dict[int, tuple[FindingEvent, ...]] = field(default_factory=dict)
    policies: tuple[PolicyDetail, ...] = field(default=())


def finding(
    finding_id: int,
    rule_id: str,
    summary: str,
    evidence: dict[str, EvidenceValue],
    *,
    site_id: str = MAIN,
    camera_key: str,
    first_seen: datetime,
) -> FindingView:
    entry = rule(rule_id)
    return FindingView(
        id=finding_id,
        rule=entry.id,
        severity=entry.severity,
        title=entry.title,
        title_ko=entry.title_ko,
        legal_basis=entry.legal_basis,
        summary=summary,
        evidence=evidence,
        site_id=site_id,
        camera_key=camera_key,
        state="open",
        first_seen=first_seen,
        last_seen=NOW - timedelta(seconds=40),
    )


def _facts(address: str, serial: str, *, audio_profiles: tuple[str, ...] = ()) -> CameraFacts:
    return CameraFacts(
        identity=ObservedIdentity(address=address, serial=serial),
        device=DeviceInfo(
            manufacturer="Hanwha", model="XNV-8080R", firmware="2.21.01", serial=serial
        ),
        audio=AudioFacts(sources=1, encoder_profiles=audio_profiles),
        ptz=PtzFacts(nodes=()),
        recording=RecordingFacts(
            recordings=(
                RecordingFact(
                    token="rec0",
                    max_retention_seconds=30 * 86400,
                    tracks=(TrackFact(token="v0", type="Video"),),
                ),
            ),
            jobs=(RecordingJobFact(token="job0", recording_token="rec0", mode="Active",
                                   state="Active"),),
            data_from=NOW - timedelta(days=30),
            data_until=NOW - timedelta(seconds=50),
        ),
        clock=ClockFacts(
            observed_at=NOW - timedelta(seconds=40),
            camera_utc=NOW - timedelta(seconds=40) + timedelta(seconds=1.5),
            ntp=True,
            ntp_servers=("127.0.0.1",),
        ),
        security=SecurityFacts(anonymous_access=False, auth_scheme="ws-security", tls=False),
    )


def build_fleet() -> FleetData:
    """The fixed fleet every console test starts from."""
    cam1 = DeclaredCamera(
        id="test-main-cam1", name="Cam1", location="1F lobby", coverage="lobby and entrance",
        identity=Identity(serial="TEST-0001"),
    )
    cam2 = DeclaredCamera(
        id="test-main-cam2", name="Cam2", location="car park", coverage="car park entrance",
        identity=Identity(serial="TEST-0002"),
    )
    cam3 = DeclaredCamera(
        id="test-main-cam3", name="Cam3", location="outer wall", coverage="front gate",
        identity=Identity(serial="TEST-0003"),
        ptz=PtzPolicy(
            approved=True, home_preset="gate",
            presets=(Preset(name="gate", pan=0.25, tilt=-0.1, zoom=0.0),),
        ),
    )
    cam4 = DeclaredCamera(
        id="test-main-cam4", name="Cam4", location="B1 corridor", coverage="stairs",
        identity=Identity(serial="TEST-0004"),
    )
    cam5 = DeclaredCamera(
        id="test-main-cam5", name="Cam5", location="roof", coverage="roof access",
        identity=Identity(serial="TEST-0005"),
    )
    annex1 = DeclaredCamera(
        id="test-annex-cam1", name="Cam1", location="annex entrance", coverage="entrance",
        identity=Identity(serial="TEST-0101"),
    )
    undeclared_addr = "127.0.0.1:18099"

    f_audio = finding(
        1, "audio.encoder-enabled",
        "profile main streams audio (AAC) though the policy forbids audio recording",
        {"profiles": ("main",), "audio_sources": 1},
        camera_key="test-main-cam2", first_seen=NOW - timedelta(hours=5),
    )
    f_retention = finding(
        2, "retention.configured-too-long",
        "the recorder keeps footage 90 days; the policy declares 30",
        {"max_retention_days": 90, "declared_days": 30},
        camera_key="test-main-cam2", first_seen=NOW - timedelta(days=3),
    )
    f_undeclared = finding(
        3, "inventory.undeclared",
        f"a device at {undeclared_addr} answered ONVIF but matches no declared camera",
        {"address": undeclared_addr, "serial": "ROGUE-77"},
        camera_key=undeclared_addr, first_seen=NOW - timedelta(minutes=30),
    )
    f_missing = finding(
        4, "inventory.missing",
        "Cam4 (serial TEST-0004) was not found by the last full audit",
        {"serial": "TEST-0004"},
        camera_key="test-main-cam4", first_seen=NOW - timedelta(hours=2),
    )
    f_unreachable = finding(
        5, "camera.unreachable",
        "Cam5 has not answered ONVIF for 12 minutes",
        {"last_answer_s": 720},
        camera_key="test-main-cam5", first_seen=NOW - timedelta(minutes=12),
    )
    f_agent = finding(
        6, "agent.offline",
        "the annex agent sent its last will 20 minutes ago",
        {"agent_id": "agent-annex"},
        site_id=ANNEX, camera_key="agent-annex", first_seen=NOW - timedelta(minutes=20),
    )

    seen = NOW - timedelta(seconds=40)
    main_cameras = (
        CameraView(
            site_id=MAIN, key=cam1.id, camera_id=cam1.id, name=cam1.name, location=cam1.location,
            coverage=cam1.coverage, declared=True, state="compliant", address="127.0.0.1:18001",
            manufacturer="Hanwha", model="XNV-8080R", firmware="2.21.01", serial="TEST-0001",
            last_seen=seen,
        ),
        CameraView(
            site_id=MAIN, key=cam2.id, camera_id=cam2.id, name=cam2.name, location=cam2.location,
            coverage=cam2.coverage, declared=True, state="findings", address="127.0.0.1:18002",
            manufacturer="Hanwha", model="XNV-8080R", firmware="2.21.01", serial="TEST-0002",
            last_seen=seen, findings_open=SeverityCounts(critical=1, warning=1),
        ),
        CameraView(
            site_id=MAIN, key=cam3.id, camera_id=cam3.id, name=cam3.name, location=cam3.location,
            coverage=cam3.coverage, declared=True, state="unknown",
        ),
        CameraView(
            site_id=MAIN, key=cam4.id, camera_id=cam4.id, name=cam4.name, location=cam4.location,
            coverage=cam4.coverage, declared=True, state="missing",
            findings_open=SeverityCounts(warning=1),
        ),
        CameraView(
            site_id=MAIN, key=cam5.id, camera_id=cam5.id, name=cam5.name, location=cam5.location,
            coverage=cam5.coverage, declared=True, state="unreachable", address="127.0.0.1:18005",
            manufacturer="Axis", model="P3245-V", firmware="10.12.1",
            last_seen=NOW - timedelta(minutes=12), findings_open=SeverityCounts(critical=1),
        ),
        CameraView(
            site_id=MAIN, key=undeclared_addr, camera_id=None, name="", location="",
            coverage="", declared=False, state="undeclared", address=undeclared_addr,
            manufacturer="Generic", model="IPC-1", firmware="1.0", serial="ROGUE-77",
            last_seen=seen, findings_open=SeverityCounts(critical=1),
        ),
    )
    annex_cameras = (
        CameraView(
            site_id=ANNEX, key=annex1.id, camera_id=annex1.id, name=annex1.name,
            location=annex1.location, coverage=annex1.coverage, declared=True,
            state="compliant", address="127.0.0.1:18101", manufacturer="Hanwha",
            model="XNV-8080R", firmware="2.21.01", serial="TEST-0101",
            last_seen=NOW - timedelta(minutes=21),
        ),
    )
    sites = (
        SiteView(
            site_id=MAIN, name="본관", policy_id="test-office", policy_version="2026-01-01",
            organisation="Test Office", storage_place="server room", cameras_declared=5,
            cameras_seen=3, cameras_compliant=1,
            findings_open=SeverityCounts(critical=3, warning=2),
            agent_id="agent-main", agent_online=True, last_report_at=NOW - timedelta(seconds=40),
        ),
        SiteView(
            site_id=ANNEX, name="별관", policy_id="test-office", policy_version="2026-01-01",
            organisation="Test Office", storage_place="security office", cameras_declared=1,
            cameras_seen=1, cameras_compliant=1,
            findings_open=SeverityCounts(critical=1),
            agent_id="agent-annex", agent_online=False,
            last_report_at=NOW - timedelta(minutes=21),
        ),
    )
    details = {
        (MAIN, cam1.id): CameraDetail(
            camera=main_cameras[0], declared=cam1,
            observed=_facts("127.0.0.1:18001", "TEST-0001"), findings=(),
        ),
        (MAIN, cam2.id): CameraDetail(
            camera=main_cameras[1], declared=cam2,
            observed=_facts("127.0.0.1:18002", "TEST-0002", audio_profiles=("main",)),
            findings=(f_retention, f_audio),
        ),
        (MAIN, cam3.id): CameraDetail(
            camera=main_cameras[2], declared=cam3, observed=None, findings=(),
        ),
        (MAIN, cam4.id): CameraDetail(
            camera=main_cameras[3], declared=cam4, observed=None, findings=(f_missing,),
        ),
        (MAIN, cam5.id): CameraDetail(
            camera=main_cameras[4], declared=cam5, observed=None, findings=(f_unreachable,),
        ),
        (MAIN, undeclared_addr): CameraDetail(
            camera=main_cameras[5], declared=None,
            observed=CameraFacts(
                identity=ObservedIdentity(address=undeclared_addr, serial="ROGUE-77"),
                device=DeviceInfo(
                    manufacturer="Generic", model="IPC-1", firmware="1.0", serial="ROGUE-77"
                ),
                ptz=PtzFacts(
                    nodes=("ptz0",), position=PtzPosition(pan=0.5, tilt=0.0, zoom=0.1),
                    presets=(PtzPresetFact(token="1", name="window"),),
                ),
                security=SecurityFacts(anonymous_access=True, auth_scheme="none", tls=False),
            ),
            findings=(f_undeclared,),
        ),
        (ANNEX, annex1.id): CameraDetail(
            camera=annex_cameras[0], declared=annex1,
            observed=_facts("127.0.0.1:18101", "TEST-0101"), findings=(),
        ),
    }
    fleet = FleetView(
        generated_at=NOW, sites=2, cameras_declared=6, cameras_seen=4, cameras_compliant=2,
        findings_open=SeverityCounts(critical=4, warning=2), agents_online=1, agents_known=2,
    )
    findings = (f_audio, f_retention, f_undeclared, f_missing, f_unreachable, f_agent)
    history = {
        f.id: (FindingEvent(finding_id=f.id, kind="opened", at=f.first_seen, severity=f.severity),)
        for f in findings
    }
    return FleetData(
        fleet=fleet,
        sites=sites,
        cameras={MAIN: main_cameras, ANNEX: annex_cameras},
        details=details,
        findings=findings,
        history=history,
        policies=(build_policy(),),
    )


def build_policy() -> PolicyDetail:
    """The small test policy, loaded at 08:00; the main agent runs its
    version, the annex agent (offline) still an older one."""
    policy = load_policy(POLICY_FILE)
    summary = PolicyVersionView(
        policy_id=policy.policy_id, version=policy.version,
        organisation=policy.organisation.name, sites=tuple(s.id for s in policy.sites),
        loaded_at=NOW - timedelta(hours=1),
        agents=(
            AgentPolicyView(agent_id="agent-main", site_id=MAIN, policy_version=policy.version,
                            reported_at=NOW - timedelta(seconds=40)),
            AgentPolicyView(agent_id="agent-annex", site_id=ANNEX, policy_version="2025-06-01",
                            reported_at=NOW - timedelta(minutes=21)),
        ),
    )
    return PolicyDetail(summary=summary, policy=policy)
