"""Pan/tilt/zoom: no arbitrary manipulation, no pointing elsewhere (PIPA Art. 25(5)).

A camera with a PTZ node that the policy does not approve for PTZ raises
``ptz.unapproved`` and nothing else (every preset on it is unapproved by
definition). An approved camera is checked against its approved presets
(``ptz.unapproved-preset``, by name) and its home preset
(``ptz.off-preset``: any known axis further than ``position_tolerance`` from
the home position; exactly at the tolerance is compliant).

Positions are ONVIF generic spaces (pan/tilt -1..1, zoom 0..1). Pan is not
wrapped around: the generic space does not say whether -1 and 1 are the same
direction, and assuming so could hide a camera turned to the far end.
"""

from __future__ import annotations

from agent.checks.subject import Subject, quoted
from schemas.facts import PtzFacts, PtzPosition
from schemas.findings import EvidenceValue, Finding
from schemas.policy import Preset, PtzPolicy


def check_ptz(
    policy: PtzPolicy, ptz: PtzFacts, subject: Subject, *, declared: bool
) -> list[Finding]:
    """PTZ findings for one camera. ``declared`` only shapes the summary:
    an undeclared device has no PTZ approval at all."""
    if not ptz.nodes:
        return []
    if not policy.approved:
        whom = "it" if declared else "an undeclared camera"
        return [
            subject.finding(
                "ptz.unapproved",
                f"the camera has pan/tilt/zoom (node(s) {quoted(ptz.nodes)}); "
                f"the policy does not approve PTZ for {whom}",
                {"ptz_nodes": ptz.nodes, "ptz_approved": False},
            )
        ]
    found: list[Finding] = []
    home = policy.home()
    if home is not None and ptz.position is not None:
        off = _off_preset(home, ptz.position, policy.position_tolerance)
        if off is not None:
            summary, evidence = _off_preset_text(home, ptz, off, policy)
            found.append(subject.finding("ptz.off-preset", summary, evidence))
    approved = {preset.name for preset in policy.presets}
    unapproved = tuple(p.name for p in ptz.presets if p.name not in approved)
    if unapproved:
        found.append(
            subject.finding(
                "ptz.unapproved-preset",
                f"the camera holds preset(s) {quoted(unapproved)} the policy does not approve",
                {
                    "unapproved_presets": unapproved,
                    "approved_presets": tuple(p.name for p in policy.presets),
                },
            )
        )
    return found


def _off_preset(home: Preset, position: PtzPosition, tolerance: float) -> float | None:
    """The largest deviation over the known axes, when it exceeds ``tolerance``;
    None when within tolerance or when no axis is known."""
    deviations = [
        abs(observed - declared)
        for observed, declared in (
            (position.pan, home.pan),
            (position.tilt, home.tilt),
            (position.zoom, home.zoom),
        )
        if observed is not None
    ]
    if not deviations:
        return None
    worst = max(deviations)
    # A deviation computed in floating point a hair above the tolerance (0.1+0.02)
    # is still "exactly at the tolerance" for a person.
    return worst if worst > tolerance + 1e-9 else None


def _fmt(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def _off_preset_text(
    home: Preset, ptz: PtzFacts, deviation: float, policy: PtzPolicy
) -> tuple[str, dict[str, EvidenceValue]]:
    position = ptz.position
    assert position is not None
    summary = (
        f"the camera points at pan {_fmt(position.pan)}, tilt {_fmt(position.tilt)}, "
        f"zoom {_fmt(position.zoom)}, away from its home preset {home.name!r} "
        f"(pan {home.pan:.2f}, tilt {home.tilt:.2f}, zoom {home.zoom:.2f})"
    )
    evidence: dict[str, EvidenceValue] = {
        "home_preset": home.name,
        "observed_pan": position.pan,
        "observed_tilt": position.tilt,
        "observed_zoom": position.zoom,
        "declared_pan": home.pan,
        "declared_tilt": home.tilt,
        "declared_zoom": home.zoom,
        "deviation": round(deviation, 4),
        "tolerance": policy.position_tolerance,
        "moving": ptz.moving,
    }
    return summary, evidence
