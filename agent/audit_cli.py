"""``camwarden audit TARGET...``: audit cameras once and say what is wrong.

For a person at a terminal (a table, findings under each camera) or a
pipeline (``--json``: the ``AuditReport``). Exit codes: 0 compliant, 1 at
least one finding of severity critical or warning (info alone is
compliant), 2 an error in what was asked (bad policy, unknown or missing
``--site``, unreadable password file, a malformed target), named on stderr.

Without ``--policy`` only what needs no declaration is judged (audio,
anonymous access, clock, recording, reachability).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agent.audit import audit_targets
from agent.config import read_secret
from agent.onvif import Credentials, OnvifClient
from schemas.errors import ConfigError
from schemas.findings import Finding
from schemas.messages import AuditReport, CameraObservation
from schemas.policy import Policy, Site
from schemas.policy_file import load_policy
from schemas.rules import SEVERITIES, Severity, severity_rank

SYMBOLS: dict[Severity, str] = {"critical": "✖", "warning": "▲", "info": "·"}
FAILING: frozenset[Severity] = frozenset({"critical", "warning"})
DEFAULT_PORT = 80


@dataclass(frozen=True, slots=True)
class AuditRequest:
    targets: tuple[str, ...]
    credentials: Credentials | None
    policy: Policy | None
    site: Site | None
    timeout: float


def run(args: argparse.Namespace) -> int:
    try:
        request = prepare(args)
    except ConfigError as exc:
        print(f"camwarden audit: {exc}", file=sys.stderr)
        return 2
    report = asyncio.run(execute(request))
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print(render_table(report))
    return exit_code(report)


def prepare(args: argparse.Namespace) -> AuditRequest:
    """Check and load everything the audit needs before touching a camera.
    ConfigError names the option or file that is wrong."""
    if not args.timeout > 0:
        raise ConfigError(f"--timeout must be more than 0 seconds, got {args.timeout}")
    targets = tuple(normalise_target(t) for t in args.targets)
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise ConfigError(f"target(s) given twice: {', '.join(twice)}")
    policy, site = _policy_and_site(args.policy, args.site)
    credentials = None
    if args.password_file is not None:
        password = read_secret(args.password_file, where="--password-file")
        credentials = Credentials(args.username, password)
    return AuditRequest(targets, credentials, policy, site, args.timeout)


def _policy_and_site(path: Path | None, site_id: str | None) -> tuple[Policy | None, Site | None]:
    if path is None:
        if site_id is not None:
            raise ConfigError("--site needs --policy (the policy that declares the site)")
        return None, None
    policy = load_policy(path)
    known = ", ".join(s.id for s in policy.sites)
    if site_id is None:
        if len(policy.sites) > 1:
            raise ConfigError(
                f"--site is required: policy {policy.policy_id} ({path}) has "
                f"{len(policy.sites)} sites: {known}"
            )
        return policy, policy.sites[0]
    try:
        return policy, policy.site(site_id)
    except KeyError:
        raise ConfigError(
            f"--site {site_id!r} is not in policy {policy.policy_id} ({path}); its sites: {known}"
        ) from None


def normalise_target(target: str) -> str:
    """``host[:port]`` as ``host:port`` (port 80 when not given; IPv6 in
    brackets). ConfigError for anything else."""
    text = target.strip()
    if text.startswith("["):
        host, close, rest = text.partition("]")
        if not close or (rest and not rest.startswith(":")):
            raise ConfigError(f"target {target!r} is not host[:port]")
        host, port = host + "]", rest[1:] or str(DEFAULT_PORT)
    elif text.count(":") > 1:
        raise ConfigError(f"target {target!r}: put an IPv6 address in brackets, [addr]:port")
    else:
        host, _, port = text.partition(":")
        port = port or str(DEFAULT_PORT)
    if host in ("", "[]") or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"target {target!r} is not host[:port] with a port of 1-65535")
    return f"{host}:{int(port)}"


async def execute(request: AuditRequest) -> AuditReport:
    async with OnvifClient(timeout=request.timeout) as client:
        return await audit_targets(
            client,
            request.targets,
            request.credentials,
            policy=request.policy,
            site=request.site,
            now=lambda: datetime.now(UTC),
        )


def exit_code(report: AuditReport) -> int:
    """1 when any camera has a critical or warning finding, else 0."""
    failing = any(f.severity in FAILING for c in report.cameras for f in c.findings)
    return 1 if failing else 0


def render_table(report: AuditReport) -> str:
    """The report for a person: one line per camera, its findings indented
    under it, most severe first, then a one-line summary. Times in local time."""
    when = report.audited_at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    scope = (
        f"policy {report.policy_id} {report.policy_version}, site {report.site_id}"
        if report.policy_id is not None
        else "no policy (only rules that need no declaration)"
    )
    lines = [f"Audit at {when}: {scope}", ""]
    width = max((len(c.address) for c in report.cameras), default=0)
    declared = report.policy_id is not None
    for camera in report.cameras:
        lines.append(_camera_line(camera, width, declared=declared))
        findings = sorted(camera.findings, key=lambda f: (severity_rank(f.severity), f.rule))
        lines += [_finding_line(f) for f in findings]
        if camera.reachable:
            lines += [
                f"    note: {e.kind} {e.operation}: {e.message}"
                for e in camera.errors
                if e.kind != "not-supported"
            ]
    lines += ["", _summary(report)]
    return "\n".join(lines)


def _camera_line(camera: CameraObservation, width: int, *, declared: bool) -> str:
    matched = camera.camera_id or ("(not declared)" if declared and camera.reachable else "-")
    if not camera.reachable:
        what = "UNREACHABLE"
    elif camera.device is not None:
        d = camera.device
        what = f"{d.manufacturer} {d.model}, firmware {d.firmware}"
    else:
        what = "(device information unknown)"
    verdict = "  ✔ compliant" if not any(f.severity in FAILING for f in camera.findings) else ""
    return f"{camera.address:<{width}}  {matched}  {what}{verdict}"


def _finding_line(finding: Finding) -> str:
    symbol = SYMBOLS[finding.severity]
    return f"    {symbol} {finding.severity:<8} {finding.rule}: {finding.summary}"


def _summary(report: AuditReport) -> str:
    cameras = report.cameras
    failing = sum(1 for c in cameras if any(f.severity in FAILING for f in c.findings))
    counts = {s: sum(1 for c in cameras for f in c.findings if f.severity == s) for s in SEVERITIES}
    unreachable = sum(1 for c in cameras if not c.reachable)
    by_severity = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES)
    return (
        f"{len(cameras)} camera(s): {len(cameras) - failing} compliant, {failing} with findings "
        f"({by_severity}); {unreachable} unreachable"
    )
