"""The controller end to end: a real Mosquitto, a real database, agents'
messages published with paho, the answers read over HTTP."""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import paho.mqtt.client as mqtt
import pytest
from ctl_factory import Agent, bearer, now, token_entries
from paho.mqtt.enums import CallbackAPIVersion

from camwarden.broker import Mosquitto
from controller import gc_tuning
from controller.config import (
    ApiConfig,
    ControllerConfig,
    DatabaseConfig,
    MqttConfig,
    ReconcileConfig,
)
from controller.service import Controller
from controller.store import FindingFilter
from schemas.messages import AgentMessage
from schemas.topics import RETAINED, encode, parse

CAM1, CAM2, STRANGER = "127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8009"
TIMEOUT = 15.0


def make_config(db_url: str, broker: Mosquitto, policy: Path, **mqtt: Any) -> ControllerConfig:
    return ControllerConfig(
        database=DatabaseConfig(url=db_url),
        mqtt=MqttConfig(
            host=broker.host, port=broker.port, client_id=f"ctl-{uuid.uuid4().hex[:8]}", **mqtt
        ),
        policies=(str(policy),),
        api=ApiConfig(host="127.0.0.1", port=0, tokens=token_entries()),
        reconcile=ReconcileConfig(interval_s=60, debounce_s=0.02),
    )


class Publisher:
    """A plain paho MQTT 5 client standing in for agents (and for a broken one)."""

    def __init__(self, broker: Mosquitto) -> None:
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"pub-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    async def raw(self, topic: str, payload: bytes, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        await asyncio.to_thread(info.wait_for_publish, TIMEOUT)
        assert info.is_published(), f"publish to {topic} not acknowledged"

    async def send(self, *messages: AgentMessage) -> None:
        for message in messages:
            topic, payload = encode(message)
            await self.raw(topic, payload, retain=parse(topic).kind in RETAINED)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(mosquitto: Mosquitto) -> Iterator[Publisher]:
    pub = Publisher(mosquitto)
    yield pub
    pub.close()


@pytest.fixture
async def controller(
    db_url: str, mosquitto: Mosquitto, small_policy_path: Path
) -> AsyncIterator[Controller]:
    ctl = Controller(make_config(db_url, mosquitto, small_policy_path, max_payload_bytes=4096))
    await ctl.start()
    yield ctl
    await ctl.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(http: aiohttp.ClientSession, ctl: Controller, path: str) -> tuple[int, Any]:
    async with http.get(f"{ctl.api_url}/api/v1{path}", headers=bearer()) as response:
        return response.status, await response.json()


async def audit(pub: Publisher, agent: Agent, *, audio: bool) -> Any:
    """One full cycle of test-main: Cam1 (audio if asked), Cam2, a stranger;
    Cam3 is not found. Returns the cycle message."""
    cycle = agent.cycle((CAM1, CAM2, STRANGER))
    await pub.send(
        agent.report(CAM1, "TEST-0001", audio=audio, camera_id="test-main-cam1"),
        agent.report(CAM2, "TEST-0002", camera_id="test-main-cam2"),
        agent.report(STRANGER, "TEST-9999"),
        cycle,
    )
    return cycle


EXPECTED = {
    ("test-main", "test-main-cam1", "audio.encoder-enabled"),
    ("test-main", "test-main-cam3", "inventory.missing"),
    ("test-main", STRANGER, "inventory.undeclared"),
}


async def test_published_audit_becomes_findings_in_the_api(
    controller: Controller, publisher: Publisher, http: aiohttp.ClientSession
) -> None:
    agent = Agent("test-main")
    await publisher.send(agent.birth())
    await audit(publisher, agent, audio=True)
    await controller.wait_for_full_cycles(["test-main"], TIMEOUT)

    status, page = await get(http, controller, "/findings?site=test-main")
    assert status == 200
    assert {(f["site_id"], f["camera_key"], f["rule"]) for f in page["items"]} == EXPECTED

    status, cameras = await get(http, controller, "/sites/test-main/cameras")
    states = {c["key"]: c["state"] for c in cameras["items"]}
    assert states == {
        "test-main-cam1": "findings",
        "test-main-cam2": "compliant",
        "test-main-cam3": "missing",
        STRANGER: "undeclared",
    }
    status, fleet = await get(http, controller, "/fleet")
    assert (fleet["sites"], fleet["cameras_declared"], fleet["agents_online"]) == (2, 4, 1)
    assert fleet["findings_open"] == {"critical": 2, "warning": 1, "info": 0}


async def test_a_running_controller_keeps_the_collector_out_of_ingest_and_stop_undoes_it(
    db_url: str, mosquitto: Mosquitto, small_policy_path: Path
) -> None:
    before = gc.get_threshold()
    assert before != gc_tuning.THRESHOLDS
    ctl = Controller(make_config(db_url, mosquitto, small_policy_path))
    await ctl.start()
    try:
        assert gc.get_threshold() == gc_tuning.THRESHOLDS
        assert gc.get_freeze_count() > 0, "start-up's objects are frozen"
    finally:
        await ctl.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_a_redelivered_report_is_stored_once(
    controller: Controller, publisher: Publisher
) -> None:
    report = Agent("test-main").report(CAM1, "TEST-0001")
    await publisher.send(report, report)
    assert controller.ingest is not None and controller.store is not None
    await controller.ingest.wait_received(2, TIMEOUT)
    assert await controller.store.count("ingested_reports") == 1
    assert await controller.store.count("observation_changes") == 1
    assert controller.ingest.duplicates == 1


BAD_PAYLOADS = [
    pytest.param(b"{not json", "invalid CameraReport", id="not-json"),
    pytest.param(b'{"kind": "birth"}', "invalid CameraReport", id="wrong-schema"),
    pytest.param("extra", "Extra inputs are not permitted", id="extra-field"),
    pytest.param("other-site", "payload speaks for site 'test-annex'", id="site-mismatch"),
    pytest.param(b"x" * 5000, "payload of 5000 bytes exceeds the limit of 4096", id="huge"),
]


@pytest.mark.parametrize(("payload", "reason"), BAD_PAYLOADS)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_malformed_payload_is_quarantined_and_ingest_goes_on(
    controller: Controller,
    publisher: Publisher,
    payload: bytes | str,
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    agent = Agent("test-main")
    before = agent.report(CAM1, "TEST-0001", at=now() - timedelta(seconds=5))
    after = agent.report(CAM2, "TEST-0002")
    topic, good = encode(agent.report(CAM1, "TEST-0001", audio=True))
    if payload == "extra":
        payload = good[:-1] + b', "surprise": 1}'
    elif payload == "other-site":
        payload = encode(Agent("test-annex").report(CAM1, "TEST-0101"))[1]
    assert isinstance(payload, bytes)
    await publisher.send(before)
    with caplog.at_level(logging.WARNING, logger="controller.ingest"):
        await publisher.raw(topic, payload)
        await publisher.send(after)
        assert controller.ingest is not None and controller.store is not None
        await controller.ingest.wait_received(3, TIMEOUT)

    [row] = await controller.store.quarantine()
    assert (row.topic, row.size) == (topic, len(payload))
    assert reason in row.reason
    assert row.payload == payload[: len(row.payload)]
    assert any(topic in r.message and reason in r.message for r in caplog.records)
    record = (await controller.store.load_sites(["test-main"]))["test-main"]
    assert set(record.cameras) == {CAM1, CAM2}
    assert record.cameras[CAM1] == before.observation  # untouched by the bad one


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_finding_that_clears_is_resolved_and_one_that_returns_is_reopened(
    controller: Controller, publisher: Publisher, http: aiohttp.ClientSession
) -> None:
    agent = Agent("test-main")
    await publisher.send(agent.birth())
    for audio in (True, False, True):
        cycle = await audit(publisher, agent, audio=audio)
        await controller.wait_for_full_cycles(["test-main"], TIMEOUT, since=cycle.finished_at)
        _, page = await get(http, controller, "/findings?rule=audio.encoder-enabled")
        [finding] = page["items"]
        assert finding["state"] == ("open" if audio else "resolved")
    assert controller.store is not None
    history = await controller.store.finding_history(finding["id"])
    assert [e.event for e in history] == ["opened", "resolved", "reopened"]


async def test_wait_for_full_cycles_names_the_sites_still_waiting(
    controller: Controller,
) -> None:
    with pytest.raises(TimeoutError, match=r"\['test-annex', 'test-main'\]"):
        await controller.wait_for_full_cycles(["test-main", "test-annex"], 0.05)
    with pytest.raises(ValueError, match="nowhere"):
        await controller.wait_for_full_cycles(["nowhere"], 0.05)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_agent_death_is_an_offline_finding_and_survives_a_restart(
    db_url: str, mosquitto: Mosquitto, small_policy_path: Path, publisher: Publisher
) -> None:
    config = make_config(db_url, mosquitto, small_policy_path)
    agent = Agent("test-annex", agent_id="annex-agent")
    first = Controller(config)
    await first.start()
    try:
        await publisher.send(agent.birth(), agent.death())
        assert first.ingest is not None and first.reconciler is not None
        await first.ingest.wait_received(2, TIMEOUT)
        await first.reconciler.reconcile(["test-annex"])
        assert first.reconciler.site_views["test-annex"].agent_online is False
        rows, _ = await first.store.list_findings(  # type: ignore[union-attr]
            FindingFilter(site="test-annex", rule="agent.offline"), 0, 10
        )
        assert [(r.subject, r.state) for r in rows] == [("annex-agent", "open")]
    finally:
        await first.stop()
    # The broker replays the retained birth to the new controller: old news,
    # the agent stays dead.
    second = Controller(
        config.model_copy(
            update={"mqtt": config.mqtt.model_copy(update={"client_id": "another-replica"})}
        )
    )
    await second.start()
    try:
        assert second.ingest is not None and second.reconciler is not None
        await second.ingest.wait_received(1, TIMEOUT)
        await second.reconciler.reconcile(["test-annex"])
        assert second.reconciler.site_views["test-annex"].agent_online is False
    finally:
        await second.stop()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_reports_sent_while_the_controller_is_down_arrive_after_it_returns(
    db_url: str, mosquitto: Mosquitto, small_policy_path: Path, publisher: Publisher
) -> None:
    config = make_config(db_url, mosquitto, small_policy_path)
    first = Controller(config)
    await first.start()
    await first.stop()
    report = Agent("test-main").report(CAM1, "TEST-0001")
    await publisher.send(report)  # queued by the broker in our persistent session
    again = Controller(config)
    await again.start()
    try:
        assert again.ingest is not None and again.store is not None
        await again.ingest.wait_received(1, TIMEOUT)
        record = (await again.store.load_sites(["test-main"]))["test-main"]
        assert record.cameras[CAM1] == report.observation
    finally:
        await again.stop()


async def test_the_command_serves_until_terminated(
    tmp_path: Path, mosquitto: Mosquitto, small_policy_path: Path, http: aiohttp.ClientSession
) -> None:
    import signal
    import sys

    config = tmp_path / "controller.yaml"
    config.write_text(
        f'database: {{url: "sqlite+aiosqlite:///cw.db"}}\n'
        f"mqtt: {{host: 127.0.0.1, port: {mosquitto.port}}}\n"
        f"policies: [{small_policy_path}]\n"
        "api: {host: 127.0.0.1, port: 0}\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "camwarden.cli",
        "controller",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), TIMEOUT)).decode()
        assert "API at http://127.0.0.1:" in line, line
        url = line.rsplit(" ", 1)[1].strip()
        async with http.get(f"{url}/api/v1/health") as response:
            assert await response.json() == {"status": "ok"}
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0
        assert (tmp_path / "cw.db").exists()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_non_compliant_audit_alerts_a_webhook_and_streams_to_consoles(
    db_url: str,
    mosquitto: Mosquitto,
    small_policy_path: Path,
    publisher: Publisher,
    http: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from controller.config import AlertsConfig, WebhookConfig
    from schemas.messages import AlertMessage

    received: asyncio.Queue[AlertMessage] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        received.put_nowait(AlertMessage.model_validate_json(await request.read()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    receiver = TestServer(app, host="127.0.0.1")
    await receiver.start_server()
    (tmp_path / "secret").write_text("s3cret\n")
    config = make_config(db_url, mosquitto, small_policy_path).model_copy(
        update={
            "alerts": AlertsConfig(
                webhooks=(
                    WebhookConfig(
                        url=f"http://127.0.0.1:{receiver.port}/hook",
                        name="ops",
                        min_severity="critical",
                        secret_file=str(tmp_path / "secret"),
                    ),
                )
            )
        }
    )
    ctl = Controller(config)
    await ctl.start()
    try:
        assert ctl.hub is not None
        stream = await http.get(f"{ctl.api_url}/api/v1/events", headers=bearer())
        await asyncio.wait_for(ctl.hub.wait_clients(1), TIMEOUT)
        agent = Agent("test-main")
        await publisher.send(agent.birth())
        await audit(publisher, agent, audio=True)
        alerts = [await asyncio.wait_for(received.get(), TIMEOUT) for _ in range(2)]
        assert {(a.event, a.camera_key, a.rule) for a in alerts} == {
            ("opened", "test-main-cam1", "audio.encoder-enabled"),
            ("opened", STRANGER, "inventory.undeclared"),
        }, "critical ones only (the webhook's minimum; inventory.missing is a warning)"
        kinds = set()
        while "finding" not in kinds:
            line = await asyncio.wait_for(stream.content.readline(), TIMEOUT)
            if line.startswith(b"event: "):
                kinds.add(line[7:].strip().decode())
        stream.close()
    finally:
        await ctl.stop()
        await receiver.close()
