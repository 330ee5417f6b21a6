"""Every MQTT topic string is built and parsed here, and nowhere else.

Layout (``{site}`` and ``{agent}`` are slugs, so never contain ``/``, ``+``
or ``#``)::

    camwarden/v1/site/{site}/agent/{agent}/birth   AgentBirth   (retained)
    camwarden/v1/site/{site}/agent/{agent}/death   AgentDeath   (last will)
    camwarden/v1/site/{site}/agent/{agent}/report  CameraReport
    camwarden/v1/site/{site}/agent/{agent}/report-batch  CameraReportBatch
    camwarden/v1/site/{site}/agent/{agent}/cycle   CycleReport
    camwarden/v1/site/{site}/agent/{agent}/heartbeat  CameraHeartbeat
    camwarden/v1/site/{site}/policy                PolicyMessage  (retained, from the controller)
    camwarden/v1/site/{site}/alert                 AlertMessage   (from the controller)

Controllers subscribe with ``agent_filter()``, several replicas through a
shared subscription (``shared(group, filter)``) so the broker splits the load.

Compatibility: a controller accepts both ``report`` (one camera, what
older agents send) and ``report-batch`` (many cameras of one cycle); both
end up as the same per-camera reports. ``decode_report_batch`` validates a
batch's envelope once and, only if the whole batch is not valid, each
camera report on its own, so one bad camera does not cost the others.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from schemas.base import Model
from schemas.errors import MessageError
from schemas.messages import (
    MAX_BATCH_BYTES,
    MAX_BATCH_REPORTS,
    AgentBirth,
    AgentDeath,
    AgentMessage,
    AlertMessage,
    BatchedReport,
    CameraHeartbeat,
    CameraReport,
    CameraReportBatch,
    CycleReport,
    PolicyMessage,
    Uuid,
)
from schemas.policy import Slug

ROOT = "camwarden/v1"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_SHARE_GROUP = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class TopicKind(StrEnum):
    BIRTH = "birth"
    DEATH = "death"
    REPORT = "report"
    REPORT_BATCH = "report-batch"
    CYCLE = "cycle"
    HEARTBEAT = "heartbeat"


MESSAGE_FOR_KIND: dict[TopicKind, type[BaseModel]] = {
    TopicKind.BIRTH: AgentBirth,
    TopicKind.DEATH: AgentDeath,
    TopicKind.REPORT: CameraReport,
    TopicKind.REPORT_BATCH: CameraReportBatch,
    TopicKind.CYCLE: CycleReport,
    TopicKind.HEARTBEAT: CameraHeartbeat,
}

RETAINED: frozenset[TopicKind] = frozenset({TopicKind.BIRTH})


@dataclass(frozen=True, slots=True)
class AgentTopic:
    kind: TopicKind
    site_id: str
    agent_id: str

    def __str__(self) -> str:
        return agent_topic(self.kind, self.site_id, self.agent_id)


def _slug(what: str, value: str) -> str:
    if not _SLUG.match(value):
        raise MessageError(f"{what} {value!r} is not a slug (a-z, 0-9, '-', '_')")
    return value


def agent_topic(kind: TopicKind, site_id: str, agent_id: str) -> str:
    return f"{ROOT}/site/{_slug('site id', site_id)}/agent/{_slug('agent id', agent_id)}/{kind}"


def agent_filter(
    site_id: str | None = None, kind: TopicKind | None = None, agent_id: str | None = None
) -> str:
    """Subscription filter for every agent message (of one site, of one kind,
    of one agent, if given). A controller replica takes births and deaths
    directly (MQTT 5 sends no retained message to a shared subscription) and
    reports and cycles through a shared subscription."""
    site = _slug("site id", site_id) if site_id is not None else "+"
    agent = _slug("agent id", agent_id) if agent_id is not None else "+"
    last = TopicKind(kind).value if kind is not None else "+"
    return f"{ROOT}/site/{site}/agent/{agent}/{last}"


def policy_topic(site_id: str) -> str:
    """Where the controller publishes a site's policy (retained)."""
    return f"{ROOT}/site/{_slug('site id', site_id)}/policy"


def policy_filter(site_id: str | None = None) -> str:
    """Every site's policy topic (or one site's)."""
    site = _slug("site id", site_id) if site_id is not None else "+"
    return f"{ROOT}/site/{site}/policy"


def alert_topic(site_id: str) -> str:
    """Where the controller announces a site's alerts."""
    return f"{ROOT}/site/{_slug('site id', site_id)}/alert"


def alert_filter(site_id: str | None = None) -> str:
    site = _slug("site id", site_id) if site_id is not None else "+"
    return f"{ROOT}/site/{site}/alert"


def _site_topic(topic: str, last: str) -> str:
    """The site id of ``camwarden/v1/site/{site}/{last}``."""
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != f"{ROOT}/site" or parts[4] != last:
        raise MessageError(f"topic {topic!r} is not a camwarden {last} topic")
    return _slug("site id", parts[3])


def decode_policy(topic: str, payload: bytes) -> PolicyMessage:
    """Validate a policy message; its site must be the topic's."""
    site_id = _site_topic(topic, "policy")
    message = _validate(topic, PolicyMessage, payload)
    if message.site_id != site_id or site_id not in {s.id for s in message.policy.sites}:
        raise MessageError(f"{topic}: policy message is not for site {site_id!r}")
    return message


def decode_alert(topic: str, payload: bytes) -> AlertMessage:
    """Validate an alert message; its site must be the topic's."""
    site_id = _site_topic(topic, "alert")
    message = _validate(topic, AlertMessage, payload)
    if message.site_id != site_id:
        raise MessageError(f"{topic}: alert is for site {message.site_id!r}, not the topic's")
    return message


M = TypeVar("M", bound=BaseModel)


def _validate(topic: str, model: type[M], payload: bytes) -> M:
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "payload"
        raise MessageError(
            f"{topic}: invalid {model.__name__} ({exc.error_count()} error(s)); "
            f"first at {loc}: {first['msg']}"
        ) from None


def shared(group: str, topic_filter: str) -> str:
    """An MQTT 5 shared subscription: each message goes to one member of ``group``."""
    if not _SHARE_GROUP.match(group):
        raise MessageError(f"share group {group!r} must be 1-64 of A-Z a-z 0-9 _ -")
    return f"$share/{group}/{topic_filter}"


def parse(topic: str) -> AgentTopic:
    """The kind, site and agent of a topic; MessageError names what is wrong."""
    parts = topic.split("/")
    if len(parts) != 7 or "/".join(parts[:3]) != f"{ROOT}/site" or parts[4] != "agent":
        raise MessageError(f"topic {topic!r} is not a camwarden agent topic")
    try:
        kind = TopicKind(parts[6])
    except ValueError:
        raise MessageError(f"topic {topic!r} has unknown kind {parts[6]!r}") from None
    return AgentTopic(kind, _slug("site id", parts[3]), _slug("agent id", parts[5]))


_KIND_OF_MESSAGE = {
    "camera-report": TopicKind.REPORT,
    "camera-report-batch": TopicKind.REPORT_BATCH,
}


def encode(message: AgentMessage) -> tuple[str, bytes]:
    """Topic and payload for a message."""
    kind = _KIND_OF_MESSAGE.get(message.kind) or TopicKind(message.kind)
    return agent_topic(kind, message.site_id, message.agent_id), message.model_dump_json().encode()


def decode(topic: str, payload: bytes) -> tuple[AgentTopic, AgentMessage]:
    """Parse and validate a received message. Raises MessageError, naming the
    topic and the first field that is wrong, for a bad topic, bad JSON, a
    payload of the wrong kind, or a payload whose site or agent differs from
    the topic's (an agent may only speak for itself)."""
    where = parse(topic)
    if where.kind is TopicKind.REPORT_BATCH:
        _batch_size(topic, payload)
    message = _validate(topic, MESSAGE_FOR_KIND[where.kind], payload)
    assert isinstance(
        message,
        AgentBirth | AgentDeath | CameraReport | CameraReportBatch | CycleReport | CameraHeartbeat,
    )
    _same_speaker(topic, where, message.site_id, message.agent_id)
    return where, message


def _same_speaker(topic: str, where: AgentTopic, site_id: str, agent_id: str) -> None:
    if site_id != where.site_id or agent_id != where.agent_id:
        raise MessageError(
            f"{topic}: payload speaks for site {site_id!r} agent {agent_id!r}, not the topic's"
        )


def _batch_size(topic: str, payload: bytes) -> None:
    if len(payload) > MAX_BATCH_BYTES:
        raise MessageError(
            f"{topic}: report batch of {len(payload)} bytes exceeds the limit of {MAX_BATCH_BYTES}"
        )


class _BatchEnvelope(Model):
    """A ``CameraReportBatch`` with its items left unread: what must hold for
    any item of a batch to be taken."""

    schema_version: Literal[1]
    kind: Literal["camera-report-batch"]
    agent_id: Slug
    site_id: Slug
    session_id: Uuid
    cycle_id: Uuid
    policy_id: str
    policy_version: str
    reports: tuple[Any, ...] = Field(min_length=1, max_length=MAX_BATCH_REPORTS)


@dataclass(frozen=True, slots=True)
class RejectedItem:
    """One camera report of a batch that is not valid on its own."""

    index: int
    reason: str
    payload: bytes
    """The item as JSON (re-serialised from the batch: the only bytes it has)."""


@dataclass(frozen=True, slots=True)
class DecodedBatch:
    batch: CameraReportBatch | None
    """The valid items in their envelope (``None``: no item was valid). Kept
    whole so that a reader of many batches need not build a
    ``CameraReport`` per camera."""
    rejected: tuple[RejectedItem, ...]

    @property
    def reports(self) -> tuple[CameraReport, ...]:
        """The valid items as camera reports."""
        return self.batch.camera_reports() if self.batch is not None else ()


def decode_report_batch(topic: str, payload: bytes) -> DecodedBatch:
    """Validate a ``report-batch`` message. Raises MessageError (the whole
    batch is bad) for a bad topic, a payload over ``MAX_BATCH_BYTES``, bad
    JSON, or an envelope that is wrong: a missing or wrong shared field, no
    reports or more than ``MAX_BATCH_REPORTS``, another site's or agent's
    name. Otherwise the valid camera reports come back, and each item that
    is not valid, or repeats an earlier item's report id, as a
    ``RejectedItem`` naming its index and first wrong field.

    One ``model_validate_json`` for the whole batch when it is valid (the
    usual case); the item-by-item path only runs when it is not."""
    where = parse(topic)
    if where.kind is not TopicKind.REPORT_BATCH:
        raise MessageError(f"topic {topic!r} is not a report-batch topic")
    _batch_size(topic, payload)
    try:
        batch = CameraReportBatch.model_validate_json(payload)
    except ValidationError:
        pass
    else:
        _same_speaker(topic, where, batch.site_id, batch.agent_id)
        return DecodedBatch(batch, ())
    envelope = _validate(topic, _BatchEnvelope, payload)
    _same_speaker(topic, where, envelope.site_id, envelope.agent_id)
    good: list[BatchedReport] = []
    rejected: list[RejectedItem] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(envelope.reports):
        raw = json.dumps(item, separators=(",", ":")).encode()
        try:
            report = _validate(f"{topic} reports.{index}", BatchedReport, raw)
        except MessageError as exc:
            rejected.append(RejectedItem(index, str(exc), raw))
            continue
        if report.report_id in first_index:
            reason = (
                f"{topic} reports.{index}: report id {report.report_id} repeats "
                f"reports.{first_index[report.report_id]}"
            )
            rejected.append(RejectedItem(index, reason, raw))
            continue
        first_index[report.report_id] = index
        good.append(report)
    kept: CameraReportBatch | None = None
    if good:
        fields = envelope.model_dump(exclude={"reports", "kind", "schema_version"})
        kept = CameraReportBatch(**fields, reports=tuple(good))
    return DecodedBatch(kept, tuple(rejected))
