"""The device rules of one camera: facts + policy + now -> findings.

This is the one place that decides which family of checks applies to which
camera, so that the agent, the one-shot audit and the controller judge the
same facts the same way.

- ``policy is None`` (an audit without ``--policy``): only what needs no
  declaration: audio (PIPA forbids it by default), anonymous access, the
  clock against ``ClockPolicy()`` defaults, and whether it records at all.
- ``camera is None`` (an undeclared device): the policy-wide rules; it has no
  PTZ approval, so any PTZ node is ``ptz.unapproved``.
- Unknown facts (``None``) never produce a finding.
"""

from __future__ import annotations

from datetime import datetime

from agent.checks.audio import check_audio
from agent.checks.clock import check_clock
from agent.checks.ptz import check_ptz
from agent.checks.recording import check_recording
from agent.checks.retention import check_retention
from agent.checks.security import check_anonymous, check_equipment
from agent.checks.subject import Subject, camera_now, require_aware
from schemas.facts import CameraFacts
from schemas.findings import Finding
from schemas.policy import AudioRule, ClockPolicy, DeclaredCamera, Policy, PtzPolicy

_DEFAULT_CLOCK = ClockPolicy()
_NO_PTZ = PtzPolicy()


def evaluate_camera(
    policy: Policy | None,
    camera: DeclaredCamera | None,
    facts: CameraFacts,
    now: datetime,
    *,
    site_id: str | None = None,
) -> tuple[Finding, ...]:
    """Every device finding for one camera's ``facts`` as of ``now`` (the
    agent's aware UTC time when the facts were gathered).

    Findings name ``site_id``, the declared camera's id and the device's
    address. Raises ValueError for a naive ``now`` or a declared camera
    without its policy.
    """
    require_aware(now)
    subject = Subject(site_id, camera.id if camera is not None else None, facts.identity.address)
    return evaluate_for(policy, camera, facts, now, subject)


def evaluate_for(
    policy: Policy | None,
    camera: DeclaredCamera | None,
    facts: CameraFacts,
    now: datetime,
    subject: Subject,
) -> tuple[Finding, ...]:
    """``evaluate_camera`` with the subject given (``now`` already checked)."""
    if policy is None and camera is not None:
        raise ValueError(f"camera {camera.id!r} is declared, but no policy was given")
    found: list[Finding] = []
    audio_rule: AudioRule
    if policy is None:
        audio_rule = "forbidden"
    elif camera is None:
        audio_rule = policy.audio
    else:
        audio_rule = policy.audio_rule(camera)
    found += check_audio(audio_rule, facts, subject)
    if policy is not None and facts.ptz is not None:
        ptz_policy = camera.ptz if camera is not None else _NO_PTZ
        found += check_ptz(ptz_policy, facts.ptz, subject, declared=camera is not None)
    if facts.recording is not None:
        camera_time = camera_now(facts, now)
        recording_policy = policy.recording if policy is not None else None
        found += check_recording(recording_policy, facts.recording, camera_time, subject)
        if policy is not None:
            found += check_retention(policy.retention, facts.recording, camera_time, subject)
    if facts.clock is not None:
        found += check_clock(policy.clock if policy is not None else _DEFAULT_CLOCK,
                             facts.clock, subject)
    if facts.security is not None:
        equipment = policy.equipment if policy is not None else None
        found += check_anonymous(equipment, facts.security, subject)
    if policy is not None and facts.device is not None:
        found += check_equipment(policy.equipment, facts.device, subject)
    return tuple(found)
