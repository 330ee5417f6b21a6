"""The controller service: store + MQTT ingest + reconcile + HTTP API.

``Controller(config)``; ``await start()`` migrates the database, loads the
policies, serves the API, connects to MQTT and returns when all of that
works; ``await stop()`` flushes what was received, disconnects and closes
the database. The background work (ingest batches, reconcile passes) runs
as tasks of one ``asyncio.TaskGroup``: if one fails, the others are
cancelled and the failure is logged, never silently lost.

``run(args)`` is ``camwarden controller --config FILE``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

from aiohttp import web

from controller import gc_tuning
from controller.alerts.dispatcher import Dispatcher
from controller.alerts.lifecycle import RateLimiter
from controller.alerts.targets import MqttTarget, Target, WebhookTarget
from controller.api import build_app
from controller.config import (
    ControllerConfig,
    api_tokens,
    load_config,
    load_policies,
    webhook_secret,
)
from controller.events import ChangeFeed, EventHub, Reconciled
from controller.ingest import Ingest
from controller.policy_publish import PolicyDistributor
from controller.reconciler import SITES_PER_PASS, Clock, Reconciler, declared_sites, utc_now
from controller.store import BatchEffects, FindingChange, Store
from controller.store.lifecycle import LifecycleSettings
from schemas.api import SiteView
from schemas.errors import CamwardenError, ConfigError
from schemas.policy import Policy

log = logging.getLogger(__name__)

__all__ = ["Controller", "load_config", "run"]


class Controller:
    def __init__(self, config: ControllerConfig, *, clock: Clock = utc_now) -> None:
        self.config = config
        self.clock = clock
        self.api_url = ""
        """``http://HOST:PORT`` of the API once ``start`` returned (the real port)."""
        self.store: Store | None = None
        self.ingest: Ingest | None = None
        self._gc_before: tuple[int, int, int] | None = None
        self.reconciler: Reconciler | None = None
        self.hub: EventHub | None = None
        self.feed: ChangeFeed | None = None
        self.dispatcher: Dispatcher | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: asyncio.Task[None] | None = None
        self.policy_distributor: PolicyDistributor | None = None
        self._policy_watch: asyncio.Task[None] | None = None
        self.failed = False

    async def start(self) -> None:
        """Raises ConfigError (bad policy), StoreError (database) or
        CamwardenError (broker, API port) and leaves nothing running."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        policies = load_policies(self.config)
        self.store = await Store.open(self.config.database.url)
        await self.store.save_policies(policies, self.clock())
        tokens = api_tokens(self.config.api)
        if not len(tokens):
            log.warning(
                "no API token is admitted (api.tokens, api.token_files): only health answers"
            )
        alerts = self.config.alerts
        targets = self._alert_targets()
        self.store.lifecycle = LifecycleSettings(
            escalate_after_s=alerts.escalate_after_s,
            alerts=bool(targets),
            limiter=RateLimiter(alerts.rate_limit, alerts.rate_window_s),
        )
        self.dispatcher = Dispatcher(self.store, targets, alerts, self.clock)
        self.reconciler = Reconciler(
            self.store, declared_sites(policies), self.config.reconcile, self.clock, freeze_gc=True
        )
        api = self.config.api
        reconciler = self.reconciler
        self.hub = EventHub(
            self.clock,
            lambda: reconciler.site_views.values(),
            buffer=api.events_buffer,
            client_queue=api.events_client_queue,
            heartbeat_s=api.events_heartbeat_s,
        )
        self.feed = ChangeFeed(self.hub, self.store)
        self.reconciler.on_reconciled = self._reconciled
        for target in targets:
            if isinstance(target, MqttTarget):
                await target.connect()
        if len(self.reconciler.sites) <= SITES_PER_PASS:
            await self.reconciler.reconcile(list(self.reconciler.sites), startup=True)
        else:  # a large fleet: serve at once, its first full pass runs in the background
            self.reconciler.full_pass_first = True
        self._gc_before = gc_tuning.settle()
        self._runner = web.AppRunner(
            build_app(self.reconciler, self.store, tokens=tokens, hub=self.hub), access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, api.host, api.port)
        try:
            await site.start()
        except OSError as exc:
            raise CamwardenError(f"cannot serve the API on {api.host}:{api.port}: {exc}") from None
        port = self._runner.addresses[0][1]
        self.api_url = f"http://{api.host}:{port}"
        self.ingest = Ingest(self.config.mqtt, self.store, self._written)
        ingest_task = asyncio.create_task(self._supervise())
        self._tasks = ingest_task
        await self.ingest.connect()
        await self._distribute_policies(policies)
        log.info(
            "controller serving %d site(s) of %d policy(ies) at %s",
            len(self.reconciler.sites),
            len(policies),
            self.api_url,
        )

    async def _supervise(self) -> None:
        """Run ingest and reconcile until stopped. If one fails, the group
        cancels the other and the failure is logged with its traceback here,
        the service's outermost boundary; ``done`` then lets ``run`` exit."""
        assert self.ingest is not None and self.reconciler is not None
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.ingest.run(), name="ingest")
                group.create_task(self.reconciler.run(), name="reconcile")
                if self.feed is not None:
                    group.create_task(self.feed.run(), name="change feed")
                if self.dispatcher is not None:
                    group.create_task(self.dispatcher.run(), name="alerts")
        except* Exception as failures:
            for failure in failures.exceptions:
                log.error("controller task failed: %s", failure, exc_info=failure)
            self.failed = True

    async def _distribute_policies(self, policies: tuple[Policy, ...]) -> None:
        """Publish each site's policy (retained) and watch the files for a
        new version (controller/policy_publish.py)."""
        assert self.ingest is not None
        self.policy_distributor = PolicyDistributor(
            self.ingest, self.config, self.clock, on_loaded=self._policies_changed
        )
        await self.policy_distributor.publish(policies)
        self._policy_watch = asyncio.create_task(
            self.policy_distributor.watch(), name="policy-watch"
        )

    async def _policies_changed(self, policies: tuple[Policy, ...]) -> None:
        """A new policy version was published: record it and re-evaluate."""
        assert self.store is not None and self.reconciler is not None
        await self.store.save_policies(policies, self.clock())
        self.reconciler.sites = declared_sites(policies)
        self.reconciler.mark(self.reconciler.sites)

    async def done(self) -> bool:
        """Wait until the background work ends (only by failure, or after
        ``stop``); True when it failed."""
        if self._tasks is not None:
            await asyncio.wait([self._tasks])
        return self.failed

    def _alert_targets(self) -> list[Target]:
        alerts = self.config.alerts
        targets: list[Target] = []
        if alerts.mqtt:
            targets.append(MqttTarget(self.config.mqtt, alerts.timeout_s))
        for hook in alerts.webhooks:
            targets.append(WebhookTarget(hook, webhook_secret(hook), alerts.timeout_s))
        return targets

    def _reconciled(
        self, site_id: str, changes: list[FindingChange], view: SiteView, at: datetime
    ) -> None:
        """The reconciler's hook: tell consoles, wake the alert dispatcher."""
        if self.feed is not None:
            self.feed.reconciled(Reconciled(site_id, tuple(changes), view, at))
        if changes and self.dispatcher is not None:
            self.dispatcher.wake()

    def _written(self, effects: BatchEffects) -> None:
        assert self.reconciler is not None
        self.reconciler.mark(effects.cycled_sites | effects.agent_sites)

    async def wait_for_full_cycles(
        self,
        site_ids: Collection[str],
        timeout: float,  # noqa: ASYNC109 (the interface the demo and tests use)
        *,
        since: datetime | None = None,
    ) -> None:
        """Until each site has had a full audit cycle ingested and reconciled
        after it; TimeoutError names the sites still waiting."""
        if self.reconciler is None:
            raise CamwardenError("the controller is not started")
        await self.reconciler.wait_for_full_cycles(site_ids, timeout, since=since)

    async def stop(self) -> None:
        """Flush received messages, disconnect, stop the API, close the DB.
        Safe to call twice, and after a failed start."""
        if self._policy_watch is not None:
            self._policy_watch.cancel()
            self._policy_watch = None
        if self.ingest is not None:
            running = self._tasks is not None and not self._tasks.done()
            await self.ingest.close(drain=running)
            self.ingest = None
        if self._tasks is not None:
            self._tasks.cancel()
            try:
                await self._tasks
            except asyncio.CancelledError:
                pass
            self._tasks = None
        if self.hub is not None:
            self.hub.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.dispatcher is not None:
            await self.dispatcher.close()
            self.dispatcher = None
        if self.store is not None:
            await self.store.close()
            self.store = None
        if self._gc_before is not None:
            gc_tuning.release(self._gc_before)  # what start-up froze goes with this controller
            self._gc_before = None


async def _serve(config: ControllerConfig) -> int:
    controller = Controller(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await controller.start()
    print(f"camwarden controller: API at {controller.api_url}", flush=True)
    stopping = asyncio.create_task(stop.wait())
    failing = asyncio.create_task(controller.done())
    try:
        await asyncio.wait([stopping, failing], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        failing.cancel()
        failed = controller.failed
        await controller.stop()
    return 2 if failed else 0


def run(args: argparse.Namespace) -> int:
    """``camwarden controller --config FILE``: 0 after a clean stop, 2 when
    the configuration, a policy, the database or the broker is wrong, or
    when its background work failed."""
    try:
        config = load_config(Path(args.config))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(config))
    except CamwardenError as exc:
        print(f"camwarden controller: {exc}", file=sys.stderr)
        return 2
