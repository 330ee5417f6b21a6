"""Ingest benchmark: camera reports per second, agents -> Mosquitto ->
controller ingest -> database, on SQLite and on PostgreSQL, next to the
broker's own ceiling measured in the same run (paho publisher -> Mosquitto
-> paho subscriber, no database).

    .venv/bin/python bench/ingest.py [--reports 20000] [--sites 100] [--publishers 1]
                                        [--batch 200] [--batch-reports 100000]
                                        [--no-postgres]
    .venv/bin/python bench/ingest.py --profile sqlite-batch   # where the time goes

Two modes in one run, each with its broker ceiling beside it: one
``CameraReport`` per MQTT message (what older agents send), and
``CameraReportBatch`` messages of ``--batch`` camera reports each (one
site's reports per batch, as an agent sends its cycle). Rates are camera
reports per second in both; the message rate is printed beside.

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
from itertools import zip_longest
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from camwarden.broker import Mosquitto
from controller import gc_tuning
from controller.config import MqttConfig
from controller.ingest import Ingest
from controller.store import Store
from schemas.facts import CameraFacts, DeviceInfo, ObservedIdentity
from schemas.messages import BatchedReport, CameraObservation, CameraReport, CameraReportBatch
from schemas.topics import TopicKind, agent_filter, agent_topic

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PG_ADMIN = os.environ.get("CAMWARDEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def reports(n: int, sites: int) -> list[CameraReport]:
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
        out.append(report)
    return out


@dataclass
class Workload:
    """What the publishers send: MQTT messages holding ``reports`` camera reports."""

    messages: list[tuple[str, bytes]]
    reports: int
    batch: int
    """Camera reports per message (1: single reports)."""


def single_payloads(n: int, sites: int) -> Workload:
    messages = [
        (agent_topic(TopicKind.REPORT, r.site_id, r.agent_id), r.model_dump_json().encode())
        for r in reports(n, sites)
    ]
    return Workload(messages, n, 1)


def batch_payloads(n: int, sites: int, batch: int) -> Workload:
    """The same kind of reports, each site's in batches of ``batch``,
    the sites' batches interleaved (agents publish side by side)."""
    by_site: dict[str, list[CameraReport]] = {}
    for report in reports(n, sites):
        by_site.setdefault(report.site_id, []).append(report)
    per_site: list[list[tuple[str, bytes]]] = []
    for site_reports in by_site.values():
        out = []
        for start in range(0, len(site_reports), batch):
            chunk = site_reports[start : start + batch]
            first = chunk[0]
            message = CameraReportBatch(
                agent_id=first.agent_id, site_id=first.site_id, session_id=first.session_id,
                cycle_id=first.cycle_id, policy_id=first.policy_id,
                policy_version=first.policy_version,
                reports=tuple(BatchedReport(report_id=r.report_id, observation=r.observation)
                              for r in chunk),
            )
            topic = agent_topic(TopicKind.REPORT_BATCH, first.site_id, first.agent_id)
            out.append((topic, message.model_dump_json().encode()))
        per_site.append(out)
    messages = [m for row in zip_longest(*per_site) for m in row if m is not None]
    return Workload(messages, n, batch)


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
    workload: Workload
    stored: int
    """Camera reports stored (report ids in the database), or the broker subscriber got."""
    seconds: float
    duplicates: int = 0

    @property
    def sent(self) -> int:
        return self.workload.reports

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def message_rate(self) -> float:
        return len(self.workload.messages) / self.seconds if self.seconds else 0.0


def broker_ceiling(broker: Mosquitto, work: Workload, publishers: int) -> Result:
    """paho -> Mosquitto -> paho, QoS 1 both ways, no database. The
    subscriber counts the camera reports in what it received (a batch's
    count read from its payload), so the row says what the broker carried."""
    got = 0
    reports = 0
    done = threading.Event()
    kind = TopicKind.REPORT if work.batch == 1 else TopicKind.REPORT_BATCH

    def on_message(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        nonlocal got, reports
        got += 1
        reports += 1 if work.batch == 1 else message.payload.count(b'"report_id"')
        if got >= len(work.messages):
            done.set()

    sub = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                      client_id="bench-sub", protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    sub.connect(broker.host, broker.port)
    sub.subscribe(agent_filter(kind=kind), qos=1)
    sub.loop_start()
    time.sleep(0.5)  # bench only: let the SUBACK land before timing starts
    start = mp.Event()
    children = start_publishers(broker.host, broker.port, work.messages, publishers, start)
    time.sleep(0.5)  # bench only: the children connect before the clock starts
    began = time.perf_counter()
    start.set()
    done.wait(300)
    seconds = time.perf_counter() - began
    for child in children:
        child.join(60)
    sub.disconnect()
    sub.loop_stop()
    return Result("broker only (paho -> mosquitto -> paho)", work, reports, seconds)


async def ingest_run(
    label: str, url: str, broker: Mosquitto, work: Workload, publishers: int, profile: bool
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
    children = start_publishers(broker.host, broker.port, work.messages, publishers, start)
    await asyncio.sleep(0.5)  # bench only: the children connect before the clock starts
    gc_before = gc_tuning.settle()  # as Controller.start does once it is up
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    began = time.perf_counter()
    start.set()
    await ingest.wait_received(len(work.messages), 600)  # every message committed and acked
    seconds = time.perf_counter() - began
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    for child in children:
        await asyncio.to_thread(child.join, 60)
    await ingest.close()
    runner.cancel()
    stored = await store.count("ingested_reports")
    observations = await store.count("observations")
    quarantined = await store.quarantine_count()
    await store.close()
    gc_tuning.release(gc_before)
    assert observations == stored, (observations, stored)
    assert quarantined == 0, quarantined
    return Result(label, work, stored, seconds, ingest.duplicates)


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


def run_mode(
    work: Workload, folder: Path, broker: Mosquitto, args: argparse.Namespace, mode: str
) -> list[Result]:
    """The broker's ceiling, then ingest into a fresh SQLite file and a
    fresh PostgreSQL database, all with ``work``."""
    results = [broker_ceiling(broker, work, args.publishers)]
    sqlite_url = f"sqlite+aiosqlite:///{folder / f'bench-{mode}.sqlite'}"
    results.append(asyncio.run(ingest_run(
        "ingest -> SQLite (WAL)", sqlite_url, broker, work, args.publishers,
        args.profile == f"sqlite-{mode}",
    )))
    if not args.no_postgres:
        name, url = asyncio.run(_pg_database())
        try:
            results.append(asyncio.run(ingest_run(
                "ingest -> PostgreSQL", url, broker, work, args.publishers,
                args.profile == f"postgres-{mode}",
            )))
        finally:
            asyncio.run(_drop(name))
    return results


def print_table(title: str, results: list[Result]) -> None:
    print(f"\n{title}\n")
    header = ("path", "sent", "stored", "lost", "dup", "s", "msgs/s", "reports/s")
    print("{:<42} {:>7} {:>7} {:>5} {:>4} {:>7} {:>8} {:>10}".format(*header))
    for r in results:
        lost = r.sent - r.stored
        print(f"{r.path:<42} {r.sent:>7} {r.stored:>7} {lost:>5} {r.duplicates:>4} "
              f"{r.seconds:>7.2f} {r.message_rate:>8,.0f} {r.rate:>10,.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20000,
                        help="camera reports sent one per message")
    parser.add_argument("--batch", type=int, default=200,
                        help="camera reports per CameraReportBatch (0: no batch mode)")
    parser.add_argument("--batch-reports", type=int, default=100000,
                        help="camera reports sent in batches")
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--publishers", type=int, default=1,
                        help="publisher processes, for the broker ceiling and each ingest run")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-single", action="store_true", help="batch mode only")
    parser.add_argument("--profile", choices=[f"{db}-{mode}" for db in ("sqlite", "postgres")
                                              for mode in ("single", "batch")])
    args = parser.parse_args()
    tables: list[tuple[str, list[Result]]] = []
    with tempfile.TemporaryDirectory() as folder, Mosquitto(Path(folder) / "mosquitto") as broker:
        if not args.no_single:
            work = single_payloads(args.reports, args.sites)
            size = sum(len(p) for _, p in work.messages) / len(work.messages)
            title = (f"single reports: {work.reports} camera reports, one per message "
                     f"(~{size:.0f} bytes each)")
            tables.append((title, run_mode(work, Path(folder), broker, args, "single")))
        if args.batch:
            work = batch_payloads(args.batch_reports, args.sites, args.batch)
            size = sum(len(p) for _, p in work.messages) / len(work.messages)
            title = (f"batched: {work.reports} camera reports in {len(work.messages)} "
                     f"CameraReportBatch messages of {args.batch} (~{size / 1024:.0f} KiB each)")
            tables.append((title, run_mode(work, Path(folder), broker, args, "batch")))
    print(f"\n{args.sites} sites, QoS 1, {args.publishers} publisher process(es), "
          f"{os.cpu_count()} CPU(s); reports/s counts camera reports, sent over the time "
          "until the last message was committed (ingest) or received (broker only)")
    for title, results in tables:
        print_table(title, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
