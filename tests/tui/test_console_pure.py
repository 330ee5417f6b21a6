"""The console's pure parts: SSE parsing, the alert feed, the filter words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from console_fleet import MAIN, NOW, build_fleet

from schemas.api import ChangeEvent, FindingEvent
from tui.alerts import AlertFeed, is_alarming
from tui.filtering import matches, query_words, terms
from tui.sse import SseEvent, SseParser


def feed_all(parser: SseParser, text: str) -> list[SseEvent]:
    events = []
    for line in text.split("\n"):
        event = parser.feed(line.rstrip("\r"))
        if event is not None:
            events.append(event)
    return events


def test_sse_event_with_id_type_and_data() -> None:
    events = feed_all(SseParser(), 'id: 7\nevent: finding\ndata: {"a": 1}\n\n')
    assert events == [SseEvent(event="finding", data='{"a": 1}', id="7")]


def test_sse_multiline_data_joined_and_default_type() -> None:
    assert feed_all(SseParser(), "data: one\ndata:two\n\n") == [
        SseEvent(event="message", data="one\ntwo", id=None)
    ]


def test_sse_comments_and_empty_events_dispatch_nothing() -> None:
    assert feed_all(SseParser(), ": keep-alive\n\nevent: x\n\n") == []


def test_sse_last_id_carries_over_and_retry_is_read() -> None:
    parser = SseParser()
    events = feed_all(parser, "id: 3\ndata: a\n\ndata: b\n\nretry: 1500\r\n")
    assert [e.id for e in events] == ["3", "3"]
    assert parser.retry_ms == 1500


def _finding_change(seq: int, kind: str, rule: str = "audio.encoder-enabled") -> ChangeEvent:
    finding = next(f for f in build_fleet().findings if f.rule == rule)
    return ChangeEvent(
        seq=seq, kind="finding", at=NOW, site_id=MAIN, finding=finding,
        event=FindingEvent(finding_id=finding.id, kind=kind, at=NOW),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("kind", "rule", "alarming"),
    [
        ("opened", "audio.encoder-enabled", True),
        ("reopened", "audio.encoder-enabled", True),
        ("escalated", "audio.encoder-enabled", True),
        ("acknowledged", "audio.encoder-enabled", False),
        ("resolved", "audio.encoder-enabled", False),
        ("opened", "retention.configured-too-long", False),
    ],
    ids=lambda value: str(value),
)
def test_only_new_critical_findings_are_alarming(kind: str, rule: str, alarming: bool) -> None:
    alert = AlertFeed().add(_finding_change(1, kind, rule))
    assert alert is not None
    assert is_alarming(alert) is alarming


def test_feed_is_newest_first_bounded_and_ignores_replays_and_heartbeats() -> None:
    feed = AlertFeed(limit=2)
    for seq in (1, 2, 3):
        feed.add(_finding_change(seq, "opened"))
    assert feed.add(_finding_change(3, "opened")) is None
    assert feed.add(ChangeEvent(seq=4, kind="heartbeat", at=NOW + timedelta(seconds=1))) is None
    assert [a.seq for a in feed.items] == [3, 2]


def test_feed_keeps_agent_changes() -> None:
    site = build_fleet().sites[1]
    alert = AlertFeed().add(ChangeEvent(seq=1, kind="agent", at=NOW, site_id=site.site_id,
                                        site=site))
    assert alert is not None and alert.site == site and not is_alarming(alert)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", True),
        ("lobby", True),
        ("LOBBY hanwha", True),
        ("state:miss", False),
        ("state:findings", True),
        ("rule:audio", True),
        ("rule:ptz", False),
    ],
    ids=lambda value: repr(value),
)
def test_filter_words_must_all_match(query: str, expected: bool) -> None:
    haystack = terms("Cam2", "1F lobby", "Hanwha", None,
                     state=("findings",), rule=("audio.encoder-enabled",))
    assert matches(query_words(query), haystack) is expected
