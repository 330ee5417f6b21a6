"""Pure lifecycle rules: escalation, the per-camera rate limit, backoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from controller.alerts.dispatcher import backoff
from controller.alerts.lifecycle import RateLimiter, escalations
from schemas.findings import make_finding

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    id: int
    key: tuple[str, str, str]
    state: str
    severity: str
    first_seen: datetime
    opened_at: datetime | None = None
    escalated_at: datetime | None = None


def _row(state: str = "open", severity: str = "warning", **kw: object) -> Row:
    return Row(1, ("s", "cam1", "clock.drift"), state, severity, T0, **kw)  # type: ignore[arg-type]


def _holding(severity: str) -> object:
    finding = make_finding("clock.drift", "drift", {}, site_id="s", camera_id="cam1")
    return finding.model_copy(update={"severity": severity})


@pytest.mark.parametrize(
    ("row", "severity", "at", "reason"),
    [
        pytest.param(_row(), "critical", T0, "severity rose", id="severity-rose"),
        pytest.param(_row(), "warning", T0 + timedelta(hours=2), "open and", id="old-and-open"),
        pytest.param(_row(), "warning", T0 + timedelta(minutes=59), None, id="young"),
        pytest.param(
            _row(state="acknowledged"), "warning", T0 + timedelta(days=9), None, id="acked"
        ),
        pytest.param(
            _row(escalated_at=T0 + timedelta(hours=1)),
            "warning",
            T0 + timedelta(days=9),
            None,
            id="once-per-opening",
        ),
        pytest.param(
            _row(opened_at=T0 + timedelta(days=1)),
            "warning",
            T0 + timedelta(days=1, minutes=30),
            None,
            id="age-counts-from-reopening",
        ),
        pytest.param(_row(severity="critical"), "warning", T0, None, id="severity-fell"),
        pytest.param(_row(state="resolved"), "critical", T0, None, id="resolved-row"),
    ],
)
def test_escalation(row: Row, severity: str, at: datetime, reason: str | None) -> None:
    found = escalations([row], [_holding(severity)], at, 3600.0)  # type: ignore[list-item]
    if reason is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].reason.startswith(reason)


def test_no_escalation_for_a_finding_that_no_longer_holds() -> None:
    assert escalations([_row()], [], T0 + timedelta(days=1), 60.0) == []


def test_rate_limit_holds_back_a_flapping_camera_and_tells_the_next_alert() -> None:
    limiter = RateLimiter(max_alerts=3, window_s=60)
    admitted = [limiter.admit("s", "cam1", T0 + timedelta(seconds=i)) for i in range(10)]
    assert admitted[:3] == [0, 0, 0]
    assert admitted[3:] == [None] * 7
    assert limiter.admit("s", "cam2", T0) == 0, "other cameras are not limited"
    assert limiter.admit("s", "cam1", T0 + timedelta(seconds=61)) == 7
    assert limiter.suppressed_total == 7


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_grows_is_bounded_and_jittered(attempt: int) -> None:
    low = backoff(attempt, 0.5, 30.0, lambda: 0.0)
    high = backoff(attempt, 0.5, 30.0, lambda: 1.0)
    base = min(30.0, 0.5 * 2 ** (attempt - 1))
    assert (low, high) == (base / 2, base)
