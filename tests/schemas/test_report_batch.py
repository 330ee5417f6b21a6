"""CameraReportBatch: its bounds, and what decode_report_batch takes from a
batch that is wrong as a whole (nothing, MessageError) or in some items
(the other items, each bad one named by index)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.errors import MessageError
from schemas.messages import (
    MAX_BATCH_BYTES,
    MAX_BATCH_REPORTS,
    BatchedReport,
    CameraObservation,
    CameraReport,
    CameraReportBatch,
)
from schemas.topics import TopicKind, agent_topic, decode_report_batch, encode

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TOPIC = agent_topic(TopicKind.REPORT_BATCH, "site-a", "agent-1")
HEADER = {
    "agent_id": "agent-1",
    "site_id": "site-a",
    "session_id": uuid.UUID(int=1).hex,
    "cycle_id": uuid.UUID(int=2).hex,
    "policy_id": "p",
    "policy_version": "1",
}


def _item(i: int) -> BatchedReport:
    return BatchedReport(
        report_id=uuid.UUID(int=1000 + i).hex,
        observation=CameraObservation(
            address=f"10.0.{i // 256}.{i % 256}:80",
            reachable=True,
            observed_at=NOW + timedelta(seconds=i),
        ),
    )


def _batch(n: int) -> CameraReportBatch:
    return CameraReportBatch(**HEADER, reports=tuple(_item(i) for i in range(n)))


def _json(n: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_batch(n).model_dump_json())
    return data


def _bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def test_each_item_is_the_camera_report_it_stands_for() -> None:
    batch = _batch(3)
    reports = batch.camera_reports()
    assert [r.report_id for r in reports] == [i.report_id for i in batch.reports]
    for report, item in zip(reports, batch.reports, strict=True):
        assert CameraReport.model_validate_json(report.model_dump_json()) == report
        assert report.observation == item.observation
        assert (report.site_id, report.agent_id, report.cycle_id) == (
            "site-a",
            "agent-1",
            HEADER["cycle_id"],
        )


def test_a_valid_batch_decodes_to_all_its_reports() -> None:
    topic, payload = encode(_batch(5))
    assert topic == TOPIC
    decoded = decode_report_batch(topic, payload)
    assert decoded.rejected == ()
    assert decoded.reports == _batch(5).camera_reports()


@pytest.mark.parametrize("count", [0, MAX_BATCH_REPORTS + 1], ids=["empty", "too-many"])
def test_the_report_count_is_bounded(count: int) -> None:
    with pytest.raises(ValidationError, match="reports"):
        _batch(count)


def test_a_report_id_appears_once_per_batch() -> None:
    with pytest.raises(ValidationError, match="appears twice"):
        CameraReportBatch(**HEADER, reports=(_item(0), _item(0)))


def _with(**changes: Any) -> bytes:
    data = _json(2)
    data.update(changes)
    return _bytes(data)


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"not json", "invalid _BatchEnvelope"),
        (b"\xff\xfe", "invalid _BatchEnvelope"),
        (_with(site_id="site-b"), "speaks for site 'site-b'"),
        (_with(agent_id="agent-2"), "speaks for site 'site-a' agent 'agent-2'"),
        (_with(session_id="nope"), "first at session_id"),
        (_with(schema_version=2), "first at schema_version"),
        (_with(surprise=1), "first at surprise: Extra inputs"),
        (_with(reports=[]), "first at reports"),
        (_with(reports=[{}] * (MAX_BATCH_REPORTS + 1)), "first at reports"),
        (b"{" + b" " * MAX_BATCH_BYTES + b"}", f"exceeds the limit of {MAX_BATCH_BYTES}"),
    ],
    ids=[
        "not-json",
        "not-utf8",
        "other-site",
        "other-agent",
        "bad-session",
        "future-version",
        "extra-field",
        "no-reports",
        "too-many-reports",
        "oversized",
    ],
)
def test_a_bad_envelope_rejects_the_whole_batch(payload: bytes, needle: str) -> None:
    with pytest.raises(MessageError, match=needle):
        decode_report_batch(TOPIC, payload)


def test_a_batch_on_another_topic_kind_is_refused() -> None:
    with pytest.raises(MessageError, match="not a report-batch topic"):
        decode_report_batch(TOPIC.replace("report-batch", "report"), _with())


def test_one_bad_item_is_rejected_alone_and_the_others_are_taken() -> None:
    data = _json(3)
    data["reports"][1]["observation"]["reachable"] = "yes"
    decoded = decode_report_batch(TOPIC, _bytes(data))
    assert [r.report_id for r in decoded.reports] == [_item(0).report_id, _item(2).report_id]
    [bad] = decoded.rejected
    assert bad.index == 1
    assert "reports.1" in bad.reason and "observation.reachable" in bad.reason
    assert json.loads(bad.payload) == data["reports"][1]


def test_a_repeated_report_id_is_rejected_and_the_first_kept() -> None:
    data = _json(3)
    data["reports"][2]["report_id"] = data["reports"][0]["report_id"]
    decoded = decode_report_batch(TOPIC, _bytes(data))
    assert [r.report_id for r in decoded.reports] == [_item(0).report_id, _item(1).report_id]
    assert [(r.index, "repeats reports.0" in r.reason) for r in decoded.rejected] == [(2, True)]


_CORRUPTIONS: dict[str, Any] = {
    "missing-id": lambda item: item.pop("report_id"),
    "bad-id": lambda item: item.update(report_id="X" * 32),
    "extra-field": lambda item: item.update(extra=1),
    "no-observation": lambda item: item.pop("observation"),
    "naive-time": lambda item: item["observation"].update(observed_at="2026-11-24T09:00:00"),
    "number-address": lambda item: item["observation"].update(address=7),
    "not-an-object": None,
}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([None, *_CORRUPTIONS]), min_size=1, max_size=12))
def test_exactly_the_good_items_are_taken(plan: list[str | None]) -> None:
    """Any mix of good and corrupted items: the good ones come back in
    order, each corrupted one is rejected by its index; nothing else."""
    data = _json(len(plan))
    for index, corruption in enumerate(plan):
        if corruption == "not-an-object":
            data["reports"][index] = [1, 2]
        elif corruption is not None:
            _CORRUPTIONS[corruption](data["reports"][index])
    decoded = decode_report_batch(TOPIC, _bytes(data))
    good = [i for i, c in enumerate(plan) if c is None]
    assert [r.report_id for r in decoded.reports] == [_item(i).report_id for i in good]
    assert [r.index for r in decoded.rejected] == [i for i, c in enumerate(plan) if c]
    assert all(f"reports.{r.index}" in r.reason for r in decoded.rejected)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300) | _JSON.map(lambda value: json.dumps(value).encode()))
def test_any_payload_is_decoded_or_refused_with_a_message_error(payload: bytes) -> None:
    try:
        decoded = decode_report_batch(TOPIC, payload)
    except MessageError as exc:
        assert TOPIC in str(exc)
    else:
        assert len(decoded.reports) + len(decoded.rejected) >= 1
