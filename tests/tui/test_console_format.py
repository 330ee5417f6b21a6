"""The console's wording, as pure functions: symbols and words beside every
colour, ages against an injected now, the status line, and the declared
against observed comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from console_fleet import MAIN, NOW, FleetData

from schemas.api import CameraState, SeverityCounts
from schemas.rules import SEVERITIES, Severity
from tui.compare import ASPECTS, NOT_DECLARED, NOT_OBSERVED, PER_POLICY, comparison
from tui.format import (
    STATE_MARK,
    age,
    agent_text,
    counts_text,
    evidence_lines,
    link_status,
    local_time,
    percent,
    severity_text,
    state_text,
)

URL = "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("severity", "shown"),
    [("critical", "✖ critical"), ("warning", "▲ warning"), ("info", "ℹ info")],
    ids=list(SEVERITIES),
)
def test_severity_carries_a_symbol_and_a_word(severity: Severity, shown: str) -> None:
    assert severity_text(severity).plain == shown


@pytest.mark.parametrize("state", list(STATE_MARK), ids=list(STATE_MARK))
def test_every_camera_state_has_a_symbol_and_a_word(state: CameraState) -> None:
    symbol, word = state_text(state).plain.split(" ", 1)
    assert len(symbol) == 1 and not symbol.isalnum()
    assert word.replace(" ", "").isalpha()


def test_distinct_states_read_differently_without_colour() -> None:
    plains = [state_text(state).plain for state in STATE_MARK]
    assert len(set(plains)) == len(plains)


@pytest.mark.parametrize(
    ("counts", "shown"),
    [
        (SeverityCounts(), "✔ none"),
        (SeverityCounts(critical=2, info=1), "✖2 ▲0 ℹ1"),
    ],
    ids=["nothing-open", "some-open"],
)
def test_counts(counts: SeverityCounts, shown: str) -> None:
    assert counts_text(counts).plain == shown


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [(2, 6, "33.3 %"), (6, 6, "100.0 %"), (0, 0, "n/a")],
    ids=["third", "all", "no-cameras"],
)
def test_percent(part: int, whole: int, shown: str) -> None:
    assert percent(part, whole) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0 s"), (119, "119 s"), (120, "2 min"), (7200, "2 h"), (3 * 86400, "3 d"),
     (-5, "in the future")],
    ids=["now", "under-two-minutes", "minutes", "hours", "days", "future"],
)
def test_age(seconds: int, shown: str) -> None:
    assert age(NOW - timedelta(seconds=seconds), NOW) == shown


def test_local_time_is_shown_in_the_display_zone() -> None:
    seoul = timezone(timedelta(hours=9), "KST")
    assert local_time(datetime(2026, 3, 2, 0, 30, tzinfo=UTC), seoul) == "2026-03-02 09:30 KST"


def test_offline_agent_says_so_in_words(fleet_data: FleetData) -> None:
    assert agent_text(fleet_data.sites[1], NOW).plain == "○ OFFLINE, 21 min"


def test_evidence_is_named_and_ordered() -> None:
    lines = evidence_lines({"profiles": ("main", "sub"), "audio": True, "drift_s": None})
    assert lines == ("audio: yes", "drift_s: unknown", "profiles: main, sub")


def test_status_when_connected() -> None:
    text, bad = link_status(URL, NOW - timedelta(seconds=3), None, NOW, 5)
    assert (text, bad) == (f"✔ connected to {URL} · updated 3 s ago", False)


def test_status_when_unreachable_says_how_old_the_data_is() -> None:
    error = f"controller unreachable at {URL}: Connection refused"
    text, bad = link_status(URL, NOW - timedelta(seconds=42), error, NOW, 5)
    assert bad
    assert text == (
        f"✖ controller unreachable at {URL}, retrying every 5 s; data shown is 42 s old"
    )


def test_status_when_unreachable_from_the_start() -> None:
    text, _ = link_status(URL, None, f"controller unreachable at {URL}: refused", NOW, 0)
    assert text.endswith("press r to retry; no data yet")


def test_comparison_of_a_camera_with_audio_names_the_profile(fleet_data: FleetData) -> None:
    detail = fleet_data.details[(MAIN, "test-main-cam2")]
    rows = {aspect: (declared, observed) for aspect, declared, observed in comparison(detail, NOW)}
    assert tuple(rows) == ASPECTS
    assert rows["audio"] == (PER_POLICY, "AUDIO ENCODED in profile(s) main (1 input(s))")
    assert rows["retention"][1] == "keeps 30 days; oldest footage 30 d old"
    assert rows["clock"][1] == "+1.5 s from true time; NTP"


def test_comparison_of_an_undeclared_device(fleet_data: FleetData) -> None:
    rows = comparison(fleet_data.details[(MAIN, "127.0.0.1:18099")], NOW)
    declared = {aspect: d for aspect, d, _ in rows}
    observed = {aspect: o for aspect, _, o in rows}
    assert set(declared.values()) == {NOT_DECLARED}
    assert observed["security"].startswith("ANSWERS WITHOUT AUTHENTICATION")
    assert observed["ptz"] == "PTZ (1 node(s)) at pan +0.50 tilt +0.00 zoom 0.10; presets: window"


def test_comparison_of_a_missing_camera(fleet_data: FleetData) -> None:
    rows = comparison(fleet_data.details[(MAIN, "test-main-cam4")], NOW)
    assert {o for _, _, o in rows} == {NOT_OBSERVED}
    assert rows[0][1] == "serial TEST-0004"


def test_comparison_of_an_approved_ptz_camera_names_its_home(fleet_data: FleetData) -> None:
    rows = {a: d for a, d, _ in comparison(fleet_data.details[(MAIN, "test-main-cam3")], NOW)}
    assert rows["ptz"] == "approved; presets: gate; rests at gate (pan +0.25 tilt -0.10 zoom 0.00)"
