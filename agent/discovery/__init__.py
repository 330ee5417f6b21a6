"""WS-Discovery for the agent: find ONVIF devices on the site's networks.

``discover`` probes (multicast on chosen interfaces, unicast to named hosts)
and returns ``schemas.discovery.DiscoveredDevice`` values, one per endpoint
reference; ``merge_targets`` adds their addresses to the declared targets so
that a device nobody declared is audited, and flagged, like any other::

    devices = await discover(interfaces=("10.0.0.5",), unicast=("10.0.0.9",), timeout=3)
    targets = merge_targets(config.cameras.targets, devices)
"""

from agent.discovery.probe import discover
from agent.discovery.targets import choose_target, merge_devices, merge_targets

__all__ = ["choose_target", "discover", "merge_devices", "merge_targets"]
