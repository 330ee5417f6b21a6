"""The rule catalog: every finding camwarden can raise.

Rule ids are public API (findings in databases, alerts, exports and
inspectors' reports refer to them): later work adds rules, never renames one.
Each rule names its legal basis in words an inspector would accept, and the
evidence it reads, so that a finding can be shown as it is.
"""

from __future__ import annotations

from typing import Literal

from schemas.base import Model

Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")
"""Most severe first."""

PIPA_25_5 = (
    "PIPA Art. 25(5): a CCTV operator may not arbitrarily manipulate the camera for "
    "purposes other than those of installation, point it elsewhere, or use its "
    "audio-recording function"
)
PIPA_29 = (
    "PIPA Art. 29 and the Standards for Securing the Safety of Personal Information: "
    "technical safeguards against loss, theft, leakage, forgery and alteration"
)
RETENTION = (
    "PIPA Art. 21(1) and Art. 25(7); Standard PI Protection Guidelines on CCTV (retention "
    "and destruction): footage is kept only for the retention period the published "
    "policy declares and destroyed without delay after it"
)
RECORDING = (
    "The published policy's recording hours (24 hours, every day) and its equipment "
    "duty: check that recording is continuous and restore faults promptly"
)
INVENTORY = (
    "PIPA Art. 25(1) and 25(7): every camera must be installed for a lawful purpose and "
    "be covered by the published operation and management policy (number, place, range)"
)
ACCESS_REQUESTS = (
    "PIPA Art. 35 and the Standard PI Protection Guidelines (CCTV, Art. 44): a data "
    "subject's request to confirm the existence of, or to view, their footage is "
    "answered within 10 days; a refusal is notified in writing within 10 days with "
    "its reason"
)
SELF_INSPECTION = (
    "PIPA Art. 29 and the Standard PI Protection Guidelines Art. 48 (inspection of CCTV "
    "installation and operation); the organisation's internal management plan and published "
    "policy (seed 004): the nine-item self-inspection checklist is run twice a year (March "
    "and September)"
)


class Rule(Model):
    id: str
    severity: Severity
    title: str
    title_ko: str
    legal_basis: str
    evidence: str
    """Which observation the rule reads, in words."""


def _rule(
    rule_id: str, severity: Severity, title: str, title_ko: str, legal_basis: str, evidence: str
) -> Rule:
    return Rule(
        id=rule_id,
        severity=severity,
        title=title,
        title_ko=title_ko,
        legal_basis=legal_basis,
        evidence=evidence,
    )


CATALOG: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        _rule(
            "audio.encoder-enabled", "critical",
            "A media profile carries an audio encoder", "녹음 기능 사용(오디오 인코더)",
            PIPA_25_5,
            "Media/Media2 GetProfiles: a profile with an AudioEncoderConfiguration",
        ),
        _rule(
            "audio.recorded", "critical",
            "A recording holds an audio track", "녹음 기능 사용(오디오 트랙 녹화)",
            PIPA_25_5,
            "Recording GetRecordings: a track of type Audio",
        ),
        _rule(
            "audio.capable", "info",
            "The camera has an audio input (not in use)", "오디오 입력 장치 보유",
            PIPA_25_5,
            "Media GetAudioSources: at least one audio source",
        ),
        _rule(
            "ptz.unapproved", "critical",
            "Pan/tilt/zoom on a camera the policy does not approve for it",
            "승인되지 않은 PTZ(임의 조작 가능)",
            PIPA_25_5,
            "PTZ GetNodes: at least one PTZ node",
        ),
        _rule(
            "ptz.off-preset", "critical",
            "The camera points away from its approved preset", "승인된 촬영 방향 이탈",
            PIPA_25_5,
            "PTZ GetStatus position compared with the approved home preset",
        ),
        _rule(
            "ptz.unapproved-preset", "warning",
            "The camera holds a preset the policy does not approve", "승인되지 않은 프리셋",
            PIPA_25_5,
            "PTZ GetPresets: a preset name not among the approved presets",
        ),
        _rule(
            "recording.not-recording", "critical",
            "The camera is not recording", "녹화 중단",
            RECORDING,
            "Recording GetRecordingJobs/GetRecordingJobState: no job active",
        ),
        _rule(
            "recording.gap", "warning",
            "The newest footage lags behind now", "녹화 공백",
            RECORDING,
            "Search GetRecordingSummary DataUntil compared with the camera's time",
        ),
        _rule(
            "retention.configured-too-long", "warning",
            "The recorder is set to keep footage longer than the policy", "보관기간 설정 초과",
            RETENTION,
            "Recording GetRecordings: MaximumRetentionTime longer than declared, or zero "
            "(unlimited)",
        ),
        _rule(
            "retention.kept-too-long", "critical",
            "Footage older than the retention period is still kept", "보관기간 경과 영상 미파기",
            RETENTION,
            "Search GetRecordingSummary DataFrom older than the declared retention",
        ),
        _rule(
            "retention.kept-too-short", "warning",
            "Footage was lost before the end of the retention period",
            "보관기간 미달(영상 조기 소실)",
            RETENTION,
            "Search GetRecordingSummary DataFrom much younger than the declared retention",
        ),
        _rule(
            "inventory.undeclared", "critical",
            "A camera the policy does not declare", "방침에 없는 카메라",
            INVENTORY,
            "A device that answered ONVIF (or WS-Discovery) matching no declared identity",
        ),
        _rule(
            "inventory.missing", "warning",
            "A declared camera was not found", "방침에 있으나 발견되지 않은 카메라",
            INVENTORY,
            "A full audit of the site in which no device matched the declared identity",
        ),
        _rule(
            "clock.drift", "warning",
            "The camera clock drifts from true time", "카메라 시각 오차",
            PIPA_29 + "; timestamps are evidence and must be true",
            "Device GetSystemDateAndTime compared with the agent's clock",
        ),
        _rule(
            "clock.no-ntp", "info",
            "The camera does not take its time from NTP", "NTP 미사용",
            PIPA_29,
            "Device GetSystemDateAndTime DateTimeType and GetNTP",
        ),
        _rule(
            "security.anonymous-access", "critical",
            "The camera answers without authentication", "인증 없이 접근 가능",
            PIPA_29 + " (access control)",
            "Device or Media operations answered without credentials",
        ),
        _rule(
            "security.vendor-unapproved", "warning",
            "A manufacturer outside the approved list", "승인되지 않은 제조사",
            PIPA_29,
            "Device GetDeviceInformation Manufacturer",
        ),
        _rule(
            "security.firmware-unapproved", "warning",
            "A firmware version outside the approved list", "승인되지 않은 펌웨어",
            PIPA_29,
            "Device GetDeviceInformation FirmwareVersion",
        ),
        _rule(
            "camera.unreachable", "critical",
            "The camera does not answer", "카메라 응답 없음(장애)",
            RECORDING + "; PIPA Art. 29",
            "No ONVIF answer from the camera, or none recently enough",
        ),
        _rule(
            "camera.auth-failed", "warning",
            "The camera refuses the agent's credentials; it cannot be checked",
            "카메라 인증 실패(점검 불가)",
            RECORDING + "; PIPA Art. 29",
            "ONVIF NotAuthorized (or HTTP 401) to the agent's credentials, and no identity "
            "readable without them",
        ),
        _rule(
            "agent.offline", "critical",
            "The site's agent is offline; its cameras are not being checked",
            "점검 에이전트 중단",
            RECORDING,
            "The agent's last-will message, or no report for longer than its interval",
        ),
        _rule(
            "request.due-soon", "warning",
            "An access request is due within 3 days", "열람 청구 처리기한 임박",
            ACCESS_REQUESTS,
            "The register's access requests: received, not answered, deadline within 3 days",
        ),
        _rule(
            "request.overdue", "critical",
            "An access request was not answered in time", "열람 청구 처리기한 경과",
            ACCESS_REQUESTS,
            "The register's access requests: received, not answered, deadline passed",
        ),
        _rule(
            "request.footage-at-risk", "critical",
            "Footage an open access request covers is about to be deleted",
            "열람 청구 대상 영상 삭제 임박(보존 조치 필요)",
            ACCESS_REQUESTS + "; " + RETENTION,
            "An open request's footage period against the retention period: its oldest "
            "footage reaches the end of retention within a few days",
        ),
        _rule(
            "checklist.overdue", "warning",
            "The half-yearly self-inspection is overdue", "자체점검 기한 경과",
            SELF_INSPECTION,
            "The register's checklists: none completed for the current half-year past its "
            "due date",
        ),
    )
}


def rule(rule_id: str) -> Rule:
    """The catalog entry for ``rule_id``; KeyError names an unknown id."""
    try:
        return CATALOG[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule id {rule_id!r}") from None


def severity_rank(severity: Severity) -> int:
    """0 for the most severe."""
    return SEVERITIES.index(severity)
