"""Timing of reconcile_site over a synthetic fleet (not a pass/fail test).

    .venv/bin/python tests/reconcile/bench_reconcile.py [CAMERAS] [PER_SITE]

Builds one policy of CAMERAS declared cameras in sites of PER_SITE, one
latest observation per camera (5 % of them with an audio encoder, 1 %
unreachable, 1 % missing, one undeclared device per site), then times one
reconcile pass with and without a cached SiteIndex, on one core, and prints
a table with the extrapolation to 2,000,000 cameras on 2 cores (one
process per core, sites split between them).
"""

from __future__ import annotations

import gc
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checks.factory import NOW, camera_facts, policy_data

from agent.checks import SiteIndex
from controller.reconcile import AgentState, SiteObservations, reconcile_site
from schemas.facts import AudioFacts, ObservedIdentity
from schemas.messages import CameraObservation
from schemas.policy import Policy


def build(cameras: int, per_site: int) -> tuple[Policy, list[SiteObservations]]:
    data = policy_data()
    sites = []
    for s in range(cameras // per_site):
        sites.append({
            "id": f"s{s}", "name": f"Site {s}", "storage_place": "server room",
            "cameras": [
                {"id": f"s{s}-c{c}", "name": f"Cam{c}", "location": "l", "coverage": "c",
                 "identity": {"serial": f"SN-{s}-{c}"}}
                for c in range(per_site)
            ],
        })
    data["sites"] = sites
    policy = Policy.model_validate_json(json.dumps(data))

    at = NOW - timedelta(minutes=2)
    base = camera_facts(now=at)
    loud = camera_facts(now=at, audio=AudioFacts(sources=1, encoder_profiles=("main",)))
    states = []
    n = 0
    for site in policy.sites:
        seen: dict[str, CameraObservation] = {}
        for c, camera in enumerate(site.cameras):
            n += 1
            address = f"127.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}:80"
            if n % 100 == 1:
                continue  # missing
            if n % 100 == 2:
                seen[address] = CameraObservation.model_construct(
                    address=address, reachable=False, observed_at=at, camera_id=camera.id,
                    device=None, facts=None, findings=(), errors=())
                continue
            template = loud if n % 20 == 3 else base
            facts = template.model_copy(update={"identity": ObservedIdentity.model_construct(
                address=address, serial=camera.identity.serial, macs=(),
                endpoint_reference=None)})
            seen[address] = CameraObservation.model_construct(
                address=address, reachable=True, observed_at=at, camera_id=camera.id,
                device=facts.device, facts=facts, findings=(), errors=())
            if c == 0:
                stranger = f"127.255.{n // 256 % 256}.{n % 256}:80"
                seen[stranger] = CameraObservation.model_construct(
                    address=stranger, reachable=True, observed_at=at, camera_id=None,
                    device=None, facts=base.model_copy(update={
                        "identity": ObservedIdentity.model_construct(
                            address=stranger, serial="STRANGER", macs=(),
                            endpoint_reference=None)}),
                    findings=(), errors=())
        states.append(SiteObservations(
            site_id=site.id, cameras=seen, last_full_cycle_at=NOW - timedelta(minutes=1),
            full_cycle_addresses=frozenset(seen),
            agent=AgentState("agent", "0" * 32, True, NOW - timedelta(seconds=30), 60.0)))
    return policy, states


def main() -> None:
    cameras = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    per_site = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    t0 = time.perf_counter()
    policy, states = build(cameras, per_site)
    t_build = time.perf_counter() - t0
    # What a long-running controller does after loading its policies and
    # state: move the long-lived objects out of the collector's way.
    gc.collect()
    gc.freeze()

    t0 = time.perf_counter()
    indexes = [SiteIndex(site) for site in policy.sites]
    t_index = time.perf_counter() - t0

    def run(cached: bool) -> tuple[float, int]:
        t0 = time.perf_counter()
        total = 0
        for site, state, index in zip(policy.sites, states, indexes, strict=True):
            total += len(reconcile_site(policy, site, state, NOW,
                                        index=index if cached else None))
        return time.perf_counter() - t0, total

    t_cached, findings = run(cached=True)
    t_fresh, _ = run(cached=False)
    per_cam_us = t_cached / cameras * 1e6
    print(f"fleet: {cameras:,} cameras in {len(policy.sites):,} sites "
          f"(setup {t_build:.1f} s, not timed)")
    print(f"{'pass':<32}{'seconds':>10}{'µs/camera':>12}{'2M on 2 cores (s)':>20}")
    for name, seconds in (("reconcile, cached SiteIndex", t_cached),
                          ("reconcile, SiteIndex per pass", t_fresh),
                          ("building every SiteIndex", t_index)):
        us = seconds / cameras * 1e6
        print(f"{name:<32}{seconds:>10.2f}{us:>12.1f}{us * 2_000_000 / 2 / 1e6:>20.1f}")
    print(f"findings: {findings:,}  ({per_cam_us:.1f} µs per camera with a cached index)")


if __name__ == "__main__":
    main()
