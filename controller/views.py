"""The API's views built from stored state: pure functions of the policy,
one site's ``SiteRecord`` and ``now``.

A site's cameras are its declared cameras plus the undeclared devices seen
(matched afresh with ``agent.checks.SiteIndex``, the way reconcile does, so
the API and the findings agree on who is who). Foreign cameras (run by
another body) are not listed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from agent.checks import Match, SiteIndex
from controller.reconcile import camera_state, is_stale, match_observation
from controller.store.sites import FindingRow, SiteRecord
from schemas.api import CameraView, FindingView, SeverityCounts, SiteView
from schemas.messages import CameraObservation
from schemas.policy import DeclaredCamera, Policy, Site
from schemas.rules import CATALOG


class LiveFinding(Protocol):
    """What a camera's state needs of an open finding (a stored row or a
    fresh reconcile verdict both qualify)."""

    @property
    def rule(self) -> str: ...

    @property
    def severity(self) -> str: ...


def live_by_subject(rows: Iterable[FindingRow]) -> dict[str, list[FindingRow]]:
    """Stored findings that are not resolved, by subject (camera key)."""
    live: dict[str, list[FindingRow]] = {}
    for row in rows:
        if row.state != "resolved":
            live.setdefault(row.subject, []).append(row)
    return live


@dataclass(frozen=True, slots=True)
class SiteCameras:
    """One site's cameras, in policy order then undeclared by address."""

    views: tuple[CameraView, ...]
    declared: dict[str, DeclaredCamera]
    observations: dict[str, CameraObservation]
    """By camera key."""


def observations_by_camera(
    index: SiteIndex,
    record: SiteRecord,
    live: Container[str],
    match_of: Callable[[str, CameraObservation], Match] | None = None,
) -> tuple[dict[str, CameraObservation], dict[str, CameraObservation]]:
    """The site's observations as its views show them: the newest one of
    each declared camera (by camera id), and the undeclared devices (by
    address) except those the last full cycle no longer saw, unless a
    finding on one is still open (``live``: subjects with open findings).
    ``match_of`` says what an observation is of (default: matched afresh
    under the site's policy)."""
    declared_obs: dict[str, CameraObservation] = {}
    undeclared: dict[str, CameraObservation] = {}
    cycle_at = record.last_full_cycle_at
    for address, observation in record.cameras.items():
        if match_of is None:
            match = match_observation(index, address, observation)
        else:
            match = match_of(address, observation)
        if match.kind == "declared" and match.camera is not None:
            held = declared_obs.get(match.camera.id)
            if held is None or observation.observed_at > held.observed_at:
                declared_obs[match.camera.id] = observation
        elif match.kind == "unknown":
            gone = (
                cycle_at is not None
                and address not in record.full_cycle_addresses
                and observation.observed_at <= cycle_at
            )
            if not gone or address in live:
                undeclared[address] = observation
    return declared_obs, undeclared


def severity_counts(rows: Iterable[LiveFinding]) -> SeverityCounts:
    counts = Counter(row.severity for row in rows)
    return SeverityCounts(
        critical=counts["critical"], warning=counts["warning"], info=counts["info"]
    )


def site_cameras(
    site: Site,
    index: SiteIndex,
    record: SiteRecord,
    live: Mapping[str, Sequence[LiveFinding]],
    now: datetime,
    stale_after_s: float,
) -> SiteCameras:
    """``live``: the open findings of the site by subject (camera key)."""
    declared_obs, undeclared = observations_by_camera(index, record, live)
    views: list[CameraView] = []
    for camera in site.cameras:
        views.append(
            _view(
                site.id,
                camera.id,
                camera,
                declared_obs.get(camera.id),
                live.get(camera.id, []),
                now,
                stale_after_s,
            )
        )
    for address in sorted(undeclared):
        views.append(
            _view(
                site.id,
                address,
                None,
                undeclared[address],
                live.get(address, []),
                now,
                stale_after_s,
            )
        )
    observations = dict(declared_obs)
    observations.update(undeclared)
    return SiteCameras(
        views=tuple(views),
        declared={camera.id: camera for camera in site.cameras},
        observations=observations,
    )


def _view(
    site_id: str,
    key: str,
    camera: DeclaredCamera | None,
    observation: CameraObservation | None,
    rows: Sequence[LiveFinding],
    now: datetime,
    stale_after_s: float,
) -> CameraView:
    missing = camera is not None and any(row.rule == "inventory.missing" for row in rows)
    stale = observation is not None and is_stale(observation, now, stale_after_s)
    state = camera_state(camera is not None, observation, len(rows), missing, stale)
    device = observation.device if observation is not None else None
    if device is None and observation is not None and observation.facts is not None:
        device = observation.facts.device
    return CameraView(
        site_id=site_id,
        key=key,
        camera_id=camera.id if camera is not None else None,
        name=camera.name if camera is not None else key,
        location=camera.location if camera is not None else "",
        coverage=camera.coverage if camera is not None else "",
        declared=camera is not None,
        state=state,
        address=observation.address if observation is not None else None,
        manufacturer=device.manufacturer if device else None,
        model=device.model if device else None,
        firmware=device.firmware if device else None,
        serial=device.serial if device else None,
        last_seen=observation.observed_at if observation is not None else None,
        findings_open=severity_counts(rows),
    )


_NOT_SEEN = frozenset({"unreachable", "missing"})


def site_view(
    policy: Policy,
    site: Site,
    record: SiteRecord,
    cameras: SiteCameras,
    open_findings: Iterable[LiveFinding],
) -> SiteView:
    agent = record.agent()
    reported = [v.last_seen for v in cameras.views if v.last_seen is not None]
    # Seen: answered its latest audit. An address that does not answer, or a
    # declared camera the last full audit did not find, is known but not seen.
    seen = [v for v in cameras.views if v.last_seen is not None and v.state not in _NOT_SEEN]
    return SiteView(
        site_id=site.id,
        name=site.name,
        policy_id=policy.policy_id,
        policy_version=policy.version,
        organisation=policy.organisation.name,
        storage_place=site.storage_place,
        cameras_declared=len(site.cameras),
        cameras_seen=len(seen),
        cameras_compliant=sum(1 for v in cameras.views if v.state == "compliant"),
        findings_open=severity_counts(open_findings),
        agent_id=agent.agent_id if agent else None,
        agent_online=agent.online if agent else None,
        last_report_at=max(reported, default=None),
    )


def finding_view(row: FindingRow) -> FindingView:
    entry = CATALOG.get(row.rule)
    evidence = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in json.loads(row.evidence_json).items()
    }
    return FindingView(
        id=row.id,
        rule=row.rule,
        severity=row.severity,  # type: ignore[arg-type]
        title=entry.title if entry else row.rule,
        title_ko=entry.title_ko if entry else row.rule,
        legal_basis=entry.legal_basis if entry else "",
        summary=row.summary,
        evidence=evidence,
        site_id=row.site_id,
        camera_key=row.subject,
        state=row.state,  # type: ignore[arg-type]
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        resolved_at=row.resolved_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        note=row.note,
    )
