"""pack_reports: a cycle's observations in batches bounded by count and
bytes, in order, each camera once with its own report id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.batching import BatchHeader, pack_reports
from schemas.messages import CameraObservation

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HEADER = BatchHeader("agent-1", "site-a", uuid.UUID(int=1).hex, uuid.UUID(int=2).hex, "p", "1")


def _observations(sizes: list[int]) -> list[CameraObservation]:
    """One observation per entry, its address padded to about that many bytes."""
    return [
        CameraObservation(
            address=f"10.0.0.{i}:80#" + "x" * size,
            reachable=False,
            observed_at=NOW + timedelta(seconds=i),
        )
        for i, size in enumerate(sizes)
    ]


@settings(max_examples=80, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 3000), min_size=0, max_size=60),
    max_reports=st.integers(1, 20),
    max_bytes=st.integers(4096, 20_000),
)
def test_batches_keep_order_and_bounds(sizes: list[int], max_reports: int, max_bytes: int) -> None:
    observations = _observations(sizes)
    batches = pack_reports(HEADER, observations, max_reports=max_reports, max_bytes=max_bytes)
    packed = [item.observation for batch in batches for item in batch.reports]
    assert packed == observations
    ids = [item.report_id for batch in batches for item in batch.reports]
    assert len(set(ids)) == len(ids)
    for batch in batches:
        assert 1 <= len(batch.reports) <= max_reports
        size = len(batch.model_dump_json().encode())
        assert size <= max_bytes or len(batch.reports) == 1, (size, len(batch.reports))


def test_a_batch_is_filled_up_to_the_byte_bound() -> None:
    """The byte count is exact: the first batch leaves less room than one more item."""
    observations = _observations([500] * 40)
    batches = pack_reports(HEADER, observations, max_reports=1000, max_bytes=8192)
    assert len(batches) > 1
    first = len(batches[0].model_dump_json().encode())
    item = len(batches[1].reports[0].model_dump_json().encode())
    assert first <= 8192 < first + 1 + item


@pytest.mark.parametrize(("count", "expected"), [(0, []), (1, [1]), (450, [200, 200, 50])])
def test_batches_hold_at_most_max_reports(count: int, expected: list[int]) -> None:
    batches = pack_reports(
        HEADER, _observations([0] * count), max_reports=200, max_bytes=1 << 20
    )
    assert [len(b.reports) for b in batches] == expected


def test_an_observation_larger_than_the_bound_travels_alone() -> None:
    batches = pack_reports(HEADER, _observations([10, 9000, 10]), max_reports=10, max_bytes=4096)
    assert [len(b.reports) for b in batches] == [1, 1, 1]
