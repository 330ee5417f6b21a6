"""Properties of reconcile over random sites: one finding per key, every
finding names its subject, the order of observations does not matter, and
the verdict holds word for word until ``holds_until``."""

from __future__ import annotations

from datetime import timedelta

from checks.factory import NOW, camera_facts, make_policy, ptz_facts
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.reconcile import AgentState, SiteObservations, holds_until, reconcile_site
from schemas.facts import AudioFacts
from schemas.messages import CameraObservation

POLICY = make_policy()
SITE = POLICY.sites[0]
DECLARED_IDS = {c.id for c in SITE.cameras}

serials = st.sampled_from(["SN-0001", "SN-0002", "SN-0003", "SN-X1", "SN-X2", "THEIRS", None])
hosts = st.sampled_from(["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.7", "127.0.0.9"])


@st.composite
def observations(draw: st.DrawFn) -> CameraObservation:
    address = f"{draw(hosts)}:{draw(st.sampled_from([80, 8000]))}"
    at = NOW - timedelta(seconds=draw(st.integers(0, 7200)))
    reachable = draw(st.booleans())
    facts = None
    if reachable:
        facts = camera_facts(
            address=address, serial=draw(serials), now=at,
            audio=draw(st.sampled_from([AudioFacts(sources=0),
                                        AudioFacts(sources=1, encoder_profiles=("m",))])),
            ptz=draw(st.sampled_from([None, ptz_facts(), ptz_facts(pan=0.9)])),
        )
    return CameraObservation(address=address, reachable=reachable, observed_at=at, facts=facts,
                             camera_id=draw(st.sampled_from([None, "cam1", "gone"])))


@st.composite
def site_states(draw: st.DrawFn) -> SiteObservations:
    seen = draw(st.lists(observations(), max_size=12))
    cameras = {o.address: o for o in seen}
    cycle_at = draw(st.none() | st.integers(0, 7200).map(lambda s: NOW - timedelta(seconds=s)))
    cycle = frozenset(a for a in cameras if draw(st.booleans())) if cycle_at else frozenset()
    agent = draw(st.none() | st.builds(
        AgentState, agent_id=st.just("agent-main"), session_id=st.just("0" * 32),
        online=st.booleans(),
        last_seen=st.integers(0, 7200).map(lambda s: NOW - timedelta(seconds=s)),
        interval_s=st.sampled_from([30.0, 300.0])))
    return SiteObservations(site_id="main", cameras=cameras, last_full_cycle_at=cycle_at,
                            full_cycle_addresses=cycle, agent=agent)


@settings(max_examples=300, deadline=None)
@given(state=site_states())
def test_one_finding_per_key_and_a_named_subject(state: SiteObservations) -> None:
    found = reconcile_site(POLICY, SITE, state, NOW)
    keys = [f.key for f in found]
    assert len(keys) == len(set(keys))
    for finding in found:
        assert finding.site_id == "main"
        if finding.rule == "agent.offline":
            assert finding.agent_id == "agent-main"
        elif finding.camera_id is not None:
            assert finding.camera_id in DECLARED_IDS
        else:
            assert finding.address in state.cameras
            assert not finding.address.startswith("127.0.0.9")  # foreign: never judged


@settings(max_examples=100, deadline=None)
@given(state=site_states())
def test_order_of_observations_does_not_matter(state: SiteObservations) -> None:
    reversed_state = SiteObservations(
        site_id=state.site_id, cameras=dict(reversed(list(state.cameras.items()))),
        last_full_cycle_at=state.last_full_cycle_at,
        full_cycle_addresses=state.full_cycle_addresses, agent=state.agent)
    forward = sorted(f.key for f in reconcile_site(POLICY, SITE, state, NOW))
    backward = sorted(f.key for f in reconcile_site(POLICY, SITE, reversed_state, NOW))
    assert forward == backward


@settings(max_examples=300, deadline=None)
@given(state=site_states(), later=st.floats(0.0, 1.0, exclude_max=True))
def test_the_verdict_holds_until_holds_until(state: SiteObservations, later: float) -> None:
    """Any moment before the bound (or within six hours, for none) judges
    the same site exactly as now: the skip of a settled site relies on it."""
    until = holds_until(state, NOW)
    span = (until - NOW) if until is not None else timedelta(hours=6)
    assert span >= timedelta(0)
    moments = [NOW + span * later, NOW + span - timedelta(microseconds=1)]
    now_found = reconcile_site(POLICY, SITE, state, NOW)
    for moment in moments:
        if moment >= NOW:
            assert reconcile_site(POLICY, SITE, state, moment) == now_found, moment
