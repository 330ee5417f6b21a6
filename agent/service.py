"""The edge agent: audit one site's cameras on an interval, report over MQTT.

One ``Agent`` is one process's session (a fresh ``session_id``): it
announces itself with a retained birth, audits every configured camera each
``interval_s`` (cycles start on a fixed schedule; a cycle that overruns
makes the next start at once, never two at a time), publishes the cameras
that changed (all of them in a full snapshot, every
``full_snapshot_interval_s``) in ``CameraReportBatch`` messages
(agent/batching.py; one ``CameraReport`` each with ``report_batch.enabled``
false), a ``CameraHeartbeat`` listing the
unchanged ones (agent/changes.py), and then one ``CycleReport`` naming
every address audited, and says goodbye with its death message when stopped.

It takes newer versions of its policy from the site's retained policy
topic (agent/policy_updates.py) and judges the next cycle with them; every
report names the version it was judged with.

``camwarden agent`` keeps its outbox on disk (agent/spool.py, ``spool:`` in
the configuration), so reports survive a broker outage and its own restart.

``camwarden agent --config FILE`` runs it until SIGINT or SIGTERM (exit 0);
a bad configuration exits 2 with the ``FILE:LINE: FIELD`` message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

from agent.audit import Collect, audit_targets
from agent.batching import BatchHeader, pack_reports
from agent.changes import ChangeTracker, chunks
from agent.config import (
    AgentConfig,
    camera_password,
    load_config_and_policy,
    mqtt_password,
)
from agent.discovery.cycle import cycle_targets
from agent.onvif import Credentials, OnvifClient
from agent.policy_updates import newer_policy
from agent.publish import BrokerSettings, Outbox, Publisher
from agent.spool import Spool
from camwarden import __version__
from schemas.errors import ConfigError
from schemas.messages import (
    AgentBirth,
    AuditReport,
    CameraHeartbeat,
    CameraReport,
    CycleReport,
)
from schemas.policy import Policy
from schemas.policy_file import load_policy
from schemas.rules import SEVERITIES
from schemas.topics import policy_topic

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Agent:
    """``await agent.run()`` until ``await agent.stop()``; or
    ``await agent.run_cycles(n)`` for exactly n back-to-back cycles.

    ``collect`` replaces the ONVIF client (tests), ``outbox`` the publisher's
    in-memory outbox (an on-disk spool), ``clock`` the aware-UTC clock.
    Raises ConfigError when the policy does not declare the config's site.
    """

    def __init__(
        self,
        config: AgentConfig,
        *,
        policy: Policy | None = None,
        collect: Collect | None = None,
        outbox: Outbox | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config = config
        self.policy = policy if policy is not None else load_policy(Path(config.policy))
        try:
            self.site = self.policy.site(config.site_id)
        except KeyError:
            raise ConfigError(
                f"site {config.site_id!r} is not in policy {self.policy.policy_id}"
            ) from None
        self.session_id = uuid.uuid4().hex
        self.cycles_completed = 0
        self.full_reports = 0
        """Cameras reported in full so far."""
        self.heartbeat_cameras = 0
        """Cameras reported unchanged, in heartbeats, so far."""
        self.last_report: AuditReport | None = None
        """The most recent cycle's audit, for a caller that wants to show it."""
        self.publisher: Publisher | None = None
        self._collect = collect
        self._outbox = outbox
        self._clock = clock
        self._changes = ChangeTracker(config.full_snapshot_interval_s)
        self._policy_changed = asyncio.Event()
        self._stop = asyncio.Event()
        self._stopped = asyncio.Event()
        self._cycle_done = asyncio.Condition()
        self._running = False

    # -- public control -----------------------------------------------------

    async def run(self) -> None:
        """Audit every ``interval_s`` until stopped."""
        await self._run(cycles=None)

    async def run_cycles(self, n: int) -> None:
        """Run exactly ``n`` cycles back to back, then stop cleanly (every
        report acknowledged or the grace period over, death published)."""
        if n < 1:
            raise ValueError(f"run_cycles needs at least one cycle, got {n}")
        await self._run(cycles=n)

    def request_stop(self) -> None:
        """Ask a running agent to stop (safe from a signal handler); no effect
        on an agent that is not running."""
        self._stop.set()

    async def stop(self) -> None:
        """Stop: the cycle in progress is abandoned (none of its reports
        were published yet), queued reports get a grace period, the death
        is published. Returns when the agent has stopped."""
        self._stop.set()
        if self._running:
            await self._stopped.wait()

    async def wait_cycles(self, n: int) -> None:
        """Wait until at least ``n`` cycles completed since start (bound it
        with ``asyncio.timeout``)."""
        async with self._cycle_done:
            await self._cycle_done.wait_for(lambda: self.cycles_completed >= n)

    async def wait_policy(self, version: str) -> None:
        """Wait until the policy in use has ``version`` (bound it with
        ``asyncio.timeout``)."""
        while self.policy.version != version:
            self._policy_changed.clear()
            await self._policy_changed.wait()

    def request_full_snapshot(self) -> None:
        """Report every camera in full on the next cycle."""
        self._changes.forget()

    def _policy_message(self, topic: str, payload: bytes) -> None:
        """A message on our site's policy topic (on the loop)."""
        policy = newer_policy(self.policy, self.site.id, topic, payload)
        if policy is None:
            return
        self.policy, self.site = policy, policy.site(self.site.id)
        self._policy_changed.set()

    # -- the work -----------------------------------------------------------

    def birth(self) -> AgentBirth:
        return AgentBirth(
            agent_id=self.config.agent_id,
            site_id=self.site.id,
            session_id=self.session_id,
            started_at=self._clock(),
            software_version=__version__,
            policy_id=self.policy.policy_id,
            policy_version=self.policy.version,
            interval_s=self.config.interval_s,
            targets=len(self.config.cameras.targets),
        )

    def broker_settings(self) -> BrokerSettings:
        m = self.config.mqtt
        return BrokerSettings(
            host=m.host,
            port=m.port,
            client_id=self.config.client_id,
            username=m.username,
            password=mqtt_password(self.config),
            session_expiry_s=m.session_expiry_s,
            keepalive_s=m.keepalive_s,
            tls=m.tls,
            ca_file=m.ca_file,
        )

    def credentials(self) -> Credentials | None:
        password = camera_password(self.config)
        return None if password is None else Credentials(self.config.cameras.username, password)

    async def _run(self, *, cycles: int | None) -> None:
        if self._running:
            raise RuntimeError("this agent is already running")
        self._running = True
        self._stop.clear()  # a stop() before this run, or the end of the last one, is spent
        self._stopped.clear()
        try:
            credentials = self.credentials()
            settings = self.broker_settings()
            subscribe = (policy_topic(self.site.id),) if self.config.mqtt.policy_updates else ()
            async with self._collector() as collect, Publisher(
                settings,
                self.birth(),
                outbox=self._outbox,
                subscribe=subscribe,
                on_message=self._policy_message,
            ) as publisher:
                self.publisher = publisher
                async with asyncio.TaskGroup() as group:
                    loop_task = group.create_task(
                        self._audit_loop(collect, credentials, publisher, cycles)
                    )
                    group.create_task(self._cancel_on_stop(loop_task))
        finally:
            self._running = False
            self._stopped.set()
            log.info("agent %s session %s stopped", self.config.agent_id, self.session_id)

    @contextlib.asynccontextmanager
    async def _collector(self) -> AsyncIterator[Collect]:
        if self._collect is not None:
            yield self._collect
            return
        async with OnvifClient(
            timeout=self.config.timeout_s, max_concurrency=self.config.max_concurrency
        ) as client:
            yield client.collect

    async def _cancel_on_stop(self, loop_task: asyncio.Task[None]) -> None:
        await self._stop.wait()
        loop_task.cancel()

    async def _audit_loop(
        self,
        collect: Collect,
        credentials: Credentials | None,
        publisher: Publisher,
        cycles: int | None,
    ) -> None:
        loop = asyncio.get_running_loop()
        next_start = loop.time()
        done = 0
        try:
            while cycles is None or done < cycles:
                delay = next_start - loop.time()
                if cycles is None and delay > 0:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(delay):
                            await self._stop.wait()
                    if self._stop.is_set():
                        return
                next_start = max(next_start + self.config.interval_s, loop.time())
                await self._cycle(collect, credentials, publisher)
                done += 1
        finally:
            self._stop.set()  # lets _cancel_on_stop end when the cycles are done

    async def _cycle(
        self, collect: Collect, credentials: Credentials | None, publisher: Publisher
    ) -> None:
        cycle_id = uuid.uuid4().hex
        started = self._clock()
        targets, _ = await cycle_targets(self.config.cameras.targets, self.config.discovery)
        report = await audit_targets(
            None,
            targets,
            credentials,
            policy=self.policy,
            site=self.site,
            now=self._clock,
            collect=collect,
        )
        backlog = publisher.unacknowledged  # left over from earlier cycles
        agent_id, site_id, session_id = self.config.agent_id, self.site.id, self.session_id
        split = self._changes.split(report.cameras, asyncio.get_running_loop().time())
        policy_id = report.policy_id or self.policy.policy_id
        policy_version = report.policy_version or self.policy.version
        batching = self.config.report_batch
        if batching.enabled:
            header = BatchHeader(agent_id, site_id, session_id, cycle_id, policy_id, policy_version)
            for batch in pack_reports(
                header,
                split.full,
                max_reports=batching.max_reports,
                max_bytes=batching.max_bytes,
            ):
                publisher.publish(batch)
        else:
            for observation in split.full:
                publisher.publish(
                    CameraReport(
                        report_id=uuid.uuid4().hex,
                        agent_id=agent_id,
                        site_id=site_id,
                        session_id=session_id,
                        cycle_id=cycle_id,
                        policy_id=policy_id,
                        policy_version=policy_version,
                        observation=observation,
                    )
                )
        for entries in chunks(split.unchanged):
            publisher.publish(
                CameraHeartbeat(
                    report_id=uuid.uuid4().hex,
                    agent_id=agent_id,
                    site_id=site_id,
                    session_id=session_id,
                    cycle_id=cycle_id,
                    policy_id=policy_id,
                    policy_version=policy_version,
                    observed_at=started,
                    cameras=entries,
                )
            )
        self.full_reports += len(split.full)
        self.heartbeat_cameras += len(split.unchanged)
        finished = self._clock()
        publisher.publish(
            CycleReport(
                report_id=uuid.uuid4().hex,
                agent_id=agent_id,
                site_id=site_id,
                session_id=session_id,
                cycle_id=cycle_id,
                started_at=started,
                finished_at=finished,
                addresses=tuple(c.address for c in report.cameras),
                camera_reports=len(report.cameras),
            )
        )
        self.last_report = report
        seconds = (finished - started).total_seconds()
        log.info("%s", self._summary(report, cycle_id, seconds, backlog))
        async with self._cycle_done:
            self.cycles_completed += 1
            self._cycle_done.notify_all()

    def _summary(self, report: AuditReport, cycle_id: str, seconds: float, backlog: int) -> str:
        cams = report.cameras
        counts = {
            s: sum(1 for c in cams for f in c.findings if f.severity == s) for s in SEVERITIES
        }
        unreachable = sum(1 for c in cams if not c.reachable)
        return (
            f"agent {self.config.agent_id} cycle {self.cycles_completed + 1} ({cycle_id[:8]}): "
            f"{len(cams)} camera(s), {unreachable} unreachable, "
            + ", ".join(f"{counts[s]} {s}" for s in SEVERITIES)
            + f"; {seconds:.1f}s; {backlog} earlier message(s) still awaiting the broker"
        )


def run(args: argparse.Namespace) -> int:
    """``camwarden agent --config FILE``."""
    spool: Spool | None = None
    try:
        config, policy, _ = load_config_and_policy(args.config)
        if config.spool.enabled:
            spool = Spool(
                Path(config.spool.path),
                max_bytes=config.spool.max_bytes,
                max_age_s=config.spool.max_age_s,
            )
        agent = Agent(config, policy=policy, outbox=spool)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)  # the per-cycle summary is this service's output
        logging.getLogger("agent.publish").setLevel(logging.INFO)
    try:
        asyncio.run(_serve(agent))
    except ConfigError as exc:  # a password file that went away since loading
        print(exc, file=sys.stderr)
        return 2
    finally:
        if spool is not None:
            spool.close()
    return 0


async def _serve(agent: Agent) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, agent.request_stop)
    await agent.run()
