"""A site's summary (``SiteView``) straight from a reconcile pass.

``controller.views.site_view`` builds it from the site's ``CameraView``s,
which needs every observation's facts (device, firmware) and a pydantic
model per camera: ~15 µs a camera, 30 s over a national fleet, for four
counters. This computes the same counters from what the pass already has:
each observation's match (the reconcile memo's ``Judged``) and the
verdict. The rules are ``views.site_cameras``/``site_view``'s, restated
without the per-camera views; a test holds both equal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from agent.checks import SiteIndex
from controller.reconcile import Judged, camera_state, is_stale, match_observation
from controller.store.sites import SiteRecord
from controller.views import observations_by_camera, severity_counts
from schemas.api import CameraState, SiteView
from schemas.findings import Finding
from schemas.messages import CameraObservation
from schemas.policy import Policy, Site

_NOT_SEEN = frozenset({"unreachable", "missing"})


class SiteSummary(NamedTuple):
    view: SiteView
    at: datetime
    """The ``now`` it was computed for."""
    stale_at: datetime | None
    """The first moment one of its cameras counted as fresh may count as
    stale (time alone changes nothing before it); None: no such camera."""
    movable: bool
    """Every observation of the site counted, each the only one of its
    camera, none stale: then heartbeats (observations seen again later, the
    same otherwise) change only ``last_report_at`` (see ``moved``)."""

    def holds_at(self, now: datetime) -> bool:
        """Whether, for the same inputs, the view is still what
        ``site_summary`` would say at ``now``."""
        return self.at <= now and (self.stale_at is None or now < self.stale_at)

    def moved(self, record: SiteRecord) -> SiteSummary | None:
        """This summary for ``record``, whose observations are the ones it
        was computed from but for times moved forward by heartbeats; None
        unless ``movable``. Only the newest report moves: no camera turns
        stale sooner, none that was fresh can change state, and ``stale_at``
        stays a moment before which nothing does (a later one, recomputed
        then)."""
        if not self.movable or not record.cameras:
            return None
        newest = max(o.observed_at for o in record.cameras.values())
        if newest == self.view.last_report_at:
            return self
        return self._replace(view=self.view.model_copy(update={"last_report_at": newest}))


def site_summary(
    policy: Policy,
    site: Site,
    index: SiteIndex,
    record: SiteRecord,
    verdict: Sequence[Finding],
    now: datetime,
    stale_after_s: float,
    judged: Mapping[str, Judged],
) -> SiteSummary:
    """``views.site_view`` of the site as ``verdict`` leaves it. ``judged``:
    the site's memo after the pass (an address missing from it is matched
    from its observation, which then must carry its facts)."""
    live: dict[str, list[Finding]] = {}
    for finding in verdict:
        live.setdefault(finding.key[1], []).append(finding)
    declared_obs, undeclared = observations_by_camera(
        index,
        record,
        live,
        lambda address, observation: (
            entry.match
            if (entry := judged.get(address)) is not None
            else match_observation(index, address, observation)
        ),
    )
    seen = compliant = counted = 0
    any_stale = False
    last_report: datetime | None = None
    stale_at: datetime | None = None
    # whole microseconds, rounded down: is_stale's float compare never turns sooner
    stale_after = timedelta(microseconds=math.floor(stale_after_s * 1_000_000))

    def count(observation: CameraObservation | None, state: CameraState, stale: bool) -> None:
        nonlocal seen, compliant, counted, any_stale, last_report, stale_at
        if observation is not None:
            counted += 1
            any_stale = any_stale or stale
            if last_report is None or observation.observed_at > last_report:
                last_report = observation.observed_at
            if state not in _NOT_SEEN:
                seen += 1
            if not stale:
                turns = observation.observed_at + stale_after
                if stale_at is None or turns < stale_at:
                    stale_at = turns
        if state == "compliant":
            compliant += 1

    for camera in site.cameras:
        found = declared_obs.get(camera.id)
        rows = live.get(camera.id, ())
        missing = any(row.rule == "inventory.missing" for row in rows)
        stale = found is not None and is_stale(found, now, stale_after_s)
        count(found, camera_state(True, found, len(rows), missing, stale), stale)
    for address, observation in undeclared.items():
        rows = live.get(address, ())
        stale = is_stale(observation, now, stale_after_s)
        count(observation, camera_state(False, observation, len(rows), False, stale), stale)
    agent = record.agent()
    view = SiteView(
        site_id=site.id,
        name=site.name,
        policy_id=policy.policy_id,
        policy_version=policy.version,
        organisation=policy.organisation.name,
        storage_place=site.storage_place,
        cameras_declared=len(site.cameras),
        cameras_seen=seen,
        cameras_compliant=compliant,
        findings_open=severity_counts(verdict),
        agent_id=agent.agent_id if agent else None,
        agent_online=agent.online if agent else None,
        last_report_at=last_report,
    )
    return SiteSummary(view, now, stale_at, counted == len(record.cameras) and not any_stale)
