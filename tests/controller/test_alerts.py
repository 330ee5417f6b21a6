"""Alert delivery with real receivers on loopback: an aiohttp webhook that
fails N times then succeeds, signatures, once-only across restarts, the
per-camera rate limit, order per camera, minimum severity, and the MQTT
alert topic on a real Mosquitto."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from ctl_factory import now
from paho.mqtt.enums import CallbackAPIVersion

from camwarden.broker import Mosquitto
from controller.alerts.dispatcher import Dispatcher
from controller.alerts.lifecycle import RateLimiter
from controller.alerts.targets import SIGNATURE_HEADER, MqttTarget, Target, WebhookTarget
from controller.config import AlertsConfig, MqttConfig, WebhookConfig
from controller.store import Store
from controller.store.lifecycle import LifecycleSettings
from schemas.findings import Finding, make_finding
from schemas.messages import AlertMessage
from schemas.topics import alert_filter, decode_alert

TIMEOUT = 15.0
SECRET = b"shared-secret"
FAST = AlertsConfig(mqtt=False, backoff_initial_s=0.01, backoff_max_s=0.05, max_attempts=4)


class Receiver:
    """A webhook receiver that answers 503 to the first ``fail`` POSTs."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.posts = 0
        self.alerts: list[AlertMessage] = []
        self.signatures_ok = True
        self.server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.posts += 1
        if self.posts <= self.fail:
            return web.Response(status=503)
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        self.signatures_ok &= request.headers.get(SIGNATURE_HEADER) == expected
        self.alerts.append(AlertMessage.model_validate_json(body))
        return web.Response(status=204)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return f"http://127.0.0.1:{self.server.port}/hook"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}")
    store.lifecycle = LifecycleSettings(alerts=True)
    yield store
    await store.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    yield r
    if r.server is not None:
        await r.server.close()


def _finding(camera: str, rule: str = "audio.encoder-enabled") -> Finding:
    return make_finding(rule, f"{rule} on {camera}", {}, site_id="test-main", camera_id=camera)


async def _flap(store: Store, camera: str, times: int) -> None:
    """Open, resolve, reopen... one camera's finding ``times`` times."""
    at = now()
    for i in range(times):
        record = (await store.load_sites(["test-main"]))["test-main"]
        verdict = (_finding(camera),) if i % 2 == 0 else ()
        await store.apply_findings(record, verdict, at + timedelta(seconds=i))


async def _webhook(receiver: Receiver, **config: object) -> WebhookTarget:
    url = await receiver.start()
    hook = WebhookConfig(url=url, name="ops", **config)  # type: ignore[arg-type]
    return WebhookTarget(hook, SECRET, timeout_s=5)


async def _deliver(store: Store, targets: list[Target], count: int, config: AlertsConfig = FAST):
    dispatcher = Dispatcher(store, targets, config, now)
    task = asyncio.create_task(dispatcher.run())
    try:
        for target in targets:
            await dispatcher.wait_settled(target.name, count, TIMEOUT)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dispatcher.drain()
    return dispatcher


async def test_a_failing_webhook_is_retried_with_backoff_until_it_answers(
    store: Store, receiver: Receiver
) -> None:
    receiver.fail = 2
    await _flap(store, "test-main-cam1", 1)
    target = await _webhook(receiver)
    dispatcher = await _deliver(store, [target], 1)
    await target.close()
    assert receiver.posts == 3
    assert [a.event for a in receiver.alerts] == ["opened"]
    assert receiver.signatures_ok
    stats = dispatcher.stats["ops"]
    assert (stats.delivered, stats.retries, stats.failed) == (1, 2, 0)


async def test_a_webhook_that_never_answers_is_given_up_after_max_attempts(
    store: Store, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.fail = 1000
    await _flap(store, "test-main-cam1", 1)
    target = await _webhook(receiver)
    dispatcher = await _deliver(store, [target], 1)
    await target.close()
    assert receiver.posts == FAST.max_attempts
    assert dispatcher.stats["ops"].failed == 1
    assert "giving up after 4 try(ies)" in caplog.text


async def test_an_alert_is_delivered_once_across_restarts_and_in_order_per_camera(
    store: Store, receiver: Receiver
) -> None:
    await _flap(store, "test-main-cam1", 3)  # opened, resolved, reopened
    await _flap(store, "test-main-cam2", 1)  # a verdict is the whole site's: cam1 resolves
    target = await _webhook(receiver)
    await _deliver(store, [target], 4)  # stopped while the fifth may be in flight
    await _flap(store, "test-main-cam2", 2)  # cam2 resolves
    again = await _deliver(store, [target], 1)  # a "restarted" dispatcher
    await target.close()
    assert again.stats["ops"].delivered == 1, "only the new alert"
    ids = [a.alert_id for a in receiver.alerts]
    assert len(ids) == len(set(ids)) == 6
    cam1 = [a.event for a in receiver.alerts if a.camera_key == "test-main-cam1"]
    assert cam1 == ["opened", "resolved", "reopened", "resolved"]


async def test_a_flapping_camera_is_rate_limited_and_others_are_not(
    store: Store, receiver: Receiver
) -> None:
    store.lifecycle.limiter = RateLimiter(max_alerts=3, window_s=3600)
    await _flap(store, "test-main-cam1", 20)
    await _flap(store, "test-main-cam2", 1)
    target = await _webhook(receiver)
    await _deliver(store, [target], 4)
    await target.close()
    by_camera = [a.camera_key for a in receiver.alerts]
    assert by_camera.count("test-main-cam1") == 3
    assert by_camera.count("test-main-cam2") == 1
    assert store.lifecycle.alerts_suppressed == 17


async def test_alerts_below_a_webhooks_minimum_severity_are_skipped(
    store: Store, receiver: Receiver
) -> None:
    at = now()
    record = (await store.load_sites(["test-main"]))["test-main"]
    await store.apply_findings(record, (_finding("test-main-cam1", "clock.drift"),), at)
    target = await _webhook(receiver, min_severity="critical")
    dispatcher = await _deliver(store, [target], 1)
    await target.close()
    assert receiver.alerts == [] and dispatcher.stats["ops"].skipped == 1


async def test_alerts_go_to_the_sites_mqtt_alert_topic(store: Store, mosquitto: Mosquitto) -> None:
    got: asyncio.Queue[AlertMessage] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    listener = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"listen-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv5,
    )
    subscribed = loop.create_future()
    listener.on_subscribe = lambda *a: loop.call_soon_threadsafe(subscribed.set_result, True)
    listener.on_message = lambda c, u, m: loop.call_soon_threadsafe(
        got.put_nowait, decode_alert(m.topic, m.payload)
    )
    listener.connect(mosquitto.host, mosquitto.port)
    listener.subscribe(alert_filter(), qos=1)
    listener.loop_start()
    try:
        await asyncio.wait_for(subscribed, TIMEOUT)
        target = MqttTarget(
            MqttConfig(host=mosquitto.host, port=mosquitto.port, client_id="ctl-alerts-test"), 5
        )
        await target.connect()
        await _flap(store, "test-main-cam1", 2)
        await _deliver(store, [target], 2)
        await target.close()
        alerts = [await asyncio.wait_for(got.get(), TIMEOUT) for _ in range(2)]
    finally:
        listener.disconnect()
        listener.loop_stop()
    assert [(a.event, a.camera_key) for a in alerts] == [
        ("opened", "test-main-cam1"),
        ("resolved", "test-main-cam1"),
    ]
    assert json.loads(alerts[0].model_dump_json())["legal_basis"]


async def test_a_cancel_that_lands_as_the_dispatcher_is_woken_stops_it(
    store: Store, receiver: Receiver
) -> None:
    """As for the reconciler's loop: ``asyncio.wait_for`` on Python 3.11
    would drop this cancel, and the worker would go on for ever."""
    target = await _webhook(receiver)
    dispatcher = Dispatcher(store, [target], FAST, now)
    running = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.sleep(0.1)  # the worker found the outbox empty and waits
        dispatcher.wake()
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(running, 5)
    finally:
        await target.close()
