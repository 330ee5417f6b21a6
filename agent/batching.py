"""A cycle's full camera reports packed into ``CameraReportBatch`` messages.

Pure: observations and bounds in, messages out. A batch holds at most
``max_reports`` cameras and, serialised, at most ``max_bytes`` bytes of
JSON; an observation that alone is larger than ``max_bytes`` travels in a
batch of its own (the controller's ``max_payload_bytes`` decides whether
it is taken). Order is kept: the cameras of the first batch come first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from schemas.messages import BatchedReport, CameraObservation, CameraReportBatch


@dataclass(frozen=True, slots=True)
class BatchHeader:
    """What every report of one cycle shares."""

    agent_id: str
    site_id: str
    session_id: str
    cycle_id: str
    policy_id: str
    policy_version: str


def pack_reports(
    header: BatchHeader,
    observations: tuple[CameraObservation, ...] | list[CameraObservation],
    *,
    max_reports: int,
    max_bytes: int,
) -> list[CameraReportBatch]:
    """Each observation gets a fresh report id; the batches are returned in
    order. The byte count is exact: pydantic's JSON has no whitespace, so a
    batch is its envelope plus its items joined by commas."""
    envelope = len(
        CameraReportBatch.model_construct(
            agent_id=header.agent_id,
            site_id=header.site_id,
            session_id=header.session_id,
            cycle_id=header.cycle_id,
            policy_id=header.policy_id,
            policy_version=header.policy_version,
            reports=(),
        ).model_dump_json()
    )
    batches: list[CameraReportBatch] = []
    items: list[BatchedReport] = []
    size = envelope
    for observation in observations:
        item = BatchedReport(report_id=uuid.uuid4().hex, observation=observation)
        item_size = len(item.model_dump_json().encode()) + (1 if items else 0)
        if items and (len(items) >= max_reports or size + item_size > max_bytes):
            batches.append(_batch(header, items))
            items, size = [], envelope
            item_size -= 1
        items.append(item)
        size += item_size
    if items:
        batches.append(_batch(header, items))
    return batches


def _batch(header: BatchHeader, items: list[BatchedReport]) -> CameraReportBatch:
    return CameraReportBatch(
        agent_id=header.agent_id,
        site_id=header.site_id,
        session_id=header.session_id,
        cycle_id=header.cycle_id,
        policy_id=header.policy_id,
        policy_version=header.policy_version,
        reports=tuple(items),
    )
