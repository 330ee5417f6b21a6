"""Delivering the alert outbox to every target: once, in order per camera,
with bounded retries.

Per target, a worker reads the alerts not yet settled for it (oldest
first), groups them by (site, camera) and delivers each group in order,
groups side by side (at most ``CONCURRENT_CAMERAS`` at a time). Each alert
ends *delivered*, *failed* (gave up after ``max_attempts``: one ERROR line
and a counter) or *skipped* (below the target's minimum severity), and that
outcome is stored before the next alert of the camera is tried: an alert is
never sent twice to one target, across restarts (short of a crash between
the receiver's answer and that write; receivers can dedupe on
``X-Camwarden-Alert-Id`` / ``alert_id``).

Backoff between tries: ``backoff_initial_s * 2**(try-1)``, capped at
``backoff_max_s``, with "equal jitter" (half fixed, half random) so that
many alerts failing together do not retry in lockstep.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from controller.alerts.lifecycle import SEVERITY_RANK
from controller.alerts.targets import DeliveryFailed, Target
from controller.config import AlertsConfig
from controller.store.lifecycle import LifecycleStore, PendingAlert
from controller.waiting import wait_set
from schemas.errors import StoreError

log = logging.getLogger(__name__)
T = TypeVar("T")

CONCURRENT_CAMERAS = 16
BATCH = 500
IDLE_RECHECK_S = 30.0
"""Backstop re-read of the outbox when nothing woke the worker (another
replica's alerts, a wake lost to a failed read)."""


@dataclass(slots=True)
class TargetStats:
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    retries: int = 0


def backoff(attempt: int, initial_s: float, max_s: float, rng: Callable[[], float]) -> float:
    """Seconds to wait after failed try number ``attempt`` (1-based)."""
    base = min(max_s, initial_s * 2.0 ** (attempt - 1))
    return base / 2 + rng() * base / 2


class Dispatcher:
    def __init__(
        self,
        store: LifecycleStore,
        targets: Sequence[Target],
        config: AlertsConfig,
        clock: Callable[[], datetime],
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.targets = list(targets)
        self.config = config
        self.clock = clock
        self.rng = rng
        self.stats = {t.name: TargetStats() for t in self.targets}
        self._wake = {t.name: asyncio.Event() for t in self.targets}
        self._settled = asyncio.Condition()
        self._inflight: set[asyncio.Task[object]] = set()

    def wake(self) -> None:
        """New alerts are in the outbox."""
        for event in self._wake.values():
            event.set()

    async def run(self) -> None:
        """Deliver until cancelled (one worker per target)."""
        async with asyncio.TaskGroup() as group:
            for target in self.targets:
                group.create_task(self._work(target), name=f"alerts to {target.name}")

    async def close(self) -> None:
        """After the workers were cancelled: finish what is in flight, then
        close the targets."""
        await self.drain()
        for target in self.targets:
            await target.close()

    async def wait_settled(self, target: str, count: int, timeout: float) -> None:  # noqa: ASYNC109
        """Until ``target`` has settled at least ``count`` alerts (tests, bench)."""
        stats = self.stats[target]

        def done() -> bool:
            return stats.delivered + stats.failed + stats.skipped >= count

        async with self._settled:
            await asyncio.wait_for(self._settled.wait_for(done), timeout)

    async def _work(self, target: Target) -> None:
        wake = self._wake[target.name]
        while True:
            wake.clear()
            since = self.clock() - timedelta(seconds=self.config.max_age_s)
            try:
                pending = await self.store.pending_alerts(target.name, since, BATCH)
            except StoreError as exc:
                log.error("alerts to %s: cannot read the outbox: %s", target.name, exc)
                pending = []
            if not pending:
                await wait_set(wake, IDLE_RECHECK_S)
                continue
            groups: dict[tuple[str, str], list[PendingAlert]] = {}
            for alert in pending:
                groups.setdefault((alert.site_id, alert.camera_key), []).append(alert)
            limit = asyncio.Semaphore(CONCURRENT_CAMERAS)
            async with asyncio.TaskGroup() as group:
                for alerts in groups.values():
                    group.create_task(self._camera(target, alerts, limit))

    async def _camera(
        self, target: Target, alerts: list[PendingAlert], limit: asyncio.Semaphore
    ) -> None:
        """One camera's alerts, strictly in order."""
        async with limit:
            for alert in alerts:
                await self._deliver(target, alert)

    async def _deliver(self, target: Target, alert: PendingAlert) -> None:
        stats = self.stats[target.name]
        if SEVERITY_RANK.get(alert.severity, 0) < SEVERITY_RANK[target.min_severity]:
            await self._settle(target, alert, "skipped", 0)
            stats.skipped += 1
            return
        body = alert.body.encode()
        attempt = 0
        while True:
            attempt += 1
            failure = await self._shielded(self._attempt(target, alert, body, attempt))
            if failure is None:
                return
            if not failure.retry or attempt >= self.config.max_attempts:
                log.error(
                    "alert %s to %s: giving up after %d try(ies): %s",
                    alert.alert_id,
                    target.name,
                    attempt,
                    failure,
                )
                await self._settle(target, alert, "failed", attempt)
                stats.failed += 1
                return
            stats.retries += 1
            delay = backoff(
                attempt, self.config.backoff_initial_s, self.config.backoff_max_s, self.rng
            )
            log.info(
                "alert %s to %s: try %d failed (%s), again in %.2f s",
                alert.alert_id,
                target.name,
                attempt,
                failure,
                delay,
            )
            await asyncio.sleep(delay)

    async def _attempt(
        self, target: Target, alert: PendingAlert, body: bytes, attempt: int
    ) -> DeliveryFailed | None:
        """One try, and on success its record: None, or why it failed."""
        try:
            await target.deliver(alert.site_id, alert.alert_id, body)
        except DeliveryFailed as exc:
            return exc
        await self._settle(target, alert, "delivered", attempt)
        self.stats[target.name].delivered += 1
        return None

    def _shielded(self, work: Coroutine[object, object, T]) -> asyncio.Future[T]:
        """Run ``work`` to its end even if the worker is cancelled (a stop):
        a POST that reached the receiver gets its record, so the alert is not
        sent again after a restart. ``drain`` waits for these."""
        task = asyncio.create_task(work)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return asyncio.shield(task)

    async def drain(self) -> None:
        """Wait for the tries in flight to finish and be recorded (bounded
        by one delivery's time limit)."""
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=self.config.timeout_s + 5.0)

    async def _settle(self, target: Target, alert: PendingAlert, outcome: str, tries: int) -> None:
        while True:
            try:
                await self.store.record_delivery(
                    alert.alert_id, target.name, outcome, tries, self.clock()
                )
                break
            except StoreError as exc:
                log.error("alert %s to %s: cannot record it: %s", alert.alert_id, target.name, exc)
                await asyncio.sleep(1.0)
        async with self._settled:
            self._settled.notify_all()
