"""A camera's one-word state, shared by the controller's API and the console."""

from __future__ import annotations

from datetime import datetime

from schemas.api import CameraState
from schemas.messages import CameraObservation


def is_stale(observation: CameraObservation, now: datetime, stale_after_s: float) -> bool:
    """Whether ``observation`` is older than ``stale_after_s`` seconds at ``now``."""
    return (now - observation.observed_at).total_seconds() > stale_after_s


def camera_state(
    declared: bool,
    observation: CameraObservation | None,
    open_findings: int,
    missing: bool,
    stale: bool,
) -> CameraState:
    """The state shown for one camera (see ``schemas.api.CameraState``).

    Precedence: a declared camera a full audit did not find is ``missing``;
    never observed is ``unknown``; not answering (or silent past the stale
    limit) is ``unreachable``; an answering device the policy does not
    declare is ``undeclared`` whatever else it breaks; otherwise ``findings``
    or ``compliant`` by the count of open findings. Raises ValueError for a
    negative count or an undeclared camera without an observation.
    """
    if open_findings < 0:
        raise ValueError(f"open_findings must be >= 0, got {open_findings}")
    if missing and not declared:
        raise ValueError("only a declared camera can be missing")
    if declared and missing:
        return "missing"
    if observation is None:
        if not declared:
            raise ValueError("an undeclared camera is known only from an observation; got None")
        return "unknown"
    if stale or not observation.reachable:
        return "unreachable"
    if not declared:
        return "undeclared"
    return "findings" if open_findings else "compliant"
