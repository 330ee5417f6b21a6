"""``camwarden demo``: the whole product on this machine.

A private Mosquitto on a free port; a simulated fleet built from the seed
policies in ``policies/`` with a handful of injected violations
(``camwarden/demo_fleet/``); one agent per site; the controller on SQLite;
and the console. Every part is the real one, started in this process (the
broker in its own), wired through configuration files written into the
work folder, exactly as a user would write them.

``--headless`` waits for the first full reconcile of every site, prints a
summary read from the controller's HTTP API, and exits 0. Ctrl-C (or the
console's quit) stops everything; the broker process is always stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from camwarden.broker import Mosquitto, free_port
from schemas.errors import CamwardenError
from schemas.policy import Policy
from schemas.policy_file import load_policy

log = logging.getLogger(__name__)

FLEET_DIR = Path(__file__).parent / "demo_fleet"
POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
AUDIT_INTERVAL_S = 30.0


@dataclass(frozen=True)
class DemoSite:
    policy: Policy
    policy_path: Path
    site_id: str
    targets: tuple[str, ...]


def _policies(policy_dir: Path) -> list[tuple[Path, Policy]]:
    paths = sorted(policy_dir.glob("*.yaml"))
    if not paths:
        raise CamwardenError(f"no policies found in {policy_dir} (run the demo from a checkout)")
    return [(path, load_policy(path)) for path in paths]


def _write_yaml(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _agent_config(workdir: Path, site: DemoSite, broker_port: int, password_file: Path) -> Path:
    return _write_yaml(
        workdir / f"agent-{site.site_id}.yaml",
        {
            "agent_id": f"{site.site_id}-agent",
            "site_id": site.site_id,
            "policy": str(site.policy_path),
            "mqtt": {"host": "127.0.0.1", "port": broker_port},
            "cameras": {
                "username": "admin",
                "password_file": str(password_file),
                "targets": list(site.targets),
            },
            "interval_s": AUDIT_INTERVAL_S,
            "timeout_s": 5.0,
        },
    )


def _controller_config(
    workdir: Path, policy_paths: Sequence[Path], broker_port: int, token_file: Path
) -> Path:
    return _write_yaml(
        workdir / "controller.yaml",
        {
            "database": {"url": f"sqlite+aiosqlite:///{workdir / 'camwarden.db'}"},
            "mqtt": {"host": "127.0.0.1", "port": broker_port, "client_id": "demo-controller"},
            "policies": [str(path) for path in policy_paths],
            "api": {"host": "127.0.0.1", "port": 0, "token_files": [str(token_file)]},
            "reconcile": {"interval_s": 10.0, "stale_after_s": 4 * AUDIT_INTERVAL_S},
        },
    )


def _write_secret(path: Path, secret: str) -> Path:
    path.write_text(secret + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


@contextlib.contextmanager
def _workdir(requested: Path | None) -> Iterator[Path]:
    if requested is not None:
        requested.mkdir(parents=True, exist_ok=True)
        yield requested.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="camwarden-demo-") as name:
        yield Path(name)


def _operator_token(workdir: Path) -> tuple[str, Path, Path]:
    """A fresh operator token for the demo's console: the token, the file
    holding it (``camwarden tui --token-file``) and the controller's token
    file admitting it (by hash)."""
    from controller.auth import hash_token, new_token

    token = new_token()
    token_file = _write_secret(workdir / "console-token", token)
    admitted = _write_secret(workdir / "api-tokens", f"demo-console operator {hash_token(token)}")
    return token, token_file, admitted


async def _print_summary(api_url: str, token: str) -> None:
    from tui.client import ApiClient

    async with ApiClient(api_url, token=token) as api:
        fleet = await api.fleet()
        sites = await api.sites(offset=0, limit=1000)
        findings = await api.findings(state="open", offset=0, limit=1000)
    out = sys.stdout
    print(
        f"camwarden demo: {fleet.sites} sites, {fleet.cameras_declared} cameras declared, "
        f"{fleet.cameras_seen} seen, {fleet.cameras_compliant} compliant; open findings: "
        f"{fleet.findings_open.critical} critical, {fleet.findings_open.warning} warning, "
        f"{fleet.findings_open.info} info; "
        f"agents online {fleet.agents_online}/{fleet.agents_known}",
        file=out,
    )
    print(
        f"\n{'site':34} {'declared':>8} {'seen':>5} {'compliant':>9} {'crit':>5} {'warn':>5}",
        file=out,
    )
    for site in sites.items:
        print(
            f"{site.site_id:34} {site.cameras_declared:>8} {site.cameras_seen:>5} "
            f"{site.cameras_compliant:>9} {site.findings_open.critical:>5} "
            f"{site.findings_open.warning:>5}",
            file=out,
        )
    by_rule = Counter(finding.rule for finding in findings.items)
    print("\nopen findings by rule:", file=out)
    for rule_id, count in sorted(by_rule.items()):
        print(f"  {rule_id:32} {count}", file=out)
    print("\nopen findings:", file=out)
    for finding in sorted(findings.items, key=lambda f: (f.site_id, f.camera_key, f.rule)):
        print(
            f"  {finding.severity:8} {finding.rule:30} {finding.site_id}/{finding.camera_key}: "
            f"{finding.summary}",
            file=out,
        )


async def _demo(args: argparse.Namespace) -> int:
    from agent.config import load_config as load_agent_config
    from agent.service import Agent
    from controller.config import load_config as load_controller_config
    from controller.service import Controller
    from simulator.fleet import build_cameras, load_fleet
    from simulator.server import SimulatedFleet

    # SIGTERM stops the demo as Ctrl-C does: every part is stopped in order.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)

    policy_dir = args.policies or POLICY_DIR
    loaded = _policies(policy_dir)
    password = secrets.token_urlsafe(12)
    cameras = []
    for _, policy in loaded:
        fleet_file = FLEET_DIR / f"{policy.policy_id}.yaml"
        fleet = load_fleet(fleet_file, policy) if fleet_file.exists() else None
        cameras += build_cameras(policy, fleet, password=password)

    with _workdir(args.workdir) as workdir:
        password_file = _write_secret(workdir / "camera-password", password)
        broker = Mosquitto(workdir / "mosquitto")
        broker.start()
        agents: list[Agent] = []
        controller: Controller | None = None
        try:
            async with SimulatedFleet(cameras) as sim, asyncio.TaskGroup() as tasks:
                sites: list[DemoSite] = []
                for path, policy in loaded:
                    for site in policy.sites:
                        targets = tuple(
                            e.address for e in sim.endpoints if e.camera.site_id == site.id
                        )
                        if site.id == "gyeyang-fire-gyesan":
                            # A device that stopped answering: nothing listens there.
                            targets += (f"127.0.0.1:{free_port()}",)
                        sites.append(DemoSite(policy, path, site.id, targets))
                token, token_file, admitted = _operator_token(workdir)
                controller = Controller(
                    load_controller_config(
                        _controller_config(workdir, [p for p, _ in loaded], broker.port, admitted)
                    )
                )
                await controller.start()
                for demo_site in sites:
                    agent = Agent(
                        load_agent_config(
                            _agent_config(workdir, demo_site, broker.port, password_file)
                        ),
                        policy=demo_site.policy,
                    )
                    agents.append(agent)
                    tasks.create_task(agent.run(), name=f"agent {demo_site.site_id}")
                print(
                    f"camwarden demo: {len(cameras)} simulated cameras on 127.0.0.1, "
                    f"broker {broker.url}, controller API {controller.api_url}, "
                    f"work folder {workdir}, console token file {token_file}",
                    file=sys.stderr,
                )
                if args.headless:
                    await controller.wait_for_full_cycles(
                        [s.site_id for s in sites], timeout=args.timeout
                    )
                    await _print_summary(controller.api_url, token)
                else:
                    from tui.app import CamwardenApp
                    from tui.client import ApiClient

                    client = ApiClient(controller.api_url, token=token)
                    await CamwardenApp(api_url=controller.api_url, client=client).run_async()
                for agent in agents:
                    await agent.stop()
        finally:
            for agent in agents:
                with contextlib.suppress(Exception):
                    await agent.stop()
            if controller is not None:
                await controller.stop()
            broker.stop()
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_demo(args))
    except CamwardenError as exc:
        print(f"camwarden demo: {exc}", file=sys.stderr)
        return 2
    except TimeoutError as exc:
        print(f"camwarden demo: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("camwarden demo: stopped", file=sys.stderr)
        return 130
