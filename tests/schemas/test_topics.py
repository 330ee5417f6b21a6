"""Every topic kind maps to exactly one message model and round-trips."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from schemas.errors import MessageError
from schemas.messages import (
    AgentBirth,
    AgentDeath,
    BatchedReport,
    CameraHeartbeat,
    CameraObservation,
    CameraReport,
    CameraReportBatch,
    CycleReport,
    HeartbeatEntry,
)
from schemas.topics import (
    MESSAGE_FOR_KIND,
    TopicKind,
    agent_filter,
    agent_topic,
    decode,
    encode,
    parse,
    shared,
)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SESSION = uuid.UUID(int=1).hex
CYCLE = uuid.UUID(int=2).hex


def _messages() -> dict[TopicKind, object]:
    observation = CameraObservation(address="127.0.0.1:10001", reachable=True, observed_at=NOW)
    common = {"agent_id": "agent-1", "site_id": "site-a", "session_id": SESSION}
    return {
        TopicKind.BIRTH: AgentBirth(
            **common,
            started_at=NOW,
            software_version="0.1.0",
            policy_id="p",
            policy_version="1",
            interval_s=60.0,
            targets=3,
        ),
        TopicKind.DEATH: AgentDeath(**common),
        TopicKind.REPORT: CameraReport(
            **common,
            report_id=uuid.UUID(int=3).hex,
            cycle_id=CYCLE,
            policy_id="p",
            policy_version="1",
            observation=observation,
        ),
        TopicKind.REPORT_BATCH: CameraReportBatch(
            **common,
            cycle_id=CYCLE,
            policy_id="p",
            policy_version="1",
            reports=(BatchedReport(report_id=uuid.UUID(int=6).hex, observation=observation),),
        ),
        TopicKind.CYCLE: CycleReport(
            **common,
            report_id=uuid.UUID(int=4).hex,
            cycle_id=CYCLE,
            started_at=NOW,
            finished_at=NOW,
            addresses=("127.0.0.1:10001",),
            camera_reports=1,
        ),
        TopicKind.HEARTBEAT: CameraHeartbeat(
            **common,
            report_id=uuid.UUID(int=5).hex,
            cycle_id=CYCLE,
            policy_id="p",
            policy_version="1",
            observed_at=NOW,
            cameras=(
                HeartbeatEntry(address="127.0.0.1:10001", reachable=True, facts_hash="0" * 64),
            ),
        ),
    }


def test_every_kind_has_one_model() -> None:
    assert set(MESSAGE_FOR_KIND) == set(TopicKind)
    assert len(set(MESSAGE_FOR_KIND.values())) == len(TopicKind)


@pytest.mark.parametrize("kind", list(TopicKind), ids=str)
def test_round_trip(kind: TopicKind) -> None:
    message = _messages()[kind]
    topic, payload = encode(message)  # type: ignore[arg-type]
    assert topic == agent_topic(kind, "site-a", "agent-1")
    where, decoded = decode(topic, payload)
    assert where.kind is kind
    assert (where.site_id, where.agent_id) == ("site-a", "agent-1")
    assert decoded == message
    assert str(where) == topic


@pytest.mark.parametrize(
    ("topic", "needle"),
    [
        ("camwarden/v1/site/a/agent/b", "not a camwarden agent topic"),
        ("other/v1/site/a/agent/b/report", "not a camwarden agent topic"),
        ("camwarden/v1/site/a/agent/b/bogus", "unknown kind"),
        ("camwarden/v1/site/A B/agent/b/report", "not a slug"),
    ],
    ids=["too-short", "wrong-root", "unknown-kind", "bad-site"],
)
def test_parse_rejects(topic: str, needle: str) -> None:
    with pytest.raises(MessageError, match=needle):
        parse(topic)


def test_decode_rejects_payload_speaking_for_another_site() -> None:
    topic, payload = encode(_messages()[TopicKind.DEATH])  # type: ignore[arg-type]
    other = topic.replace("/site/site-a/", "/site/site-b/")
    with pytest.raises(MessageError, match="speaks for site 'site-a'"):
        decode(other, payload)


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"{}", b'{"kind": "death"}', b"\xff\xfe"],
    ids=["not-json", "empty-object", "missing-fields", "not-utf8"],
)
def test_decode_rejects_bad_payload(payload: bytes) -> None:
    with pytest.raises(MessageError, match="invalid AgentDeath"):
        decode(agent_topic(TopicKind.DEATH, "site-a", "agent-1"), payload)


def test_decode_rejects_extra_field() -> None:
    topic, payload = encode(_messages()[TopicKind.DEATH])  # type: ignore[arg-type]
    with pytest.raises(MessageError, match="first at surprise: Extra inputs"):
        decode(topic, payload.replace(b"{", b'{"surprise": 1, ', 1))


def test_filters() -> None:
    assert agent_filter() == "camwarden/v1/site/+/agent/+/+"
    assert agent_filter("site-a") == "camwarden/v1/site/site-a/agent/+/+"
    assert shared("ctl", agent_filter()) == "$share/ctl/camwarden/v1/site/+/agent/+/+"
    with pytest.raises(MessageError):
        shared("bad/group", agent_filter())


def test_policy_and_alert_topics_round_trip() -> None:
    from pathlib import Path

    from schemas.messages import AlertMessage, PolicyMessage
    from schemas.policy_file import load_policy
    from schemas.topics import alert_filter, alert_topic, decode_alert, decode_policy, policy_topic

    policy = load_policy(Path(__file__).parent.parent / "fixtures" / "policy-small.yaml")
    message = PolicyMessage(
        site_id="test-main",
        policy_id=policy.policy_id,
        version=policy.version,
        published_at=NOW,
        policy=policy,
    )
    topic = policy_topic("test-main")
    assert topic == "camwarden/v1/site/test-main/policy"
    assert decode_policy(topic, message.model_dump_json().encode()) == message
    with pytest.raises(MessageError, match="not for site 'other'"):
        decode_policy(policy_topic("other"), message.model_dump_json().encode())

    alert = AlertMessage(
        alert_id=uuid.UUID(int=9).hex,
        event="opened",
        at=NOW,
        site_id="site-a",
        finding_id=7,
        rule="audio.recorded",
        severity="critical",
        camera_key="cam-1",
        summary="s",
        legal_basis="PIPA Art. 25(5)",
    )
    assert alert_topic("site-a") == "camwarden/v1/site/site-a/alert"
    assert alert_filter() == "camwarden/v1/site/+/alert"
    assert decode_alert(alert_topic("site-a"), alert.model_dump_json().encode()) == alert
    with pytest.raises(MessageError, match="not a camwarden alert topic"):
        decode_alert(policy_topic("site-a"), b"{}")


def test_filters_of_one_agent_and_of_every_policy() -> None:
    from schemas.topics import policy_filter

    assert agent_filter("site-a", agent_id="agent-1") == "camwarden/v1/site/site-a/agent/agent-1/+"
    assert policy_filter() == "camwarden/v1/site/+/policy"
    assert policy_filter("site-a") == "camwarden/v1/site/site-a/policy"
    with pytest.raises(MessageError):
        agent_filter(agent_id="a/b")
