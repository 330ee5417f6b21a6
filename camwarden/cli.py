"""The ``camwarden`` command: one subcommand per part of the product.

Each subcommand's work lives in its own package; this module only parses
arguments and hands them over, importing the part lazily so that
``camwarden policy check`` does not pay for Textual or zeep.

Exit codes: 0 success (or compliant), 1 findings, 2 error (bad input, bad
configuration, a part that failed to start), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from camwarden import __version__

Handler = Callable[[argparse.Namespace], int]


def _lazy(target: str) -> Handler:
    """A handler that imports ``module:function`` only when called."""

    def handler(args: argparse.Namespace) -> int:
        module_name, function_name = target.split(":")
        function: Handler = getattr(importlib.import_module(module_name), function_name)
        return function(args)

    return handler


def _policy_check(args: argparse.Namespace) -> int:
    from schemas.errors import ConfigError
    from schemas.policy_file import load_policy

    failed = 0
    for path in args.files:
        try:
            policy = load_policy(path)
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            failed += 1
            continue
        cameras = sum(1 for _ in policy.cameras())
        print(
            f"{path}: valid: policy {policy.policy_id} version {policy.version}, "
            f"{len(policy.sites)} site(s), {cameras} camera(s), "
            f"retention {policy.retention.days} days, audio {policy.audio}"
        )
    return 2 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="camwarden",
        description="Continuous compliance of ONVIF camera fleets with a published CCTV policy.",
    )
    parser.add_argument("--version", action="version", version=f"camwarden {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    policy = commands.add_parser("policy", help="work with policy files")
    policy_commands = policy.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    check = policy_commands.add_parser(
        "check", help="validate policy files; errors name file, line and field (exit 2)"
    )
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.set_defaults(handler=_policy_check)

    sim = commands.add_parser(
        "sim",
        help="serve simulated ONVIF cameras on loopback",
        description="Serve the compliant fleet a policy declares, plus the deviations a fleet "
        "file adds, on loopback. Prints each camera's address and credentials, then runs "
        "until stopped.",
    )
    sim.add_argument("--policy", type=Path, required=True, metavar="FILE")
    sim.add_argument("--fleet", type=Path, metavar="FILE", help="deviations to inject (YAML)")
    sim.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    sim.add_argument("--json", action="store_true", help="one JSON object per camera per line")
    sim.set_defaults(handler=_lazy("simulator.cli:run"))

    audit = commands.add_parser(
        "audit",
        help="one-shot audit of cameras over ONVIF (exit 0 compliant, 1 findings, 2 error)",
    )
    audit.add_argument("targets", nargs="+", metavar="TARGET", help="host[:port]")
    audit.add_argument("--policy", type=Path, metavar="FILE")
    audit.add_argument("--site", metavar="ID", help="site of the policy the targets belong to")
    audit.add_argument("--username", default="admin")
    audit.add_argument("--password-file", type=Path, metavar="F")
    audit.add_argument("--timeout", type=float, default=10.0, help="seconds per ONVIF call")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(handler=_lazy("agent.audit_cli:run"))

    agent = commands.add_parser(
        "agent", help="edge agent: audit a site on an interval, report over MQTT"
    )
    agent.add_argument("--config", type=Path, required=True, metavar="FILE")
    agent.set_defaults(handler=_lazy("agent.service:run"))

    controller = commands.add_parser(
        "controller", help="ingest reports, store, reconcile against policy, serve the HTTP API"
    )
    controller.add_argument("--config", type=Path, required=True, metavar="FILE")
    controller.set_defaults(handler=_lazy("controller.service:run"))

    discover = commands.add_parser(
        "discover", help="find ONVIF devices with WS-Discovery (multicast and unicast probes)"
    )
    discover.add_argument("--json", action="store_true", help="one JSON object per device")
    discover.add_argument("--interface", action="append", default=[], metavar="ADDR",
                          help="IPv4 address of a local interface to probe multicast on "
                          "(repeatable; default: the default route's)")
    discover.add_argument("--unicast", action="append", default=[], metavar="HOST[:PORT]",
                          help="also probe this host directly (repeatable; port 3702 default)")
    discover.add_argument("--no-multicast", action="store_true", help="unicast probes only")
    discover.add_argument("--timeout", type=float, default=3.0, metavar="S",
                          help="seconds to collect answers (default 3)")
    discover.add_argument("--link-local", action="store_true",
                          help="accept IPv6 link-local XAddrs as targets")
    discover.set_defaults(handler=_lazy("agent.discovery.cli:run"))

    broker_config = commands.add_parser(
        "broker-config",
        help="write Mosquitto password and ACL files for a fleet's agents and controllers",
    )
    broker_config.add_argument("--agents", type=Path, required=True, metavar="FILE")
    broker_config.add_argument("--out", type=Path, required=True, metavar="DIR")
    broker_config.set_defaults(handler=_lazy("camwarden.mqtt_auth:run"))

    token = commands.add_parser("token", help="API tokens for the controller")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    token_new = token_commands.add_parser(
        "new", help="print a new API token and the line that admits it"
    )
    token_new.add_argument("--role", choices=("viewer", "operator"), required=True)
    token_new.add_argument("--name", required=True, help="who or what the token is for")
    token_new.set_defaults(handler=_lazy("controller.auth:run_new"))

    tui = commands.add_parser("tui", help="the operator console")
    tui.add_argument("--api", default="http://127.0.0.1:8080", metavar="URL")
    tui.add_argument("--token-file", type=Path, metavar="FILE",
                     help="file holding the API token (viewer or operator)")
    tui.add_argument("--refresh", type=float, default=5.0, metavar="S",
                     help="seconds between reloads while the live stream is down (0: never)")
    tui.set_defaults(handler=_lazy("tui.app:run"))

    demo = commands.add_parser(
        "demo", help="broker, simulated fleet, agents, controller and console on this machine"
    )
    demo.add_argument(
        "--headless", action="store_true", help="print a summary after the first reconcile and exit"
    )
    demo.add_argument(
        "--workdir", type=Path, help="where to keep the demo's files (default: a temporary folder)"
    )
    demo.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for the first full reconcile"
    )
    demo.add_argument(
        "--policies", type=Path, metavar="DIR", help="folder of policy files (default: policies/)"
    )
    demo.set_defaults(handler=_lazy("camwarden.demo:run"))

    from controller.register.cli import add_register_commands  # argparse only, work is lazy

    add_register_commands(commands, policy_commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
