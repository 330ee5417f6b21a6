"""From raw MQTT messages to a batch the store can write in one transaction.

Pure: no broker, no database, no clock (``received_at`` comes with each
message). Everything that can be wrong with a payload is decided here: too
large, not JSON, not the schema, an agent speaking for another site. Those
become ``Rejected`` entries for the quarantine, never exceptions.

A valid ``CameraReportBatch`` is kept whole (``Batch.report_batches``),
next to the single reports older agents send; the store takes each of its
items as the camera report it stands for, reading the shared fields once
instead of building a ``CameraReport`` per camera. A batch whose
envelope is wrong (or that is too large) is quarantined whole; a bad item
of an otherwise valid batch is quarantined alone, with its index, reason
and bytes, and the batch's other reports are taken
(``schemas.topics.decode_report_batch``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from schemas.errors import MessageError
from schemas.fingerprint import observation_fingerprint
from schemas.messages import (
    AgentBirth,
    AgentDeath,
    CameraHeartbeat,
    CameraReport,
    CameraReportBatch,
    CycleReport,
)
from schemas.topics import TopicKind, decode, decode_report_batch, parse

QUARANTINE_KEEP_BYTES = 65_536
"""At most this much of a rejected payload is kept (its full size is recorded)."""


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One PUBLISH as paho handed it over. ``generation`` counts the
    connection it arrived on: a message is acked only on that connection."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    received_at: datetime
    retain: bool = False
    """Set when the broker replays a retained message on subscription."""
    generation: int = 0


@dataclass(frozen=True, slots=True)
class Rejected:
    topic: str
    reason: str
    payload: bytes
    size: int
    received_at: datetime


@dataclass(frozen=True, slots=True)
class AgentEvent:
    message: AgentBirth | AgentDeath
    retained: bool
    """A retained birth is old state replayed by the broker, not news."""


@dataclass(slots=True)
class Batch:
    """Valid messages in arrival order, by kind, and the rejected ones."""

    reports: list[CameraReport] = field(default_factory=list)
    report_batches: list[CameraReportBatch] = field(default_factory=list)
    """Each holds only valid items; its camera reports count like ``reports``."""
    cycles: list[CycleReport] = field(default_factory=list)
    heartbeats: list[CameraHeartbeat] = field(default_factory=list)
    agent_events: list[AgentEvent] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.reports)
            + sum(len(b.reports) for b in self.report_batches)
            + len(self.cycles)
            + len(self.heartbeats)
            + len(self.agent_events)
            + len(self.rejected)
        )


def sort_messages(messages: list[RawMessage], max_payload_bytes: int) -> Batch:
    """Validate each message (``schemas.topics.decode``) and sort it by kind."""
    batch = Batch()
    for raw in messages:
        sort_message(batch, raw, max_payload_bytes)
    return batch


def sort_message(batch: Batch, raw: RawMessage, max_payload_bytes: int) -> None:
    """Validate one message and add it to ``batch`` (or to its rejected)."""
    reason: str | None = None
    if len(raw.payload) > max_payload_bytes:
        reason = f"payload of {len(raw.payload)} bytes exceeds the limit of {max_payload_bytes}"
    elif _is_batch(raw.topic):
        try:
            decoded = decode_report_batch(raw.topic, raw.payload)
        except MessageError as exc:
            reason = str(exc)
        else:
            if decoded.batch is not None:
                batch.report_batches.append(decoded.batch)
            batch.rejected.extend(
                _rejected(raw, item.reason, item.payload) for item in decoded.rejected
            )
    else:
        try:
            _, message = decode(raw.topic, raw.payload)
        except MessageError as exc:
            reason = str(exc)
        else:
            if isinstance(message, CameraReport):
                batch.reports.append(message)
            elif isinstance(message, CycleReport):
                batch.cycles.append(message)
            elif isinstance(message, CameraHeartbeat):
                batch.heartbeats.append(message)
            elif isinstance(message, CameraReportBatch):  # decoded above, item by item
                batch.report_batches.append(message)
            else:
                batch.agent_events.append(AgentEvent(message, raw.retain))
    if reason is not None:
        batch.rejected.append(_rejected(raw, reason, raw.payload))


def _is_batch(topic: str) -> bool:
    try:
        return parse(topic).kind is TopicKind.REPORT_BATCH
    except MessageError:
        return False  # decode names what is wrong with the topic


def _rejected(raw: RawMessage, reason: str, payload: bytes) -> Rejected:
    return Rejected(
        topic=raw.topic,
        reason=reason,
        payload=payload[:QUARANTINE_KEEP_BYTES],
        size=len(payload),
        received_at=raw.received_at,
    )


change_signature = observation_fingerprint
"""Equal signatures: nothing worth a history row (``schemas.fingerprint``)."""
