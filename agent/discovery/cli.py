"""``camwarden discover``: probe the network and print the ONVIF devices found.

The options are declared in camwarden/cli.py (so that building the parser
imports nothing heavy). Exit 0 (even when nothing answered: that is an answer), 2 for a bad
argument or a socket that cannot be made (an interface address this host
does not have), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from agent.discovery.probe import discover
from schemas.discovery import DiscoveredDevice

NAME_SCOPE = "onvif://www.onvif.org/name/"


def _name(device: DiscoveredDevice) -> str:
    for scope in device.scopes:
        if scope.startswith(NAME_SCOPE):
            return scope.removeprefix(NAME_SCOPE) or "-"
    return "-"


def format_table(devices: tuple[DiscoveredDevice, ...]) -> str:
    """TARGET  NAME  ENDPOINT-REFERENCE  XADDRS, one device a line, with a header."""
    rows = [("TARGET", "NAME", "ENDPOINT", "XADDRS")] + [
        (d.target or "-", _name(d), d.endpoint_reference, " ".join(d.xaddrs)) for d in devices]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  " + row[3]
        for row in rows)


def run(args: argparse.Namespace) -> int:
    if args.no_multicast and not args.unicast:
        print("camwarden discover: --no-multicast needs at least one --unicast HOST",
              file=sys.stderr)
        return 2
    try:
        devices = asyncio.run(discover(
            interfaces=args.interface, unicast=args.unicast, multicast=not args.no_multicast,
            timeout_s=args.timeout, allow_link_local=args.link_local))
    except (ValueError, OSError) as exc:
        print(f"camwarden discover: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    if args.json:
        for device in devices:
            print(device.model_dump_json())
    else:
        print(format_table(devices))
        print(f"{len(devices)} device(s) answered within {args.timeout:g} s", file=sys.stderr)
    return 0
