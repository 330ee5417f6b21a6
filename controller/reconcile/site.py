"""Reconcile one site: declared + observed + now -> the findings that hold.

The agent's own findings are never trusted: each latest observation's facts
are judged again with ``agent.checks`` under the policy given here (which may
be newer than the agent's), as of the observation's own time (the facts are a
snapshot of that moment; how old they are is ``camera.unreachable``'s
business, not a growing recording gap).

On top of the device rules:

- ``inventory.undeclared``: a device that answered and matches nothing
  declared (foreign cameras are excluded). An undeclared address that the
  newest full cycle no longer audited, and that has not been seen since, is
  gone: it raises nothing.
- ``inventory.missing``: a declared camera that no observation of the newest
  full cycle (or a later one) matched. Nothing before a first full cycle.
- ``camera.unreachable``: the camera's latest observation did not answer, or
  is older than ``stale_after_s``. A stale camera of a site whose agent is
  offline does not raise it (the agent is the one cause; ``agent.offline``
  says so once), and a missing camera does not either.
- ``agent.offline``: the agent said goodbye (its will), or has been silent for
  more than ``agent_silent_intervals`` of its intervals. The site's last known
  camera findings are kept: nothing is resolved for want of news.

Cost is O(observations + declared cameras) with one ``SiteIndex`` per site,
which the caller may build once and pass in. With a ``memo`` (and
``SiteObservations.tokens``), an observation already judged under this
policy is not matched or evaluated again: the verdict is the same, the
facts need not even be there (see ``controller.reconcile.model.Judged``).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import datetime, timedelta

from agent.checks.evaluate import evaluate_for
from agent.checks.matching import Match, SiteIndex
from agent.checks.observe import unmatched_finding
from agent.checks.subject import Subject, require_aware
from controller.reconcile.model import (
    AgentState,
    Judged,
    ObservationToken,
    ReconcileSettings,
    SiteObservations,
)
from schemas.findings import Finding, make_finding
from schemas.messages import CameraErrorInfo, CameraObservation
from schemas.policy import DeclaredCamera, Policy, Site

_DEFAULT_SETTINGS = ReconcileSettings()
_NO_TIMES: Mapping[str, datetime] = {}


def reconcile_site(
    policy: Policy,
    site: Site,
    observed: SiteObservations,
    now: datetime,
    settings: ReconcileSettings = _DEFAULT_SETTINGS,
    index: SiteIndex | None = None,
    memo: MutableMapping[str, Judged] | None = None,
) -> tuple[Finding, ...]:
    """Every finding that holds for ``site`` at ``now`` (aware UTC); no two
    share a ``Finding.key``. Raises ValueError for a naive ``now``, or
    observations or an index of another site.

    ``memo``: the caller's ``Judged`` entries of this site under this very
    policy, by address, kept across calls. An address whose token (in
    ``observed.tokens``) equals its entry's reuses the entry; any other is
    judged from its facts and its entry replaced; entries of addresses no
    longer observed are dropped; an entry whose facts version is the
    token's (a heartbeat moved the time only) keeps its judgement and takes
    the observation given (lean, as the memo holds it, but for its time).
    The caller must start a new memo when the policy changes, and a token
    must change whenever its observation does."""
    require_aware(now)
    if observed.site_id != site.id:
        raise ValueError(f"observations are of site {observed.site_id!r}, not {site.id!r}")
    if index is None:
        index = SiteIndex(site)
    elif index.site.id != site.id:
        raise ValueError(f"the index is of site {index.site.id!r}, not {site.id!r}")

    found: list[Finding] = []
    agent_finding = _agent_offline(site.id, observed.agent, now, settings)
    stale_before = now - timedelta(seconds=settings.stale_after_s)
    cycle_at = observed.last_full_cycle_at
    cycle_addresses = observed.full_cycle_addresses
    newest: dict[str, tuple[DeclaredCamera, CameraObservation, Judged | None]] = {}
    seen_in_cycle: set[str] = set()

    tokens = observed.tokens if memo is not None else None
    facts_at = observed.facts_at or _NO_TIMES
    judged: dict[str, Judged] = {}
    for address, observation in observed.cameras.items():
        in_cycle = counts_for_cycle(address, observation, cycle_at, cycle_addresses)
        entry = None
        if tokens is not None and memo is not None and address in tokens:
            token = tokens[address]
            entry = memo.get(address)
            if entry is None or entry.token != token:  # (the common case inline: a hit)
                entry = _memoised(
                    policy, index, site.id, address, observation, token, memo,
                    facts_at.get(address),
                )
            judged[address] = entry
            match = entry.match
        else:
            match = match_observation(index, address, observation)
        if match.kind == "foreign":
            continue
        camera = match.camera
        if camera is None:
            if not in_cycle:
                continue
            subject = Subject(site.id, None, address)
            if entry is not None:
                if entry.unmatched is not None:
                    found.append(entry.unmatched)
            elif observation.reachable:
                found.append(unmatched_finding(subject, observation.facts, observation.errors))
            found += _judge(
                policy,
                None,
                observation,
                subject,
                now,
                stale_before,
                settings,
                quiet_stale=agent_finding is not None,
                device=entry.device if entry is not None else None,
                facts_at=facts_at.get(address),
            )
            continue
        if in_cycle:
            seen_in_cycle.add(camera.id)
        held = newest.get(camera.id)
        if held is None or _newer(observation, held[1]):
            newest[camera.id] = (camera, observation, entry)

    quiet_stale = agent_finding is not None
    for camera_id, (camera, observation, held_entry) in newest.items():
        missing = cycle_at is not None and camera_id not in seen_in_cycle
        if held_entry is not None and (
            missing
            or (observation.reachable and (quiet_stale or observation.observed_at >= stale_before))
        ):
            found += held_entry.device  # what _judge gives when nothing makes it unreachable
            continue
        subject = Subject(site.id, camera_id, observation.address)
        found += _judge(
            policy,
            camera,
            observation,
            subject,
            now,
            stale_before,
            settings,
            quiet_stale=agent_finding is not None,
            missing=missing,
            device=held_entry.device if held_entry is not None else None,
            facts_at=facts_at.get(observation.address),
        )
    if memo is not None and len(memo) > len(judged) and tokens is not None:
        for address in [a for a in memo if a not in judged]:
            del memo[address]

    if cycle_at is not None:
        for camera in site.cameras:
            if camera.id not in seen_in_cycle:
                found.append(_missing(site.id, camera, cycle_at, len(cycle_addresses)))
    if agent_finding is not None:
        found.append(agent_finding)
    return _unique(found)


def match_observation(index: SiteIndex, address: str, observation: CameraObservation) -> Match:
    """What an observation is of, matched afresh under this policy. A device
    that did not answer is known only by its address, or by the camera id the
    agent remembered for it, if this policy still declares that camera."""
    if observation.facts is not None:
        return index.match(observation.facts.identity)
    match = index.match_address(address)
    if match.kind == "unknown" and observation.camera_id is not None:
        camera = index.declared(observation.camera_id)
        if camera is not None:
            return Match("declared", camera=camera)
    return match


_LEAN_FIELDS = set(CameraObservation.model_fields)
"""Shared by every lean observation (a frozen model never adds to it): a set
of its own would be two thirds of a lean observation's memory."""
_new = object.__new__
_set = object.__setattr__


def lean(
    address: str,
    reachable: bool,
    observed_at: datetime,
    camera_id: str | None,
    errors: tuple[CameraErrorInfo, ...],
) -> CameraObservation:
    """An observation without facts, device or reported findings, of values
    already valid (taken from a validated observation, or checked by the
    caller). What ``model_construct`` makes, in a sixth of its time (1 µs,
    not 6: it runs for every camera a cold pass parses or a restart
    restores); a test holds the two equal."""
    observation = _new(CameraObservation)
    _set(observation, "__dict__", {
        "address": address,
        "reachable": reachable,
        "observed_at": observed_at,
        "camera_id": camera_id,
        "device": None,
        "facts": None,
        "findings": (),
        "errors": errors,
    })
    _set(observation, "__pydantic_fields_set__", _LEAN_FIELDS)
    _set(observation, "__pydantic_extra__", None)
    _set(observation, "__pydantic_private__", None)
    return observation


def lean_observation(observation: CameraObservation) -> CameraObservation:
    """``observation`` without its facts, device and reported findings: what
    reconcile reads of an observation already judged (``Judged``)."""
    if observation.facts is None and observation.device is None and not observation.findings:
        return observation
    return lean(
        observation.address,
        observation.reachable,
        observation.observed_at,
        observation.camera_id,
        observation.errors,
    )


def lean_at(observation: CameraObservation, observed_at: datetime) -> CameraObservation:
    """The lean ``observation`` as seen again at ``observed_at`` (aware; a
    heartbeat confirmed it then)."""
    return lean(
        observation.address,
        observation.reachable,
        observed_at,
        observation.camera_id,
        observation.errors,
    )


def _memoised(
    policy: Policy,
    index: SiteIndex,
    site_id: str,
    address: str,
    observation: CameraObservation,
    token: ObservationToken,
    memo: MutableMapping[str, Judged],
    facts_at: datetime | None,
) -> Judged:
    """The memo's entry for ``address`` if its token is ``token``; the
    entry moved to ``observation`` if only the time differs (the facts
    are the ones judged); else the observation judged now (what the loop
    below would compute for it, in every case it might need it) and
    remembered. ``facts_at``: when the facts were audited, if before
    ``observation.observed_at``."""
    entry = memo.get(address)
    if entry is not None:
        if entry.token == token:
            return entry
        if entry.token[0] == token[0]:
            entry.token = token
            entry.observation = lean_observation(observation)
            return entry
    match = match_observation(index, address, observation)
    unmatched = None
    device: tuple[Finding, ...] = ()
    if match.kind != "foreign":
        camera = match.camera
        if camera is None:
            subject = Subject(site_id, None, address)
            if observation.reachable:
                unmatched = unmatched_finding(subject, observation.facts, observation.errors)
        else:
            subject = Subject(site_id, camera.id, observation.address)
        if observation.facts is not None:
            device = evaluate_for(
                policy, camera, observation.facts, facts_at or observation.observed_at, subject
            )
    entry = Judged(token, lean_observation(observation), match, unmatched, device)
    memo[address] = entry
    return entry


def counts_for_cycle(
    address: str,
    observation: CameraObservation,
    cycle_at: datetime | None,
    cycle_addresses: frozenset[str],
) -> bool:
    """Whether an observation counts for the site's newest full cycle (the
    one finished at ``cycle_at``, which audited ``cycle_addresses``): it was
    audited in it or seen after it; all do before a first cycle. One that
    does not is a leftover: it cannot make a camera seen, nor an undeclared
    device raise anything."""
    return cycle_at is None or address in cycle_addresses or observation.observed_at > cycle_at


def _newer(candidate: CameraObservation, held: CameraObservation) -> bool:
    """Whether ``candidate`` supersedes ``held`` as a camera's latest
    observation: newer wins; at the same instant an answer beats silence, and
    the address breaks a last tie so the result never depends on order."""
    return (candidate.observed_at, candidate.reachable, candidate.address) > (
        held.observed_at, held.reachable, held.address)


def _judge(
    policy: Policy,
    camera: DeclaredCamera | None,
    observation: CameraObservation,
    subject: Subject,
    now: datetime,
    stale_before: datetime,
    settings: ReconcileSettings,
    *,
    quiet_stale: bool,
    missing: bool = False,
    device: tuple[Finding, ...] | None = None,
    facts_at: datetime | None = None,
) -> list[Finding]:
    """The device findings of one latest observation, plus unreachable.
    ``device``: its facts' findings already evaluated (``Judged``);
    ``facts_at``: when its facts were audited, if before ``observed_at``."""
    found: list[Finding] = []
    stale = observation.observed_at < stale_before
    if not missing and (not observation.reachable or (stale and not quiet_stale)):
        found.append(_unreachable(subject, observation, settings, stale=stale))
    if device is not None:
        found += device
    elif observation.facts is not None:
        facts_time = facts_at or observation.observed_at
        found += evaluate_for(policy, camera, observation.facts, facts_time, subject)
    return found


def _unreachable(
    subject: Subject,
    observation: CameraObservation,
    settings: ReconcileSettings,
    *,
    stale: bool,
) -> Finding:
    """Its words and evidence name the last report's time, not its age: a
    verdict does not change with the clock alone, only when a threshold is
    crossed (see ``holds_until``), so a site nothing was reported of since
    its last reconcile need not be judged again. A camera that did not
    answer, and is not stale, names no time at all: heartbeats repeating
    the same failed audit change nothing (when it began is the finding's
    first seen; the latest audit, the camera's)."""
    last = observation.observed_at.isoformat(timespec="seconds")
    errors = tuple(f"{e.kind} {e.operation}: {e.message}" for e in observation.errors)
    if not observation.reachable:
        why = f" ({errors[0]})" if errors else ""
        summary = f"the camera at {subject.address} did not answer its latest audit{why}"
    else:
        summary = (
            f"no report of the camera at {subject.address} since {last} "
            f"(limit {settings.stale_after_s:g} s)"
        )
    return subject.finding(
        "camera.unreachable",
        summary,
        {
            **({"last_seen": observation.observed_at.isoformat()} if stale else {}),
            "reachable": observation.reachable,
            "stale": stale,
            "stale_after_s": settings.stale_after_s,
            "errors": errors,
        },
    )


def _missing(site_id: str, camera: DeclaredCamera, cycle_at: datetime, audited: int) -> Finding:
    identity = camera.identity
    return make_finding(
        "inventory.missing",
        f"{camera.name} ({camera.location}) was not found in the full audit that finished "
        f"{cycle_at.isoformat(timespec='seconds')}",
        {
            "last_full_cycle_at": cycle_at.isoformat(),
            "addresses_audited": audited,
            "declared_serial": identity.serial,
            "declared_mac": identity.mac,
            "declared_endpoint_reference": identity.endpoint_reference,
            "declared_address": identity.address,
        },
        site_id=site_id,
        camera_id=camera.id,
        address=identity.address,
    )


def agent_silent(agent: AgentState, now: datetime, settings: ReconcileSettings) -> bool:
    """Whether ``agent`` has been silent longer than ``settings`` allow at ``now``."""
    silent_s = (now - agent.last_seen).total_seconds()
    return silent_s > settings.agent_silent_intervals * agent.interval_s


def _agent_offline(
    site_id: str, agent: AgentState | None, now: datetime, settings: ReconcileSettings
) -> Finding | None:
    """``agent.offline`` when the agent left or fell silent; None otherwise
    (and when the site has no known agent: there is nobody to call offline)."""
    if agent is None:
        return None
    limit_s = settings.agent_silent_intervals * agent.interval_s
    if agent.online and not agent_silent(agent, now, settings):
        return None
    last = agent.last_seen.isoformat(timespec="seconds")
    if not agent.online:
        summary = (
            f"agent {agent.agent_id!r} is offline (last seen {last}); "
            "the site's cameras are not being checked"
        )
    else:
        summary = (
            f"agent {agent.agent_id!r} has been silent since {last}, more than "
            f"{settings.agent_silent_intervals:g} × its {agent.interval_s:g} s interval; "
            "the site's cameras are not being checked"
        )
    return make_finding(  # words and evidence of the last time seen, not its age (_unreachable)
        "agent.offline",
        summary,
        {
            "online": agent.online,
            "session_id": agent.session_id,
            "last_seen": agent.last_seen.isoformat(),
            "interval_s": agent.interval_s,
            "silent_limit_s": limit_s,
        },
        site_id=site_id,
        agent_id=agent.agent_id,
    )


def _unique(found: list[Finding]) -> tuple[Finding, ...]:
    """``found`` without a second finding of the same key (the first holds).
    By construction there is none; this keeps the promise if two subjects'
    names ever collide (an address spelled like a camera id)."""
    keys: set[tuple[str, str, str]] = set()
    unique: list[Finding] = []
    for finding in found:
        key = finding.key
        if key not in keys:
            keys.add(key)
            unique.append(finding)
    return tuple(unique)


def holds_until(
    observed: SiteObservations, now: datetime, settings: ReconcileSettings = _DEFAULT_SETTINGS
) -> datetime | None:
    """Until when (exclusive) ``reconcile_site`` of ``observed`` gives what it
    gives at ``now``, if nothing new is observed: the first moment the clock
    alone could change the verdict (a fresh camera turning stale, an online
    agent falling silent); None: never. The findings' words and evidence do
    not name ages (``_unreachable``), so before then the verdict is the
    same, word for word (a test holds it to that). Each bound is a little
    early, never late: at the bound itself the verdict may still hold."""
    require_aware(now)
    stale_after = timedelta(seconds=settings.stale_after_s)
    stale_before = now - stale_after
    first_seen: datetime | None = None  # the oldest fresh observation
    for observation in observed.cameras.values():
        at = observation.observed_at
        if at >= stale_before and (first_seen is None or at < first_seen):
            first_seen = at
    until = first_seen + stale_after if first_seen is not None else None
    agent = observed.agent
    if agent is not None and agent.online:
        silent_at = agent.last_seen + timedelta(  # less a µs: _agent_offline compares floats
            seconds=settings.agent_silent_intervals * agent.interval_s, microseconds=-1
        )
        if silent_at >= now and (until is None or silent_at < until):
            until = silent_at
    return until
