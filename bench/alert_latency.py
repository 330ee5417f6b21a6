"""Alert latency: from a camera turning non-compliant (its agent's report
published to the broker) to the alert leaving the controller, p50 and p99.

    .venv/bin/python bench/alert_latency.py [--events 200] [--postgres URL]

One process: Mosquitto, a controller (SQLite by default) with a webhook
target and the MQTT alert topic, a loopback aiohttp webhook receiver and a
paho subscriber on the alert topic. Each event flips one camera's audio
encoder on or off and publishes its report and a full cycle, so the
controller opens or resolves ``audio.encoder-enabled`` and alerts. The
latency is the receiver's clock at arrival minus the clock just before the
publish (same process, monotonic clock). The peer, measured in the same
run: the broker's own round trip (publish -> subscriber) for the same
number of messages, the floor under any MQTT-borne path. Figures are
measured, never fixed; this is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from aiohttp import web
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "controller"))  # ctl_factory: valid agent messages

from ctl_factory import Agent  # noqa: E402

from camwarden.broker import Mosquitto  # noqa: E402
from controller.config import (  # noqa: E402
    AlertsConfig,
    ApiConfig,
    ControllerConfig,
    DatabaseConfig,
    MqttConfig,
    ReconcileConfig,
    WebhookConfig,
)
from controller.service import Controller  # noqa: E402
from schemas.messages import AlertMessage  # noqa: E402
from schemas.topics import alert_filter, decode_alert, encode  # noqa: E402

POLICY = ROOT / "tests" / "fixtures" / "policy-small.yaml"
CAM1, CAM2 = "127.0.0.1:8001", "127.0.0.1:8002"
TIMEOUT = 30.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Listener:
    """A paho subscriber handing (arrival time, topic, payload) to the loop."""

    def __init__(self, broker: Mosquitto, topic: str) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[tuple[float, str, bytes]] = asyncio.Queue()
        self.subscribed = self.loop.create_future()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"bench-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.on_subscribe = lambda *a: self.loop.call_soon_threadsafe(
            self.subscribed.set_result, True
        )
        self.client.on_message = lambda c, u, m: self.loop.call_soon_threadsafe(
            self.queue.put_nowait, (time.monotonic(), m.topic, m.payload)
        )
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Publisher:
    def __init__(self, broker: Mosquitto) -> None:
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"bench-pub-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


async def broker_round_trip(broker: Mosquitto, events: int) -> list[float]:
    listener = Listener(broker, "bench/echo")
    await asyncio.wait_for(listener.subscribed, TIMEOUT)
    publisher = Publisher(broker)
    latencies = []
    for _ in range(events):
        start = time.monotonic()
        publisher.publish("bench/echo", b"x" * 600)
        arrived, _, _ = await asyncio.wait_for(listener.queue.get(), TIMEOUT)
        latencies.append(arrived - start)
    publisher.close()
    listener.close()
    return latencies


async def alert_latency(
    broker: Mosquitto, database_url: str, events: int
) -> tuple[list[float], list[float]]:
    webhook: asyncio.Queue[tuple[float, AlertMessage]] = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        webhook.put_nowait((time.monotonic(), AlertMessage.model_validate_json(body)))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    config = ControllerConfig(
        database=DatabaseConfig(url=database_url),
        mqtt=MqttConfig(host=broker.host, port=broker.port, client_id="bench-controller"),
        policies=(str(POLICY),),
        api=ApiConfig(host="127.0.0.1", port=0),
        reconcile=ReconcileConfig(interval_s=3600, debounce_s=0.0),
        alerts=AlertsConfig(
            webhooks=(WebhookConfig(url=f"http://127.0.0.1:{port}/hook", name="bench"),),
            rate_limit=1_000_000,
        ),
    )
    controller = Controller(config)
    await controller.start()
    listener = Listener(broker, alert_filter("test-main"))
    await asyncio.wait_for(listener.subscribed, TIMEOUT)
    publisher = Publisher(broker)
    agent = Agent("test-main")
    publisher.publish(*encode(agent.birth()))
    hook_latency: list[float] = []
    mqtt_latency: list[float] = []
    try:
        for i in range(events + 1):
            audio = i % 2 == 0
            start = time.monotonic()
            for message in (
                agent.report(CAM1, "TEST-0001", audio=audio, camera_id="test-main-cam1"),
                agent.report(CAM2, "TEST-0002", camera_id="test-main-cam2"),
                agent.cycle((CAM1, CAM2)),
            ):
                publisher.publish(*encode(message))
            expected = "opened" if i == 0 else ("reopened" if audio else "resolved")
            while True:  # the first pass also opens the missing camera's finding
                at, alert = await asyncio.wait_for(webhook.get(), TIMEOUT)
                if alert.rule == "audio.encoder-enabled":
                    break
            assert alert.event == expected, (alert.event, expected)
            while True:
                arrived, topic, payload = await asyncio.wait_for(listener.queue.get(), TIMEOUT)
                if decode_alert(topic, payload).alert_id == alert.alert_id:
                    break
            if i > 0:  # the first event also pays for the agent's first report
                hook_latency.append(at - start)
                mqtt_latency.append(arrived - start)
    finally:
        publisher.close()
        listener.close()
        await controller.stop()
        await runner.cleanup()
    return hook_latency, mqtt_latency


def row(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"| {name:<44} | {len(ms):>6} | {statistics.median(ms):>8.1f} | "
        f"{percentile(ms, 0.99):>8.1f} | {max(ms):>8.1f} |"
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="camwarden-bench-") as work:
        broker = Mosquitto(Path(work) / "mosquitto")
        broker.start()
        try:
            url = args.postgres or f"sqlite+aiosqlite:///{Path(work) / 'bench.db'}"
            hook, via_mqtt = await alert_latency(broker, url, args.events)
            floor = await broker_round_trip(broker, args.events)
        finally:
            broker.stop()
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\nalert latency, {args.events} events, controller on {engine} (milliseconds)\n")
    print(f"| {'path':<44} | {'events':>6} | {'p50':>8} | {'p99':>8} | {'max':>8} |")
    print(f"|{'-' * 46}|{'-' * 8}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")
    print(row("report published -> webhook POST received", hook))
    print(row("report published -> MQTT alert received", via_mqtt))
    print(row("peer: broker round trip (publish -> receive)", floor))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument(
        "--postgres", metavar="URL", help="postgresql+asyncpg://... (default: SQLite)"
    )
    asyncio.run(main(parser.parse_args()))
