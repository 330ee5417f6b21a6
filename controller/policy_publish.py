"""Policy distribution: each site's policy, retained, for its agents.

At start-up the controller publishes one ``PolicyMessage`` per declared
site on ``schemas.topics.policy_topic(site)``, retained, so an agent that
connects later (or resubscribes) gets it at once. ``watch`` then polls the
policy files (size and modification time, every ``interval_s``); when one
changed it reloads them all with the same strict loader as start-up, and
publishes the sites whose policy *version* differs from the one last
published. A file that no longer loads is reported in the log and changes
nothing: the agents keep the last good policy, as does the controller.

``on_loaded`` (optional) is called with the newly loaded policies after a
change was published, so the service can record them and re-evaluate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path

from controller.config import ControllerConfig, load_policies
from controller.ingest import Ingest
from schemas.errors import CamwardenError
from schemas.messages import PolicyMessage
from schemas.policy import Policy
from schemas.topics import policy_topic

log = logging.getLogger(__name__)

WATCH_INTERVAL_S = 2.0


def policy_messages(policies: Sequence[Policy], now: datetime) -> list[PolicyMessage]:
    """One message per declared site, in declaration order."""
    return [
        PolicyMessage(
            site_id=site.id,
            policy_id=policy.policy_id,
            version=policy.version,
            published_at=now,
            policy=policy,
        )
        for policy in policies
        for site in policy.sites
    ]


class PolicyDistributor:
    def __init__(
        self,
        ingest: Ingest,
        config: ControllerConfig,
        clock: Callable[[], datetime],
        *,
        on_loaded: Callable[[tuple[Policy, ...]], Awaitable[None]] | None = None,
    ) -> None:
        self.ingest = ingest
        self.config = config
        self.clock = clock
        self.on_loaded = on_loaded
        self.published: dict[str, str] = {}
        """Site id -> policy version last published (acknowledged)."""
        self._stamps = self._file_stamps()

    async def publish(self, policies: Sequence[Policy], *, only_changed: bool = False) -> int:
        """Publish every site's policy (or only those whose version differs
        from the last published); returns how many were published. Raises
        CamwardenError when the broker refuses one."""
        messages = [
            m for m in policy_messages(policies, self.clock())
            if not only_changed or self.published.get(m.site_id) != m.version
        ]
        futures = [
            self.ingest.publish(policy_topic(m.site_id), m.model_dump_json().encode(), retain=True)
            for m in messages
        ]
        await asyncio.gather(*futures)
        for m in messages:
            self.published[m.site_id] = m.version
        if messages:
            log.info(
                "published the policy of %d site(s): %s",
                len(messages), ", ".join(f"{m.site_id}={m.version}" for m in messages[:10]),
            )
        return len(messages)

    def _file_stamps(self) -> dict[str, tuple[int, int] | None]:
        stamps: dict[str, tuple[int, int] | None] = {}
        for name in self.config.policies:
            try:
                stat = Path(name).stat()
                stamps[name] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                stamps[name] = None
        return stamps

    async def check_files(self) -> int:
        """Reload and publish if a policy file changed since the last check;
        returns how many sites were published."""
        stamps = self._file_stamps()
        if stamps == self._stamps:
            return 0
        self._stamps = stamps
        try:
            policies = load_policies(self.config)
        except CamwardenError as exc:
            log.error("a policy file changed but does not load; keeping the last good one: %s", exc)
            return 0
        count = await self.publish(policies, only_changed=True)
        if count and self.on_loaded is not None:
            await self.on_loaded(policies)
        return count

    async def watch(self, interval_s: float = WATCH_INTERVAL_S) -> None:
        """``check_files`` every ``interval_s`` until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.check_files()
            except CamwardenError as exc:
                log.error("cannot publish a changed policy (retrying): %s", exc)
                self._stamps = {}
