"""reconcile_site: declared + observed + now -> the findings that hold."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import pytest
from checks.factory import NOW, camera_facts, make_policy, ptz_facts, recording_facts, rules

from agent.checks import SiteIndex
from controller.reconcile import (
    AgentState,
    ReconcileSettings,
    SiteObservations,
    holds_until,
    match_observation,
    reconcile_site,
)
from schemas.facts import AudioFacts, CameraFacts
from schemas.findings import Finding, make_finding
from schemas.messages import CameraErrorInfo, CameraObservation

POLICY = make_policy()
SITE = POLICY.sites[0]
SESSION = "0" * 32
SEEN = NOW - timedelta(minutes=2)
CYCLE_AT = NOW - timedelta(minutes=1)


def observation(
    address: str,
    serial: str | None,
    *,
    at: datetime = SEEN,
    reachable: bool = True,
    facts: CameraFacts | None = None,
    camera_id: str | None = None,
    findings: tuple[Finding, ...] = (),
    **parts: object,
) -> CameraObservation:
    if reachable and facts is None:
        facts = camera_facts(address=address, serial=serial, now=at, **parts)  # type: ignore[arg-type]
    return CameraObservation(
        address=address, reachable=reachable, observed_at=at, camera_id=camera_id,
        facts=facts, findings=findings,
        errors=() if reachable else (
            CameraErrorInfo(kind="timeout", operation="GetDeviceInformation", message="10 s"),),
    )


def compliant_fleet(at: datetime = SEEN) -> dict[str, CameraObservation]:
    return {
        "127.0.0.1:8000": observation("127.0.0.1:8000", "SN-0001", at=at),
        "127.0.0.2:8000": observation("127.0.0.2:8000", "SN-0002", at=at),
        "127.0.0.3:8000": observation("127.0.0.3:8000", "SN-0003", at=at, ptz=ptz_facts()),
    }


def online_agent(last_seen: datetime = SEEN, *, online: bool = True) -> AgentState:
    return AgentState(agent_id="agent-main", session_id=SESSION, online=online,
                      last_seen=last_seen, interval_s=60.0)


def site_state(
    cameras: Mapping[str, CameraObservation],
    *,
    cycle_at: datetime | None = CYCLE_AT,
    cycle: frozenset[str] | None = None,
    agent: AgentState | None = None,
) -> SiteObservations:
    return SiteObservations(
        site_id="main",
        cameras=cameras,
        last_full_cycle_at=cycle_at,
        full_cycle_addresses=frozenset(cameras) if cycle is None else cycle,
        agent=agent if agent is not None else online_agent(),
    )


def reconcile(
    state: SiteObservations, now: datetime = NOW, **kwargs: object
) -> tuple[Finding, ...]:
    return reconcile_site(POLICY, SITE, state, now, **kwargs)  # type: ignore[arg-type]


def keys(found: tuple[Finding, ...]) -> list[tuple[str, str, str]]:
    return sorted(f.key for f in found)


def test_compliant_site_has_no_finding() -> None:
    assert reconcile(site_state(compliant_fleet())) == ()


def test_agents_own_findings_are_not_trusted() -> None:
    bogus = make_finding("audio.recorded", "claimed by the agent", {}, site_id="main",
                         camera_id="cam1")
    fleet = compliant_fleet()
    fleet["127.0.0.1:8000"] = observation("127.0.0.1:8000", "SN-0001", findings=(bogus,))
    assert reconcile(site_state(fleet)) == ()


def test_facts_are_judged_under_the_newer_policy() -> None:
    # Every camera keeps 30 days, as the agent's policy said; the newer policy
    # declares 15.
    newer = make_policy(version="2026-02-01", retention={"days": 15, "tolerance_days": 1})
    found = reconcile_site(newer, newer.sites[0], site_state(compliant_fleet()), NOW)
    assert keys(found) == [
        ("main", camera, rule)
        for camera in ("cam1", "cam2", "cam3")
        for rule in ("retention.configured-too-long", "retention.kept-too-long")
    ]


def test_facts_are_judged_as_of_their_observation() -> None:
    # Newest footage was 3 minutes old when observed 8 minutes ago: no gap,
    # though 11 minutes have passed since (staleness is another rule).
    at = NOW - timedelta(minutes=8)
    fleet = compliant_fleet()
    fleet["127.0.0.1:8000"] = observation(
        "127.0.0.1:8000", "SN-0001", at=at, recording=recording_facts(now=at, newest_minutes=3))
    assert reconcile(site_state(fleet, cycle_at=at)) == ()


def test_device_findings_carry_site_camera_and_address() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.1:8000"] = observation(
        "127.0.0.1:8000", "SN-0001", audio=AudioFacts(sources=1, encoder_profiles=("main",)))
    (finding,) = reconcile(site_state(fleet))
    assert (finding.rule, finding.site_id, finding.camera_id, finding.address) == (
        "audio.encoder-enabled", "main", "cam1", "127.0.0.1:8000")


def test_undeclared_device() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.7:80"] = observation("127.0.0.7:80", "SN-STRANGER")
    (finding,) = reconcile(site_state(fleet))
    assert finding.key == ("main", "127.0.0.7:80", "inventory.undeclared")
    assert finding.camera_id is None
    assert finding.address == "127.0.0.7:80"


def test_undeclared_device_gets_policy_wide_rules() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.7:80"] = observation("127.0.0.7:80", "SN-STRANGER", ptz=ptz_facts())
    assert keys(reconcile(site_state(fleet))) == [
        ("main", "127.0.0.7:80", "inventory.undeclared"),
        ("main", "127.0.0.7:80", "ptz.unapproved"),
    ]


def test_foreign_camera_is_excluded() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.9:80"] = observation(
        "127.0.0.9:80", "THEIRS", audio=AudioFacts(sources=1, encoder_profiles=("main",)))
    fleet["127.0.0.9:81"] = observation("127.0.0.9:81", None, reachable=False)
    assert reconcile(site_state(fleet)) == ()


def test_undeclared_device_gone_since_the_last_cycle() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.7:80"] = observation("127.0.0.7:80", "SN-STRANGER", at=NOW - timedelta(days=1))
    cycle = frozenset(fleet) - {"127.0.0.7:80"}
    assert reconcile(site_state(fleet, cycle=cycle)) == ()


def test_missing_camera() -> None:
    fleet = compliant_fleet()
    del fleet["127.0.0.1:8000"]
    (finding,) = reconcile(site_state(fleet))
    assert finding.key == ("main", "cam1", "inventory.missing")
    assert finding.evidence["declared_serial"] == "SN-0001"
    assert finding.evidence["last_full_cycle_at"] == CYCLE_AT.isoformat()
    assert "Cam1 (1F lobby) was not found" in finding.summary


def test_nothing_is_missing_before_a_first_full_cycle() -> None:
    fleet = compliant_fleet()
    del fleet["127.0.0.1:8000"]
    assert reconcile(site_state(fleet, cycle_at=None, cycle=frozenset())) == ()


def test_camera_seen_after_the_cycle_is_not_missing() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.1:8001"] = observation("127.0.0.1:8001", "SN-0001", at=NOW)
    del fleet["127.0.0.1:8000"]
    cycle = frozenset(fleet) - {"127.0.0.1:8001"}
    assert reconcile(site_state(fleet, cycle=cycle)) == ()


def test_leftover_observation_before_the_cycle_is_missing_not_unreachable() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.1:8000"] = observation("127.0.0.1:8000", "SN-0001", at=NOW - timedelta(days=2))
    cycle = frozenset(fleet) - {"127.0.0.1:8000"}
    found = reconcile(site_state(fleet, cycle=cycle))
    assert keys(found) == [("main", "cam1", "inventory.missing")]


def test_missing_camera_keeps_its_last_known_findings() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.1:8000"] = observation(
        "127.0.0.1:8000", "SN-0001", at=NOW - timedelta(days=2),
        audio=AudioFacts(sources=1, encoder_profiles=("main",)))
    cycle = frozenset(fleet) - {"127.0.0.1:8000"}
    assert keys(reconcile(site_state(fleet, cycle=cycle))) == [
        ("main", "cam1", "audio.encoder-enabled"), ("main", "cam1", "inventory.missing")]


def test_unreachable_camera() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.2:8000"] = observation("127.0.0.2:8000", None, reachable=False)
    (finding,) = reconcile(site_state(fleet))
    assert finding.key == ("main", "cam2", "camera.unreachable")
    assert "last_seen" not in finding.evidence, "heartbeats of the failed audit move it"
    assert finding.evidence["reachable"] is False
    assert finding.evidence["errors"] == ("timeout GetDeviceInformation: 10 s",)


def test_unreachable_camera_known_by_the_agents_camera_id() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.1:8000"] = observation("127.0.0.1:8000", None, reachable=False,
                                          camera_id="cam1")
    assert keys(reconcile(site_state(fleet))) == [("main", "cam1", "camera.unreachable")]


def test_unreachable_unknown_address() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.7:80"] = observation("127.0.0.7:80", None, reachable=False)
    assert keys(reconcile(site_state(fleet))) == [("main", "127.0.0.7:80", "camera.unreachable")]


@pytest.mark.parametrize(
    ("age_s", "expected"),
    [
        pytest.param(900.0, [], id="exactly-at-stale-limit"),
        pytest.param(900.5, [("main", "cam1", "camera.unreachable")], id="beyond-stale-limit"),
    ],
)
def test_stale_observation(age_s: float, expected: list[tuple[str, str, str]]) -> None:
    fleet = compliant_fleet()
    at = NOW - timedelta(seconds=age_s)
    fleet["127.0.0.1:8000"] = observation("127.0.0.1:8000", "SN-0001", at=at)
    found = reconcile(site_state(fleet, cycle_at=at - timedelta(seconds=1)))
    assert keys(found) == expected
    for finding in found:
        assert finding.evidence["last_seen"] == at.isoformat()
        assert finding.evidence["stale"] is True


def test_stale_observation_keeps_its_findings() -> None:
    fleet = compliant_fleet()
    at = NOW - timedelta(hours=1)
    fleet["127.0.0.1:8000"] = observation(
        "127.0.0.1:8000", "SN-0001", at=at, audio=AudioFacts(sources=1, encoder_profiles=("m",)))
    assert keys(reconcile(site_state(fleet, cycle_at=at))) == [
        ("main", "cam1", "audio.encoder-enabled"), ("main", "cam1", "camera.unreachable")]


def test_custom_stale_limit() -> None:
    fleet = compliant_fleet(at=NOW - timedelta(seconds=100))
    state = site_state(fleet, cycle_at=NOW - timedelta(seconds=100))
    found = reconcile(state, settings=ReconcileSettings(stale_after_s=60))
    assert [f.rule for f in found] == ["camera.unreachable"] * 3


@pytest.mark.parametrize(
    ("agent", "offline"),
    [
        pytest.param(online_agent(), False, id="online"),
        pytest.param(online_agent(NOW - timedelta(seconds=180)), False, id="silent-exactly-3x"),
        pytest.param(online_agent(NOW - timedelta(seconds=181)), True, id="silent-beyond-3x"),
        pytest.param(online_agent(online=False), True, id="left-last-will"),
    ],
)
def test_agent_offline(agent: AgentState, offline: bool) -> None:
    found = reconcile(site_state(compliant_fleet(), agent=agent))
    assert keys(found) == ([("main", "agent-main", "agent.offline")] if offline else [])
    for finding in found:
        assert finding.agent_id == "agent-main"
        assert finding.camera_id is None
        assert finding.evidence["session_id"] == SESSION


def test_no_known_agent_is_not_offline() -> None:
    state = SiteObservations(site_id="main", cameras=compliant_fleet(), last_full_cycle_at=CYCLE_AT,
                             full_cycle_addresses=frozenset(compliant_fleet()), agent=None)
    assert reconcile(state) == ()


def test_offline_agent_keeps_findings_and_hides_stale_cameras() -> None:
    at = NOW - timedelta(hours=2)
    fleet = compliant_fleet(at=at)
    fleet["127.0.0.1:8000"] = observation(
        "127.0.0.1:8000", "SN-0001", at=at, audio=AudioFacts(sources=1, encoder_profiles=("m",)))
    fleet["127.0.0.2:8000"] = observation("127.0.0.2:8000", None, at=at, reachable=False)
    state = site_state(fleet, cycle_at=at, agent=online_agent(at, online=False))
    assert keys(reconcile(state)) == [
        ("main", "agent-main", "agent.offline"),
        ("main", "cam1", "audio.encoder-enabled"),
        ("main", "cam2", "camera.unreachable"),
    ]


def test_two_addresses_of_one_camera_give_one_set_of_findings() -> None:
    # cam1 moved from :8000 to :8001; the old observation lingers.
    fleet = compliant_fleet()
    fleet["127.0.0.1:8000"] = observation(
        "127.0.0.1:8000", "SN-0001", at=NOW - timedelta(minutes=5),
        audio=AudioFacts(sources=1, encoder_profiles=("m",)))
    fleet["127.0.0.1:8001"] = observation(
        "127.0.0.1:8001", "SN-0001", audio=AudioFacts(sources=1, encoder_profiles=("m",)),
        clock=None)
    found = reconcile(site_state(fleet))
    assert keys(found) == [("main", "cam1", "audio.encoder-enabled")]
    assert found[0].address == "127.0.0.1:8001"


def test_index_is_reused() -> None:
    index = SiteIndex(SITE)
    assert reconcile(site_state(compliant_fleet()), index=index) == ()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: reconcile(site_state(compliant_fleet()), datetime(2026, 3, 1)),
                     "now must be a timezone-aware", id="naive-now"),
        pytest.param(lambda: reconcile_site(POLICY, POLICY.sites[1], site_state({}), NOW),
                     "observations are of site 'main', not 'annex'", id="other-site"),
        pytest.param(lambda: reconcile(site_state({}), index=SiteIndex(POLICY.sites[1])),
                     "the index is of site 'annex', not 'main'", id="other-index"),
        pytest.param(lambda: ReconcileSettings(stale_after_s=0),
                     "stale_after_s must be > 0", id="zero-stale"),
        pytest.param(lambda: ReconcileSettings(agent_silent_intervals=-1),
                     "agent_silent_intervals must be > 0", id="negative-intervals"),
        pytest.param(lambda: AgentState("a", SESSION, True, datetime(2026, 3, 1), 60.0),
                     "AgentState.last_seen must be a timezone-aware", id="naive-agent-time"),
        pytest.param(lambda: AgentState("a", SESSION, True, NOW, 0.0),
                     "interval_s must be > 0", id="zero-interval"),
        pytest.param(lambda: site_state({}, cycle_at=datetime(2026, 3, 1)),
                     "last_full_cycle_at must be a timezone-aware", id="naive-cycle"),
    ],
)
def test_bad_input_is_named(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_summaries_read_on_one_line() -> None:
    fleet = compliant_fleet()
    del fleet["127.0.0.1:8000"]
    fleet["127.0.0.2:8000"] = observation("127.0.0.2:8000", None, reachable=False)
    fleet["127.0.0.7:80"] = observation("127.0.0.7:80", "SN-STRANGER")
    found = reconcile(site_state(fleet, agent=online_agent(online=False)))
    assert rules(found) == ["agent.offline", "camera.unreachable", "inventory.missing",
                            "inventory.undeclared"]
    for finding in found:
        assert finding.summary and "\n" not in finding.summary


def test_same_instant_answer_beats_silence() -> None:
    fleet = compliant_fleet()
    fleet["127.0.0.1:80"] = observation("127.0.0.1:80", None, reachable=False, camera_id="cam1")
    assert reconcile(site_state(fleet)) == ()


@pytest.mark.parametrize(
    ("address", "obs", "expected"),
    [
        pytest.param("127.0.0.5:80", observation("127.0.0.5:80", "SN-0003"), "cam3",
                     id="by-identity"),
        pytest.param("127.0.0.2:8000", observation("127.0.0.2:8000", None, reachable=False),
                     "cam2", id="silent-by-address"),
        pytest.param("127.0.0.5:80", observation("127.0.0.5:80", None, reachable=False,
                                                 camera_id="cam1"), "cam1",
                     id="silent-by-remembered-id"),
        pytest.param("127.0.0.5:80", observation("127.0.0.5:80", None, reachable=False,
                                                 camera_id="removed-cam"), None,
                     id="remembered-id-no-longer-declared"),
    ],
)
def test_match_observation(address: str, obs: CameraObservation, expected: str | None) -> None:
    match = match_observation(SiteIndex(SITE), address, obs)
    assert (match.camera.id if match.camera else None) == expected


def test_holds_until_the_oldest_fresh_camera_turns_stale() -> None:
    oldest = NOW - timedelta(seconds=600)
    fleet = compliant_fleet()
    fleet["127.0.0.1:8000"] = observation("127.0.0.1:8000", "SN-0001", at=oldest)
    state = site_state(fleet, cycle_at=oldest - timedelta(seconds=1),
                       agent=AgentState(agent_id="agent-main", session_id=SESSION, online=True,
                                        last_seen=NOW, interval_s=600.0))
    until = holds_until(state, NOW)
    assert until == oldest + timedelta(seconds=900)
    assert reconcile(state, until) == reconcile(state) == ()
    assert keys(reconcile(state, until + timedelta(microseconds=1))) == [
        ("main", "cam1", "camera.unreachable")]


def test_holds_until_the_agent_falls_silent() -> None:
    state = site_state(compliant_fleet(), agent=online_agent(NOW - timedelta(seconds=60)))
    until = holds_until(state, NOW)  # 3 × 60 s after it was last seen, less a µs
    assert until == NOW + timedelta(seconds=120, microseconds=-1)
    assert reconcile(state, until) == ()
    assert keys(reconcile(state, until + timedelta(seconds=1))) == [
        ("main", "agent-main", "agent.offline")]


def test_a_stale_camera_and_an_offline_agent_do_not_change_with_the_clock() -> None:
    at = NOW - timedelta(hours=2)
    fleet = compliant_fleet(at=at)
    fleet["127.0.0.2:8000"] = observation("127.0.0.2:8000", None, at=at, reachable=False)
    for agent in (online_agent(NOW - timedelta(hours=1)), online_agent(at, online=False)):
        state = site_state(fleet, cycle_at=at, agent=agent)
        assert holds_until(state, NOW) is None
        assert reconcile(state, NOW + timedelta(days=3)) == reconcile(state) != ()


def test_unreachable_words_name_the_last_report_not_its_age() -> None:
    at = NOW - timedelta(hours=1)
    fleet = compliant_fleet()
    fleet["127.0.0.1:8000"] = observation("127.0.0.1:8000", "SN-0001", at=at)
    (finding,) = reconcile(site_state(fleet, cycle_at=at))
    assert finding.summary == (
        f"no report of the camera at 127.0.0.1:8000 since {at.isoformat(timespec='seconds')} "
        "(limit 900 s)")
    assert "age_s" not in finding.evidence


def test_heartbeats_of_a_camera_that_does_not_answer_change_nothing() -> None:
    """The agent repeats the same failed audit as heartbeats: the camera's
    time moves, its finding says the same, word for word."""
    fleet = compliant_fleet()
    fleet["127.0.0.2:8000"] = observation("127.0.0.2:8000", None, reachable=False)
    before = reconcile(site_state(fleet))
    moved = dict(fleet)
    moved["127.0.0.2:8000"] = fleet["127.0.0.2:8000"].model_copy(
        update={"observed_at": SEEN + timedelta(seconds=90)})
    assert before and reconcile(site_state(moved)) == before
