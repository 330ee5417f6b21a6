"""Pure reconcile: declared + observed + now -> the findings that hold.

No sockets, clocks or databases here (an import-linter contract forbids
them); the controller's store gathers ``SiteObservations`` and persists what
``reconcile_site`` returns.
"""

from controller.reconcile.model import (
    AgentState,
    Judged,
    ObservationToken,
    ReconcileSettings,
    SiteObservations,
)
from controller.reconcile.site import (
    agent_silent,
    counts_for_cycle,
    holds_until,
    lean,
    lean_at,
    lean_observation,
    match_observation,
    reconcile_site,
)
from controller.reconcile.state import camera_state, is_stale

__all__ = [
    "AgentState",
    "Judged",
    "ObservationToken",
    "ReconcileSettings",
    "SiteObservations",
    "agent_silent",
    "camera_state",
    "counts_for_cycle",
    "holds_until",
    "is_stale",
    "lean",
    "lean_at",
    "lean_observation",
    "match_observation",
    "reconcile_site",
]
