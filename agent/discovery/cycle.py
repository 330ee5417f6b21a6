"""Each agent cycle's targets: the declared ones plus what discovery found.

Discovery failing (an interface gone, a socket refused) must not stop the
audit of the declared cameras: it is logged and the cycle goes on with them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from agent.config import DiscoveryConfig
from agent.discovery.probe import discover
from agent.discovery.targets import merge_targets
from schemas.discovery import DiscoveredDevice

log = logging.getLogger(__name__)


async def cycle_targets(declared: Sequence[str], config: DiscoveryConfig | None
                        ) -> tuple[tuple[str, ...], tuple[DiscoveredDevice, ...]]:
    """(targets to audit, devices discovered). Without ``config``: the declared ones."""
    if config is None:
        return tuple(declared), ()
    try:
        devices = await discover(interfaces=config.interfaces, unicast=config.unicast,
                                 multicast=config.multicast, timeout_s=config.timeout_s,
                                 allow_link_local=config.link_local)
    except (OSError, ValueError) as exc:
        log.warning("discovery failed, auditing the declared targets only: %s", exc)
        return tuple(declared), ()
    targets = merge_targets(declared, devices)
    log.info("discovery: %d device(s) answered, %d not declared", len(devices),
             len(targets) - len(declared))
    return targets, devices
