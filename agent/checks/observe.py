"""The whole judgement of one camera for one audit.

``observe`` matches the device to the site's declaration, evaluates its
facts, and adds the findings that are about the device's existence rather
than its settings: ``inventory.undeclared`` (it answered and matches nothing
the policy declares) and ``camera.unreachable`` (it did not answer). A
foreign camera (another body's, declared as such) gets no findings at all.
"""

from __future__ import annotations

from datetime import datetime

from agent.checks.evaluate import evaluate_for
from agent.checks.matching import UNKNOWN, SiteIndex
from agent.checks.subject import Subject, require_aware
from schemas.facts import CameraFacts
from schemas.findings import Finding
from schemas.messages import CameraErrorInfo, CameraObservation
from schemas.policy import Policy, Site


def observe(
    *,
    policy: Policy | None,
    site: Site | None,
    index: SiteIndex | None,
    address: str,
    reachable: bool,
    facts: CameraFacts | None,
    errors: tuple[CameraErrorInfo, ...],
    now: datetime,
) -> CameraObservation:
    """One camera as one audit judged it, observed at ``now`` (aware UTC).

    With a policy, ``site`` is required (the site whose cameras to match);
    ``index`` may be given to reuse one ``SiteIndex`` per site and must be
    that site's. Raises ValueError on such inconsistent input.
    """
    require_aware(now)
    if policy is not None and site is None:
        raise ValueError(
            "observe: a policy was given without a site; pass the site whose cameras to match"
        )
    if index is not None and (site is None or index.site.id != site.id):
        raise ValueError(
            f"observe: the index is for site {index.site.id!r}, "
            f"not {site.id if site is not None else None!r}"
        )
    if index is None and site is not None:
        index = SiteIndex(site)
    if index is None:
        match = UNKNOWN
    elif facts is not None:
        match = index.match(facts.identity)
    else:
        match = index.match_address(address)
    camera = match.camera
    device = facts.device if facts is not None else None
    if match.kind == "foreign":
        return CameraObservation(
            address=address, reachable=reachable, observed_at=now, device=device,
            facts=facts, errors=errors,
        )
    subject = Subject(
        site.id if site is not None else None, camera.id if camera is not None else None, address
    )
    found: list[Finding] = []
    if not reachable:
        found.append(unreachable_finding(subject, errors))
    elif match.kind == "unknown" and policy is not None:
        found.append(unmatched_finding(subject, facts, errors))
    if facts is not None:
        found += evaluate_for(policy, camera, facts, now, subject)
    return CameraObservation(
        address=address,
        reachable=reachable,
        observed_at=now,
        camera_id=camera.id if camera is not None else None,
        device=device,
        facts=facts,
        findings=tuple(found),
        errors=errors,
    )


def unreachable_finding(subject: Subject, errors: tuple[CameraErrorInfo, ...]) -> Finding:
    """``camera.unreachable`` for a camera that did not answer this audit."""
    messages = tuple(f"{e.kind} {e.operation}: {e.message}" for e in errors)
    why = f" ({messages[0]})" if messages else ""
    return subject.finding(
        "camera.unreachable",
        f"the camera at {subject.address} does not answer{why}",
        {"errors": messages, "address": subject.address},
    )


def unmatched_finding(
    subject: Subject, facts: CameraFacts | None, errors: tuple[CameraErrorInfo, ...]
) -> Finding:
    """The finding for a device that answered but matches no declaration.

    Usually ``inventory.undeclared``. But a camera that refused our
    credentials may show no identity at all (no serial, MAC or endpoint
    reference readable without logging in); calling it undeclared would
    accuse a declared camera of not being in the policy, so it is
    ``camera.auth-failed`` instead: we cannot tell, and cannot check it.
    """
    identity = facts.identity if facts is not None else None
    identified = identity is not None and bool(
        identity.serial or identity.macs or identity.endpoint_reference
    )
    refused = [e for e in errors if e.kind == "auth-failed"]
    if identified or not refused:
        return undeclared_finding(subject, facts)
    return subject.finding(
        "camera.auth-failed",
        f"the camera at {subject.address} refuses the agent's credentials "
        f"({refused[0].operation}: {refused[0].message}); it cannot be identified or checked",
        {
            "address": subject.address,
            "errors": tuple(f"{e.operation}: {e.message}" for e in refused),
        },
    )


def undeclared_finding(subject: Subject, facts: CameraFacts | None) -> Finding:
    """``inventory.undeclared`` for a device that answered and matches no declared identity."""
    identity = facts.identity if facts is not None else None
    device = facts.device if facts is not None else None
    what = f"{device.manufacturer} {device.model} " if device is not None else ""
    serial = f" (serial {identity.serial})" if identity is not None and identity.serial else ""
    return subject.finding(
        "inventory.undeclared",
        f"{what}camera at {subject.address}{serial} is not declared in the policy",
        {
            "address": subject.address,
            "serial": identity.serial if identity is not None else None,
            "macs": identity.macs if identity is not None else (),
            "endpoint_reference": identity.endpoint_reference if identity is not None else None,
            "manufacturer": device.manufacturer if device is not None else None,
            "model": device.model if device is not None else None,
        },
    )
