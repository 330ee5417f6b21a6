"""Which policy version each agent computes its findings with.

Every report, heartbeat and birth names the policy version the agent used;
the newest per agent is kept in ``agent_policies``. The API shows it next to
each policy version (``schemas.api.AgentPolicyView``), so an operator sees
which agents have not yet taken a newly published policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from controller.store.dialect import upsert_replacing
from controller.store.tables import agent_policies
from schemas.api import AgentPolicyView


class PolicyUse(NamedTuple):
    agent_id: str
    site_id: str
    policy_id: str
    policy_version: str
    reported_at: datetime


async def record_policy_use(connection: AsyncConnection, uses: Iterable[PolicyUse]) -> None:
    """Keep, per agent, the version of its newest message (an older message
    delivered late never overwrites a newer one)."""
    newest: dict[str, PolicyUse] = {}
    for use in uses:
        known = newest.get(use.agent_id)
        if known is None or use.reported_at > known.reported_at:
            newest[use.agent_id] = use
    if not newest:
        return
    statement = upsert_replacing(connection, agent_policies, "agent_id", newer="reported_at")
    await connection.execute(statement, [use._asdict() for use in newest.values()])


async def agent_policy_views(
    connection: AsyncConnection, policy_id: str | None = None
) -> list[AgentPolicyView]:
    """Every agent's reported version (of one policy, if given), by agent id."""
    query = select(
        agent_policies.c.agent_id,
        agent_policies.c.site_id,
        agent_policies.c.policy_version,
        agent_policies.c.reported_at,
    ).order_by(agent_policies.c.agent_id)
    if policy_id is not None:
        query = query.where(agent_policies.c.policy_id == policy_id)
    rows = await connection.execute(query)
    return [
        AgentPolicyView(
            agent_id=agent_id, site_id=site_id, policy_version=version, reported_at=reported_at
        )
        for agent_id, site_id, version, reported_at in rows
    ]
