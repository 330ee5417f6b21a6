"""ONVIF audit benchmark: camwarden's agent against the ecosystem's clients.

One run, one simulated fleet, the same calls:

    .venv/bin/python bench/onvif_audit.py                       # 1,000 cameras, then 5,000
    .venv/bin/python bench/onvif_audit.py --cameras 50 --scale 0 # quick look
    .venv/bin/python bench/onvif_audit.py --clients camwarden --cameras 0 --scale 5000

The simulator (``bench/onvif_audit_sim.py``, a counting runner of
``simulator.server``) serves the fleet from its own process(es). Each client
(``bench/onvif_audit_clients.py``: camwarden's ``OnvifClient.collect``,
``onvif-zeep-async``, ``onvif-zeep``) runs in a fresh process of its own and
audits every camera once. The simulator counts the SOAP operations it
receives per client, and the run prints them side by side: the operation
lists must match (they are checked, not assumed).

Measured per client: CPU seconds of the client process (``getrusage``
user+system over its life, so imports and WSDL parsing count) per camera,
wall time of the audit, peak RSS, cameras that failed. ``onvif-zeep``
(synchronous, last released 2018) shares its import name ``onvif`` with
``onvif-zeep-async``, so it runs from a virtual environment of its own that
this script makes on first use (``bench/.venv-onvif-zeep``), with a thread
pool; as it parses its WSDLs again for every camera its CPU per camera does
not depend on the fleet size, and it audits ``--zeep-cameras`` cameras
(default 200) to keep the run short.

Not a test: it prints a table and the goals of issue 4 next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from onvif_audit_profile import report

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ZEEP_VENV = HERE / ".venv-onvif-zeep"
CLIENTS = ("camwarden", "camwarden-zeep", "onvif-zeep-async", "onvif-zeep")
CONCURRENCY = 64
"""Calls in flight (camwarden) or cameras at once (onvif-zeep-async)."""
ZEEP_THREADS = 4
"""onvif-zeep's thread pool: it is CPU-bound under the GIL, and 16 threads cost it
11% more CPU per camera and 2.6x the RSS of 4 (measured, 60 cameras)."""

Row = dict[str, Any]


# --- the fleet ---------------------------------------------------------------


def write_policy(path: Path, cameras: int) -> None:
    """A policy with ``cameras`` cameras, each with PTZ (one node, one preset)."""
    lines = [
        "schema_version: 1",
        "policy_id: bench",
        'version: "1"',
        "effective_from: 2026-01-01",
        "organisation: {name: bench}",
        'legal_basis: ["PIPA Art. 25(1)"]',
        "purposes: [facility-safety]",
        "retention: {days: 30}",
        "roles: [{role: responsible-manager, title: bench}]",
        "sites:",
        "  - id: bench-site",
        "    name: bench",
        "    storage_place: server room",
        "    cameras:",
    ]
    for i in range(cameras):
        lines.append(
            f"      - {{id: cam{i:05d}, name: C{i}, location: x, coverage: x, "
            f"identity: {{serial: BENCH-{i:05d}}}, ptz: {{approved: true, home_preset: home, "
            f"presets: [{{name: home, pan: 0.25, tilt: -0.1, zoom: 0.0}}]}}}}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class Simulators:
    """The fleet served by ``processes`` counting simulator processes."""

    def __init__(self, policy: Path, cameras: int, processes: int) -> None:
        self.procs: list[subprocess.Popen[str]] = []
        self.targets: list[dict[str, str]] = []
        share = -(-cameras // processes)
        for first in range(0, cameras, share):
            proc = subprocess.Popen(
                [
                    sys.executable,
                    str(HERE / "onvif_audit_sim.py"),
                    str(policy),
                    "--first",
                    str(first),
                    "--count",
                    str(share),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            self.procs.append(proc)
        for proc in self.procs:
            assert proc.stdout is not None
            while (line := proc.stdout.readline().strip()) != "READY":
                if not line:
                    raise SystemExit(f"the simulator stopped (exit {proc.wait()})")
                self.targets.append(json.loads(line))

    def _ask(self, command: str) -> list[str]:
        answers = []
        for proc in self.procs:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(command + "\n")
            proc.stdin.flush()
            answers.append(proc.stdout.readline())
        return answers

    def reset(self) -> None:
        self._ask("reset")

    def counts(self) -> tuple[int, int, Counter[str]]:
        """(HTTP requests, TCP connections, SOAP operations) since the last reset."""
        http, connections, operations = 0, 0, Counter[str]()
        for answer in self._ask("counts"):
            got = json.loads(answer)
            http += got["http"]
            connections += got["connections"]
            operations.update(got["operations"])
        return http, connections, operations

    def stop(self) -> None:
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.close()  # end of input: the runner stops
        for proc in self.procs:
            proc.wait(timeout=60)


# --- running one client ---------------------------------------------------------


def zeep_python() -> str:
    python = ZEEP_VENV / "bin" / "python"
    if not python.exists():
        print(f"making {ZEEP_VENV} with onvif-zeep (once)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(ZEEP_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "onvif-zeep==0.2.12"], check=True
        )
    return str(python)


def profiler_command(profile: Path, python: str) -> list[str]:
    """``python`` run under py-spy (sampling, next to no overhead) when it is
    installed, else under cProfile (deterministic, inflates Python-heavy code)."""
    py_spy = Path(python).parent / "py-spy"
    if py_spy.exists():
        return [
            str(py_spy),
            "record",
            "-r",
            "250",
            "--format",
            "raw",
            "-o",
            str(profile),
            "--",
            python,
        ]
    return [python, "-m", "cProfile", "-o", str(profile)]


def run_client(
    name: str,
    targets: list[dict[str, str]],
    sims: Simulators,
    workdir: Path,
    profile: Path | None = None,
) -> Row:
    targets_file = workdir / f"targets-{name}-{len(targets)}.json"
    targets_file.write_text(json.dumps(targets))
    zeep = name == "onvif-zeep"
    env = dict(os.environ)
    if zeep:
        env.pop("PYTHONPATH", None)
    sims.reset()
    print(f"  {name}: auditing {len(targets)} cameras ...", file=sys.stderr, flush=True)
    python = [zeep_python() if zeep else sys.executable]
    if profile is not None:
        python = profiler_command(profile, python[0])
    done = subprocess.run(
        [
            *python,
            str(HERE / "onvif_audit_clients.py"),
            name,
            str(targets_file),
            str(ZEEP_THREADS if zeep else CONCURRENCY),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir if zeep else ROOT,  # away from the repo, whose onvif-free imports are not its
    )
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    # The client's one JSON line (py-spy, when profiling, prints after it).
    row: Row = json.loads(next(x for x in reversed(done.stdout.splitlines()) if x[:1] == "{"))
    http, connections, operations = sims.counts()
    row.update(
        client=name,
        cameras=len(targets),
        http_requests=http,
        connections=connections,
        operations=dict(sorted(operations.items())),
        profiled=profile is not None,
    )
    errors = [line for line in done.stderr.splitlines() if line.startswith(name)]
    if errors:
        row["first_error"] = errors[0][:300]
    return row


def measure(
    cameras: int,
    clients: list[str],
    zeep_cameras: int,
    processes: int,
    workdir: Path,
    profile: Path | None = None,
) -> list[Row]:
    policy = workdir / f"policy-{cameras}.yaml"
    write_policy(policy, cameras)
    sims = Simulators(policy, cameras, processes)
    try:
        return [
            run_client(
                name,
                sims.targets[:zeep_cameras] if name == "onvif-zeep" else sims.targets,
                sims,
                workdir,
                profile if name == "camwarden" else None,
            )
            for name in clients
        ]
    finally:
        sims.stop()


# --- reporting ------------------------------------------------------------------------


def per_camera(row: Row) -> float:
    return float(row["cpu_s"]) / int(row["cameras"])


def table(rows: list[Row]) -> str:
    ours = next((per_camera(r) for r in rows if r["client"] == "camwarden"), None)
    head = (
        f"{'client':17} {'cameras':>7} {'CPU s/camera':>13} {'vs camwarden':>13} "
        f"{'wall s':>7} {'peak RSS MB':>12} {'calls/camera':>13} {'errors':>7}"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        ratio = f"{per_camera(row) / ours:.1f}x" if ours else "-"
        calls = sum(row["operations"].values()) / int(row["cameras"])
        lines.append(
            f"{row['client']:17} {row['cameras']:>7} {per_camera(row):>13.4f} {ratio:>13} "
            f"{float(row['wall_s']):>7.1f} {float(row['rss_mb']):>12.0f} {calls:>13.2f} "
            f"{row['failed']:>7}"
        )
    return "\n".join(lines)


def operations_table(rows: list[Row]) -> tuple[str, bool]:
    """The SOAP operations (and HTTP requests) per camera the simulator
    received from each client, and whether they are the same for every
    client. TCP connections are shown too but not compared: how a client
    reuses connections is its own business (and costs it CPU)."""
    names = sorted({op for row in rows for op in row["operations"]})
    per = [
        {
            **{op: row["operations"].get(op, 0) / int(row["cameras"]) for op in names},
            "HTTP requests": int(row["http_requests"]) / int(row["cameras"]),
        }
        for row in rows
    ]
    width = max((len(n) for n in names), default=22)
    lines = [f"{'operation (per camera)':{width}} " + " ".join(f"{r['client']:>17}" for r in rows)]
    lines += [f"{op:{width}} " + " ".join(f"{p[op]:>17.2f}" for p in per) for op in per[0]]
    lines.append(
        f"{'TCP connections':{width}} "
        + " ".join(f"{int(r['connections']) / int(r['cameras']):>17.2f}" for r in rows)
    )
    return "\n".join(lines), all(p == per[0] for p in per)


def verdicts(results: dict[str, list[Row]]) -> list[str]:
    out = []
    rows = {r["client"]: r for r in results.get("comparison", [])}
    if "camwarden" in rows:
        ours = per_camera(rows["camwarden"])
        for peer, goal in (("onvif-zeep-async", 5), ("onvif-zeep", 50)):
            if peer in rows:
                ratio = per_camera(rows[peer]) / ours
                out.append(
                    f"goal: >= {goal}x less CPU per camera than {peer}: "
                    f"{ratio:.1f}x, {'met' if ratio >= goal else 'NOT met'}"
                )
    for row in results.get("scale", []):
        wall, rss = float(row["wall_s"]), float(row["rss_mb"])
        out.append(
            f"goal: {row['cameras']} cameras audited in <= 300 s: {wall:.1f} s, "
            f"{'met' if wall <= 300 else 'NOT met'}"
        )
        out.append(
            f"goal: peak RSS <= 200 MB auditing {row['cameras']} cameras: {rss:.0f} MB, "
            f"{'met' if rss <= 200 else 'NOT met'} ({row['failed']} failed)"
        )
    return out


def main() -> None:
    global ZEEP_THREADS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cameras",
        type=int,
        default=1000,
        help="cameras in the comparison (0: skip it; default 1000)",
    )
    parser.add_argument(
        "--clients",
        default=",".join(CLIENTS),
        help=f"comma-separated, from {', '.join(CLIENTS)} (default: all)",
    )
    parser.add_argument(
        "--zeep-cameras",
        type=int,
        default=200,
        help="cameras onvif-zeep audits (about 0.5 s of CPU each; default 200)",
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=5000,
        help="cameras camwarden alone audits for the scale goals (0: skip)",
    )
    parser.add_argument(
        "--sim-processes",
        type=int,
        default=1,
        help="simulator processes the fleet is split over (default 1)",
    )
    parser.add_argument(
        "--zeep-threads",
        type=int,
        default=ZEEP_THREADS,
        help=f"onvif-zeep's thread pool (default {ZEEP_THREADS})",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="profile camwarden's client in the first run it is in (py-spy if installed in "
        "the venv, else cProfile, whose overhead then inflates its CPU figure), write the "
        "profile here and print where its CPU goes",
    )
    args = parser.parse_args()
    clients = [c for c in args.clients.split(",") if c]
    ZEEP_THREADS = args.zeep_threads
    if unknown := set(clients) - set(CLIENTS):
        parser.error(f"unknown client(s) {sorted(unknown)}")

    results: dict[str, list[Row]] = {}
    with tempfile.TemporaryDirectory(prefix="camwarden-bench-") as name:
        workdir = Path(name)
        if args.cameras:
            print(f"comparison: {args.cameras} cameras", file=sys.stderr)
            results["comparison"] = measure(
                args.cameras,
                clients,
                min(args.zeep_cameras, args.cameras),
                args.sim_processes,
                workdir,
                args.profile,
            )
        if args.scale:
            print(f"scale: {args.scale} cameras, camwarden", file=sys.stderr)
            profile = None if args.cameras and "camwarden" in clients else args.profile
            results["scale"] = measure(
                args.scale, ["camwarden"], 0, args.sim_processes, workdir, profile
            )

    print(
        f"\nONVIF audit, simulator in {args.sim_processes} process(es) of its own, "
        f"each client in a fresh process, {os.cpu_count()} cores, load average at the end "
        f"{os.getloadavg()[0]:.1f} (other work on the machine slows wall times, not CPU)\n"
    )
    rows = [row for part in results.values() for row in part]
    if rows:
        print(table(rows))
        ops, same = operations_table(rows)
        print(f"\n{ops}\noperation lists {'match' if same else 'DIFFER'} across clients\n")
    print("\n".join(verdicts(results)))
    for row in rows:
        if "first_error" in row:
            print(f"first error of {row['client']}: {row['first_error']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    profiled = next((r for r in rows if r.get("profiled")), None)
    if args.profile and profiled is not None:
        print("\n" + report(args.profile, int(profiled["cameras"])))


if __name__ == "__main__":
    main()
