"""Taking the policy the controller publishes for our site.

The controller publishes each site's policy retained on
``schemas.topics.policy_topic(site)``. The agent validates every message
with ``decode_policy`` and takes it only if it is *newer* than the one in
use (``version_key``), so a stale retained message, a replay or a
controller still running an old file never moves it backwards. A message
that fails validation is rejected with a log line and the current policy
is kept. Pure apart from logging: the service feeds it the raw message.
"""

from __future__ import annotations

import logging
import re

from schemas.errors import MessageError
from schemas.policy import Policy
from schemas.topics import decode_policy

log = logging.getLogger(__name__)

_PARTS = re.compile(r"\d+|\D+")


def version_key(policy: Policy) -> tuple[object, ...]:
    """Order of policy revisions: the date it takes effect, then its version
    label compared naturally ("2021-7" < "2021-10")."""
    label = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in _PARTS.findall(policy.version)
    )
    return (policy.effective_from, label)


def newer_policy(current: Policy, site_id: str, topic: str, payload: bytes) -> Policy | None:
    """The policy in the message if it is valid, for ``site_id``, and newer
    than ``current``; otherwise None (logged)."""
    try:
        message = decode_policy(topic, payload)
    except MessageError as exc:
        log.error("rejected a policy message, keeping %s %s: %s",
                  current.policy_id, current.version, exc)
        return None
    if message.site_id != site_id:
        log.error("rejected a policy for site %s: this agent serves %s", message.site_id, site_id)
        return None
    offered = message.policy
    if version_key(offered) <= version_key(current):
        if offered.version != current.version:
            log.info("ignored policy %s %s: not newer than %s",
                     offered.policy_id, offered.version, current.version)
        return None
    log.info("policy %s %s replaces %s %s", offered.policy_id, offered.version,
             current.policy_id, current.version)
    return offered
