"""Broker authentication, ACL and TLS, on a real Mosquitto configured with
the files ``camwarden broker-config`` writes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.publish import BrokerSettings, Publisher, PublishRefused
from camwarden import __version__
from camwarden.broker import BrokerAuth, BrokerTls, Mosquitto
from camwarden.cli import main
from camwarden.mqtt_auth import password_hash, write_broker_files
from schemas.errors import ConfigError
from schemas.messages import AgentBirth, CycleReport
from schemas.topics import TopicKind, agent_filter, policy_filter, policy_topic, shared
from tests.pipeline.certs import make_tls_files
from tests.pipeline.mqtt_tools import RawSubscriber

FLEET = """\
controllers:
  - username: controller-1
    password_file: ctl.secret
agents:
  - agent_id: agent-a
    site_id: site-a
  - agent_id: agent-b
    site_id: site-b
"""


@pytest.fixture
def fleet_files(tmp_path: Path) -> tuple[BrokerAuth, Path]:
    (tmp_path / "fleet.yaml").write_text(FLEET)
    (tmp_path / "ctl.secret").write_text("controller-password\n")
    written = write_broker_files(tmp_path / "fleet.yaml", tmp_path / "out")
    return BrokerAuth(written.password_file, written.acl_file), tmp_path / "out" / "secrets"


@pytest.fixture
def tls_files(tmp_path: Path) -> BrokerTls:
    return make_tls_files(tmp_path / "tls")


@pytest.fixture
def secure_broker(
    tmp_path: Path, fleet_files: tuple[BrokerAuth, Path], tls_files: BrokerTls
) -> Iterator[Mosquitto]:
    with Mosquitto(tmp_path / "mosquitto", auth=fleet_files[0], tls=tls_files) as broker:
        yield broker


def _birth(agent: str, site: str) -> AgentBirth:
    return AgentBirth(
        agent_id=agent, site_id=site, session_id=uuid.uuid4().hex,
        started_at=datetime.now(UTC), software_version=__version__,
        policy_id="p", policy_version="1", interval_s=60.0, targets=0,
    )


def _cycle(agent: str, site: str) -> CycleReport:
    now = datetime.now(UTC)
    return CycleReport(
        report_id=uuid.uuid4().hex, agent_id=agent, site_id=site, session_id=uuid.uuid4().hex,
        cycle_id=uuid.uuid4().hex, started_at=now, finished_at=now, addresses=(),
        camera_reports=0,
    )


def _settings(broker: Mosquitto, user: str, password: str, ca: Path) -> BrokerSettings:
    return BrokerSettings(
        host=broker.host, port=broker.port, client_id=user, username=user, password=password,
        tls=True, ca_file=str(ca), reconnect_min_s=0.05, reconnect_max_s=0.5,
    )


def test_password_hash_is_mosquittos_pbkdf2_format() -> None:
    salt = bytes(range(12))
    line = password_hash("secret", salt=salt)
    _, kind, iterations, salt_b64, digest_b64 = line.split("$")
    assert (kind, base64.b64decode(salt_b64)) == ("7", salt)
    expected = hashlib.pbkdf2_hmac("sha512", b"secret", salt, int(iterations))
    assert base64.b64decode(digest_b64) == expected


def test_broker_config_command_writes_files_and_keeps_generated_passwords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "fleet.yaml").write_text(FLEET)
    (tmp_path / "ctl.secret").write_text("pw\n")
    out = tmp_path / "out"
    assert main(["broker-config", "--agents", str(tmp_path / "fleet.yaml"), "--out", str(out)]) == 0
    first = (out / "secrets" / "agent-a").read_text()
    assert (out / "secrets" / "agent-a").stat().st_mode & 0o077 == 0
    acl = (out / "acl").read_text()
    assert "user agent-a\ntopic write camwarden/v1/site/site-a/agent/agent-a/+\n" in acl
    assert "topic read camwarden/v1/site/site-a/policy\n" in acl
    assert main(["broker-config", "--agents", str(tmp_path / "fleet.yaml"), "--out", str(out)]) == 0
    assert (out / "secrets" / "agent-a").read_text() == first, "a rerun must not change passwords"
    assert [line.split(":")[0] for line in (out / "passwd").read_text().splitlines()] == [
        "controller-1", "agent-a", "agent-b",
    ]
    assert "new password" in capsys.readouterr().out


def test_a_fleet_file_naming_a_user_twice_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text(
        "controllers: [{username: x}]\nagents: [{agent_id: x, site_id: s}]\n"
    )
    with pytest.raises(ConfigError, match="usernames listed twice: x"):
        write_broker_files(tmp_path / "fleet.yaml", tmp_path / "out")


async def test_agent_publishes_only_under_its_own_site_over_tls(
    secure_broker: Mosquitto, fleet_files: tuple[BrokerAuth, Path], tls_files: BrokerTls
) -> None:
    secrets = fleet_files[1]
    agent_password = (secrets / "agent-a").read_text().strip()
    async with RawSubscriber(
        secure_broker,
        agent_filter(kind=TopicKind.BIRTH),
        shared("ctl", agent_filter(kind=TopicKind.CYCLE)),
        username="controller-1", password="controller-password", ca_file=str(tls_files.ca_file),
    ) as controller:
        assert [code.is_failure for code in controller.granted] == [False, False]
        settings = _settings(secure_broker, "agent-a", agent_password, tls_files.ca_file)
        async with Publisher(settings, _birth("agent-a", "site-a")) as publisher:
            await asyncio.wait_for(publisher.publish(_cycle("agent-a", "site-a")), 10)
            refused = publisher.publish(_cycle("agent-a", "site-b"))
            with pytest.raises(PublishRefused, match="Not authorized"):
                await asyncio.wait_for(refused, 10)
            spoofed = publisher.publish(_cycle("agent-b", "site-b"))
            with pytest.raises(PublishRefused, match="Not authorized"):
                await asyncio.wait_for(spoofed, 10)
            assert publisher.refused == 2
            marker = publisher.publish(_cycle("agent-a", "site-a"))
            await asyncio.wait_for(marker, 10)
        topics = [(await controller.next()).topic for _ in range(3)]
        assert topics == [
            "camwarden/v1/site/site-a/agent/agent-a/birth",
            "camwarden/v1/site/site-a/agent/agent-a/cycle",
            "camwarden/v1/site/site-a/agent/agent-a/cycle",
        ], "the refused publishes never reach the controller; the marker after them does"
        assert controller.queue.empty()


async def test_an_agent_reads_its_own_sites_policy_only(
    secure_broker: Mosquitto, fleet_files: tuple[BrokerAuth, Path], tls_files: BrokerTls
) -> None:
    ca = str(tls_files.ca_file)
    async with RawSubscriber(
        secure_broker, policy_filter(),
        username="controller-1", password="controller-password", ca_file=ca,
    ) as controller:
        for site in ("site-b", "site-a"):  # the controller may write every site's policy
            controller.client.publish(policy_topic(site), site.encode(), qos=1, retain=True)
        assert sorted([(await controller.next()).payload for _ in range(2)]) == [
            b"site-a", b"site-b",
        ]
    password = (fleet_files[1] / "agent-a").read_text().strip()
    async with RawSubscriber(
        secure_broker, policy_filter(), username="agent-a", password=password, ca_file=ca,
    ) as agent:
        # Mosquitto grants the wide filter but delivers only what the ACL lets
        # agent-a read: its own site's policy.
        first = await agent.next()
        assert (first.topic, first.payload, first.retained) == (
            policy_topic("site-a"), b"site-a", True,
        )
        async with RawSubscriber(
            secure_broker, policy_topic("site-a"),
            username="agent-a-probe-is-not-a-user", password="x", ca_file=ca,
        ) as stranger:
            assert stranger.connect_reason is not None and stranger.connect_reason.is_failure
        assert agent.queue.empty(), "site-b's policy must never reach agent-a"


@pytest.mark.parametrize(
    ("user", "password"), [("agent-a", "wrong"), ("nobody", "x")], ids=["bad-password", "unknown"]
)
async def test_wrong_credentials_are_refused(
    secure_broker: Mosquitto, tls_files: BrokerTls, user: str, password: str
) -> None:
    async with RawSubscriber(
        secure_broker, "#", username=user, password=password, ca_file=str(tls_files.ca_file)
    ) as client:
        assert client.connect_reason is not None and client.connect_reason.is_failure
