"""Reconcile with a memo of judged observations gives exactly the findings
of reconcile without one: on the first call (facts judged and remembered),
on a later call fed the lean observations the memo kept (no facts at all),
after observations change, appear or go (their entries replaced or
dropped), and after heartbeats move their times (the judgement kept, the
facts judged as of their own audit)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from checks.factory import NOW, camera_facts
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.checks import SiteIndex
from controller.reconcile import Judged, ObservationToken, SiteObservations, reconcile_site
from reconcile.test_reconcile_properties import POLICY, SITE, site_states
from schemas.facts import AudioFacts
from schemas.messages import CameraObservation

INDEX = SiteIndex(SITE)


def _tokens(state: SiteObservations, version: int = 0) -> dict[str, ObservationToken]:
    return {a: ((version, a), o.observed_at) for a, o in state.cameras.items()}


def _lean(state: SiteObservations, memo: dict[str, Judged]) -> SiteObservations:
    """What the controller's loader hands over for a fleet unchanged since
    the memo was filled: the memo's own lean observations."""
    return replace(state, cameras={a: memo[a].observation for a in state.cameras})


@settings(max_examples=200, deadline=None)
@given(state=site_states(), later_s=st.integers(0, 3600))
def test_a_memo_changes_no_verdict(state: SiteObservations, later_s: int) -> None:
    memo: dict[str, Judged] = {}
    with_tokens = replace(state, tokens=_tokens(state))
    expected = reconcile_site(POLICY, SITE, state, NOW, index=INDEX)
    assert reconcile_site(POLICY, SITE, with_tokens, NOW, index=INDEX, memo=memo) == expected
    assert set(memo) == set(state.cameras)
    assert all(e.observation.facts is None for e in memo.values())
    later = NOW + timedelta(seconds=later_s)  # time alone moves: staleness, silence
    again = reconcile_site(POLICY, SITE, _lean(with_tokens, memo), later, index=INDEX, memo=memo)
    assert again == reconcile_site(POLICY, SITE, state, later, index=INDEX)


@settings(max_examples=150, deadline=None)
@given(first=site_states(), second=site_states())
def test_changed_new_and_gone_observations_are_judged_afresh(
    first: SiteObservations, second: SiteObservations
) -> None:
    memo: dict[str, Judged] = {}
    reconcile_site(POLICY, SITE, replace(first, tokens=_tokens(first)), NOW, index=INDEX, memo=memo)
    # Every observation of the second state is a new version (token 1).
    found = reconcile_site(
        POLICY, SITE, replace(second, tokens=_tokens(second, 1)), NOW, index=INDEX, memo=memo
    )
    assert found == reconcile_site(POLICY, SITE, second, NOW, index=INDEX)
    assert set(memo) == set(second.cameras)


def test_an_entry_whose_token_matches_is_reused_not_rejudged() -> None:
    """The memo is what is believed: the proof that a hit skips the facts."""
    address = "127.0.0.1:8000"
    loud = CameraObservation(
        address=address, reachable=True, observed_at=NOW - timedelta(minutes=1),
        facts=camera_facts(address=address, now=NOW - timedelta(minutes=1),
                           audio=AudioFacts(sources=1, encoder_profiles=("m",))))
    state = SiteObservations(site_id="main", cameras={address: loud}, last_full_cycle_at=None,
                             full_cycle_addresses=frozenset(), agent=None,
                             tokens={address: ("r1", loud.observed_at)})
    memo: dict[str, Judged] = {}
    first = reconcile_site(POLICY, SITE, state, NOW, index=INDEX, memo=memo)
    assert "audio.encoder-enabled" in {f.rule for f in first}  # judged from the facts
    lean = replace(state, cameras={address: memo[address].observation})
    assert reconcile_site(POLICY, SITE, lean, NOW, index=INDEX, memo=memo) == first
    # Same lean observation under a new token: judged again, and without
    # facts there is nothing left to find about the device.
    relabelled = replace(lean, tokens={address: ("r2", loud.observed_at)})
    rejudged = reconcile_site(POLICY, SITE, relabelled, NOW, index=INDEX, memo=memo)
    assert "audio.encoder-enabled" not in {f.rule for f in rejudged}
    assert memo[address].token == ("r2", loud.observed_at)


@settings(max_examples=200, deadline=None)
@given(state=site_states(), moved_s=st.lists(st.integers(0, 3600), min_size=12, max_size=12),
       later_s=st.integers(0, 3600))
def test_heartbeats_move_the_time_and_keep_the_judgement(
    state: SiteObservations, moved_s: list[int], later_s: int
) -> None:
    """Heartbeats confirm the facts later: the memo's entries take the new
    times without judging again, and the verdict is reconcile's without a
    memo for the moved observations with the facts' own audit time (a
    recording's newest footage is as old as the report: no gap grows)."""
    memo: dict[str, Judged] = {}
    reconcile_site(POLICY, SITE, replace(state, tokens=_tokens(state)), NOW, index=INDEX,
                   memo=memo)
    moved = {a: o.model_copy(update={"observed_at": o.observed_at + timedelta(seconds=s)})
             for (a, o), s in zip(state.cameras.items(), moved_s, strict=False)}
    facts_at = {a: state.cameras[a].observed_at for a, o in moved.items()
                if o.observed_at > state.cameras[a].observed_at}
    beaten = replace(state, cameras=moved, facts_at=facts_at)
    later = NOW + timedelta(seconds=later_s)
    lean = replace(beaten, tokens=_tokens(beaten),  # the same reports (facts version 0)
                   cameras={a: memo[a].observation.model_copy(
                       update={"observed_at": o.observed_at}) for a, o in moved.items()})
    judged = dict(memo)
    assert reconcile_site(POLICY, SITE, lean, later, index=INDEX, memo=memo) == reconcile_site(
        POLICY, SITE, beaten, later, index=INDEX)
    assert all(memo[a] is judged[a] for a in moved), "entries kept, not judged anew"
    assert {a: e.observation.observed_at for a, e in memo.items()} == {
        a: o.observed_at for a, o in moved.items()}


def test_a_heartbeat_confirmed_recording_is_judged_as_of_its_audit() -> None:
    """Facts a heartbeat confirmed 25 minutes after their audit: the newest
    footage was 20 s old at the audit, which is what counts; judged at the
    heartbeat's time it would be a 25-minute recording gap."""
    address = "127.0.0.1:8000"
    audited = NOW - timedelta(minutes=30)
    beat = audited + timedelta(minutes=25)
    observation = CameraObservation(
        address=address, reachable=True, observed_at=beat,
        facts=camera_facts(address=address, now=audited))
    state = SiteObservations(site_id="main", cameras={address: observation},
                             last_full_cycle_at=None, full_cycle_addresses=frozenset(),
                             agent=None)
    at_audit = reconcile_site(POLICY, SITE, replace(state, facts_at={address: audited}), NOW,
                              index=INDEX)
    assert "recording.gap" not in {f.rule for f in at_audit}
    at_beat = reconcile_site(POLICY, SITE, state, NOW, index=INDEX)
    assert "recording.gap" in {f.rule for f in at_beat}  # the mistake the facts' time avoids
