"""Ingest benchmark: camera reports per second, agents -> Mosquitto ->
controller ingest -> database, on SQLite and on PostgreSQL, next to the
broker's own ceiling measured in the same run (paho publisher -> Mosquitto
-> paho subscriber, no database).

    .venv/bin/python bench/ingest.py [--reports 20000] [--sites 100] [--publishers 1]
                                        [--no-postgres]
    .venv/bin/python bench/ingest.py --profile sqlite   # where the time goes

The publishers are separate processes, ``--publishers`` of them, each
sending its share of the reports (an agent fleet is other machines; on this
2-core box they still compete for the CPU, as agents would not). One Python
publisher is itself a ceiling, so the broker's is measured with the same
number of publishers as the ingest runs. Every
report has its own address; at the end the database must hold exactly one
report id and one observation per report sent: "lost" and "doubled" are
counted from rows, not assumed. Figures are measured, never fixed; this is
not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing as mp
import os
import pstats
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from camwarden.broker import Mosquitto
from controller.config import MqttConfig
from controller.ingest import Ingest
from controller.store import Store
from schemas.facts import CameraFacts, DeviceInfo, ObservedIdentity
from schemas.messages import CameraObservation, CameraReport
from schemas.topics import TopicKind, agent_filter, agent_topic

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PG_ADMIN = os.environ.get("CAMWARDEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def payloads(n: int, sites: int) -> list[tuple[str, bytes]]:
    """``n`` camera reports spread over ``sites`` sites (one agent each),
    each a reachable camera with device facts (a realistic ~700-byte body)."""
    out = []
    session = uuid.uuid4().hex
    cycle = uuid.uuid4().hex
    for i in range(n):
        site, agent = f"site-{i % sites}", f"agent-{i % sites}"
        address = f"10.{i // 65536}.{i // 256 % 256}.{i % 256}:80"
        serial = f"SN{i:08d}"
        report = CameraReport(
            report_id=uuid.uuid4().hex, agent_id=agent, site_id=site, session_id=session,
            cycle_id=cycle, policy_id="bench", policy_version="1",
            observation=CameraObservation(
                address=address, reachable=True, observed_at=T0 + timedelta(milliseconds=i),
                facts=CameraFacts(
                    identity=ObservedIdentity(address=address, serial=serial),
                    device=DeviceInfo(manufacturer="SimVision", model="SV-2000",
                                      firmware="1.0.0", serial=serial),
                ),
            ),
        )
        out.append((agent_topic(TopicKind.REPORT, site, agent), report.model_dump_json().encode()))
    return out


def _publish_all(host: str, port: int, messages: list[tuple[str, bytes]], start: mp.Event) -> None:
    """Child process: publish every message QoS 1 as fast as the broker acks."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"bench-pub-{os.getpid()}", protocol=mqtt.MQTTv5,
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    start.wait()
    infos = [client.publish(t, p, qos=1) for t, p in messages]
    for info in infos:
        info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


def start_publishers(
    host: str, port: int, messages: list[tuple[str, bytes]], count: int, start: mp.Event
) -> list[mp.Process]:
    """``count`` publisher processes, each with every ``count``-th message;
    they connect now and publish once ``start`` is set."""
    children = [
        mp.Process(target=_publish_all, args=(host, port, messages[i::count], start))
        for i in range(count)
    ]
    for child in children:
        child.start()
    return children


@dataclass
class Result:
    path: str
    sent: int
    stored: int
    seconds: float
    duplicates: int = 0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def broker_ceiling(
    broker: Mosquitto, messages: list[tuple[str, bytes]], publishers: int
) -> Result:
    """paho -> Mosquitto -> paho, QoS 1 both ways, no database."""
    got = 0
    done = threading.Event()

    def on_message(_c: mqtt.Client, _u: object, _m: mqtt.MQTTMessage) -> None:
        nonlocal got
        got += 1
        if got >= len(messages):
            done.set()

    sub = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                      client_id="bench-sub", protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    sub.connect(broker.host, broker.port)
    sub.subscribe(agent_filter(kind=TopicKind.REPORT), qos=1)
    sub.loop_start()
    time.sleep(0.5)  # bench only: let the SUBACK land before timing starts
    start = mp.Event()
    children = start_publishers(broker.host, broker.port, messages, publishers, start)
    time.sleep(0.5)  # bench only: the children connect before the clock starts
    began = time.perf_counter()
    start.set()
    done.wait(300)
    seconds = time.perf_counter() - began
    for child in children:
        child.join(60)
    sub.disconnect()
    sub.loop_stop()
    return Result("broker only (paho -> mosquitto -> paho)", len(messages), got, seconds)


async def ingest_run(
    label: str,
    url: str,
    broker: Mosquitto,
    messages: list[tuple[str, bytes]],
    publishers: int,
    profile: bool,
) -> Result:
    store = await Store.open(url)
    ingest = Ingest(
        MqttConfig(host=broker.host, port=broker.port, client_id=f"bench-{uuid.uuid4().hex[:6]}",
                   session_expiry_s=0),
        store, lambda effects: None,
    )
    await ingest.connect()
    runner = asyncio.create_task(ingest.run())
    start = mp.Event()
    children = start_publishers(broker.host, broker.port, messages, publishers, start)
    await asyncio.sleep(0.5)  # bench only: the children connect before the clock starts
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    began = time.perf_counter()
    start.set()
    await ingest.wait_received(len(messages), 600)
    seconds = time.perf_counter() - began
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    for child in children:
        await asyncio.to_thread(child.join, 60)
    await ingest.close()
    runner.cancel()
    stored = await store.count("ingested_reports")
    observations = await store.count("observations")
    await store.close()
    assert observations == stored, (observations, stored)
    return Result(label, len(messages), stored, seconds, ingest.duplicates)


async def _pg_database() -> tuple[str, str]:
    import asyncpg

    name = f"camwarden_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return name, f"{base}/{name}"


async def _drop(name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20000)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--publishers", type=int, default=1,
                        help="publisher processes, for the broker ceiling and each ingest run")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    messages = payloads(args.reports, args.sites)
    size = sum(len(p) for _, p in messages) / len(messages)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder, Mosquitto(Path(folder) / "mosquitto") as broker:
        results.append(broker_ceiling(broker, messages, args.publishers))
        sqlite_url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite'}"
        results.append(asyncio.run(ingest_run(
            "ingest -> SQLite (WAL)", sqlite_url, broker, payloads(args.reports, args.sites),
            args.publishers, args.profile == "sqlite",
        )))
        if not args.no_postgres:
            name, url = asyncio.run(_pg_database())
            try:
                results.append(asyncio.run(ingest_run(
                    "ingest -> PostgreSQL", url, broker, payloads(args.reports, args.sites),
                    args.publishers, args.profile == "postgres",
                )))
            finally:
                asyncio.run(_drop(name))
    print(f"\n{args.reports} camera reports (~{size:.0f} bytes each), {args.sites} sites, "
          f"QoS 1, {args.publishers} publisher process(es), {os.cpu_count()} CPU(s)\n")
    header = ("path", "sent", "stored", "lost", "dup", "s", "reports/s")
    print("{:<42} {:>7} {:>7} {:>5} {:>4} {:>7} {:>10}".format(*header))
    for r in results:
        lost = r.sent - r.stored
        print(f"{r.path:<42} {r.sent:>7} {r.stored:>7} {lost:>5} {r.duplicates:>4} "
              f"{r.seconds:>7.2f} {r.rate:>10,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
