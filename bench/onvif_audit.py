"""ONVIF audit benchmark: camwarden's agent against the ecosystem's clients.

One run, one simulator, the same calls:

    .venv/bin/python bench/onvif_audit.py                  # 1,000 cameras, then 5,000 for scale
    .venv/bin/python bench/onvif_audit.py --cameras 100 --zeep-cameras 20 --scale 0   # quick

The simulator (``camwarden sim``) runs in its own process. Each client runs
in a fresh process of its own and audits every camera once, through the
same ONVIF operations:

    GetSystemDateAndTime, GetDeviceInformation, GetServices (or, for
    onvif-zeep, which predates it, GetCapabilities + GetServices),
    GetNetworkInterfaces, GetEndpointReference, GetNTP, Media GetProfiles,
    GetAudioSources, Recording GetRecordings, GetRecordingJobs,
    GetRecordingJobState, Search GetRecordingSummary, GetRecordingInformation

camwarden additionally makes one unauthenticated GetDeviceInformation (its
anonymous-access probe), so it does one call more than the peers.

Measured per client: CPU seconds of the client process over the audit
(``getrusage`` user+system, from before its ONVIF library is first used to
the end, so one-time WSDL parsing counts), wall time, peak RSS, and the
cameras that failed. ``onvif-zeep`` (synchronous, unmaintained since 2018)
shares its import name ``onvif`` with ``onvif-zeep-async``, so it runs from a
virtual environment of its own that this script makes on first use
(``bench/.venv-onvif-zeep``); it runs with a thread pool.

Not a test: it prints a table and the goals of issue 4 next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ZEEP_VENV = HERE / ".venv-onvif-zeep"
CONCURRENCY = 64
ZEEP_THREADS = 16


# --- the fleet ------------------------------------------------------------


def write_policy(path: Path, cameras: int) -> None:
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
            f"identity: {{serial: BENCH-{i:05d}}}}}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def start_simulator(
    policy: Path, cameras: int
) -> tuple[subprocess.Popen[str], list[dict[str, str]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "camwarden.cli", "sim", "--policy", str(policy), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    targets = [json.loads(proc.stdout.readline()) for _ in range(cameras)]
    return proc, targets


# --- the clients (each runs in its own process) ----------------------------


def _usage() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _camwarden(targets: list[dict[str, str]], concurrency: int) -> int:
    from agent.onvif import Credentials, OnvifClient

    failed = 0
    async with OnvifClient(timeout=30.0, max_concurrency=concurrency) as client:
        import asyncio

        results = await asyncio.gather(
            *(
                client.collect(t["address"], Credentials(t["username"], t["password"]))
                for t in targets
            )
        )
    for result in results:
        if not result.reachable or result.facts is None or result.errors:
            failed += 1
    return failed


async def _onvif_zeep_async(targets: list[dict[str, str]], concurrency: int) -> int:
    import asyncio

    from onvif import ONVIFCamera

    gate = asyncio.Semaphore(concurrency)

    async def one(target: dict[str, str]) -> bool:
        host, port = target["address"].rsplit(":", 1)
        async with gate:
            camera = ONVIFCamera(host, int(port), target["username"], target["password"])
            try:
                await camera.update_xaddrs()  # GetSystemDateAndTime + GetServices
                device = await camera.create_devicemgmt_service()
                await device.GetDeviceInformation()
                await device.GetNetworkInterfaces()
                await device.GetEndpointReference()
                await device.GetNTP()
                media = await camera.create_media_service()
                await media.GetProfiles()
                await media.GetAudioSources()
                recording = await camera.create_recording_service()
                recordings = await recording.GetRecordings()
                jobs = await recording.GetRecordingJobs()
                for job in jobs:
                    await recording.GetRecordingJobState({"JobToken": job.JobToken})
                search = await camera.create_search_service()
                await search.GetRecordingSummary()
                for item in recordings:
                    await search.GetRecordingInformation({"RecordingToken": item.RecordingToken})
                return True
            except Exception as exc:  # a benchmark counts failures, whatever they are
                print(f"onvif-zeep-async {target['address']}: {exc!r}", file=sys.stderr)
                return False
            finally:
                await camera.close()

    results = await asyncio.gather(*(one(t) for t in targets))
    return sum(1 for ok in results if not ok)


def _onvif_zeep(targets: list[dict[str, str]], threads: int) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from onvif import ONVIFCamera

    recording_ns = "http://www.onvif.org/ver10/recording/wsdl"
    search_ns = "http://www.onvif.org/ver10/search/wsdl"

    def one(target: dict[str, str]) -> bool:
        host, port = target["address"].rsplit(":", 1)
        try:
            # The constructor parses the device WSDL and calls GetCapabilities.
            camera = ONVIFCamera(host, int(port), target["username"], target["password"])
            device = camera.devicemgmt
            device.GetSystemDateAndTime()
            for service in device.GetServices({"IncludeCapability": False}):
                if service.Namespace in (recording_ns, search_ns):
                    camera.xaddrs[service.Namespace] = service.XAddr
            device.GetDeviceInformation()
            device.GetNetworkInterfaces()
            device.GetEndpointReference()
            device.GetNTP()
            media = camera.create_media_service()
            media.GetProfiles()
            media.GetAudioSources()
            recording = camera.create_recording_service()
            recordings = recording.GetRecordings()
            for job in recording.GetRecordingJobs():
                recording.GetRecordingJobState({"JobToken": job.JobToken})
            search = camera.create_search_service()
            search.GetRecordingSummary()
            for item in recordings:
                search.GetRecordingInformation({"RecordingToken": item.RecordingToken})
            return True
        except Exception as exc:  # a benchmark counts failures, whatever they are
            print(f"onvif-zeep {target['address']}: {exc!r}", file=sys.stderr)
            return False

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(one, targets))
    return sum(1 for ok in results if not ok)


def client_main(name: str, targets_file: Path, concurrency: int) -> None:
    """Run one client over the targets and print its measurements as JSON."""
    import asyncio

    targets = json.loads(targets_file.read_text())
    cpu0, wall0 = _usage(), time.perf_counter()
    if name == "camwarden":
        failed = asyncio.run(_camwarden(targets, concurrency))
    elif name == "onvif-zeep-async":
        failed = asyncio.run(_onvif_zeep_async(targets, concurrency))
    elif name == "onvif-zeep":
        failed = _onvif_zeep(targets, concurrency)
    else:
        raise SystemExit(f"unknown client {name!r}")
    cpu, wall = _usage() - cpu0, time.perf_counter() - wall0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"cpu_s": cpu, "wall_s": wall, "rss_mb": rss_mb, "failed": failed}))


# --- the harness -------------------------------------------------------------


def zeep_python() -> str:
    python = ZEEP_VENV / "bin" / "python"
    if not python.exists():
        print(f"making {ZEEP_VENV} with onvif-zeep (once)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(ZEEP_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "onvif-zeep==0.2.12"],
            check=True,
            stderr=subprocess.DEVNULL,
        )
    return str(python)


def run_client(
    name: str, targets: list[dict[str, str]], workdir: Path
) -> dict[str, float | int | str]:
    targets_file = workdir / f"targets-{name}-{len(targets)}.json"
    targets_file.write_text(json.dumps(targets))
    python = zeep_python() if name == "onvif-zeep" else sys.executable
    concurrency = ZEEP_THREADS if name == "onvif-zeep" else CONCURRENCY
    env = dict(os.environ)
    if name == "onvif-zeep":
        env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [
            python,
            __file__,
            "--client",
            name,
            "--targets",
            str(targets_file),
            "--concurrency",
            str(concurrency),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT if name != "onvif-zeep" else workdir,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float | int | str] = json.loads(done.stdout.strip().splitlines()[-1])
    result["client"] = name
    result["cameras"] = len(targets)
    errors = [line for line in done.stderr.splitlines() if line.startswith(name)]
    if errors:
        result["first_error"] = errors[0][:200]
    return result


def table(rows: list[dict[str, float | int | str]]) -> str:
    ours = next((r for r in rows if r["client"] == "camwarden"), None)
    head = (
        f"{'client':18} {'cameras':>7} {'CPU ms/camera':>14} {'vs camwarden':>13} "
        f"{'wall s':>8} {'peak RSS MB':>12} {'failed':>7}"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        per_camera = float(row["cpu_s"]) / int(row["cameras"]) * 1000
        ratio = (
            per_camera / (float(ours["cpu_s"]) / int(ours["cameras"]) * 1000)
            if ours is not None
            else float("nan")
        )
        lines.append(
            f"{row['client']:18} {row['cameras']:>7} {per_camera:>14.2f} {ratio:>12.1f}x "
            f"{float(row['wall_s']):>8.1f} {float(row['rss_mb']):>12.0f} {row['failed']:>7}"
        )
    return "\n".join(lines)


def measure(cameras: int, clients: list[str], zeep_cameras: int, workdir: Path) -> list[dict]:
    policy = workdir / f"policy-{cameras}.yaml"
    write_policy(policy, cameras)
    sim, targets = start_simulator(policy, cameras)
    try:
        rows = []
        for name in clients:
            subset = targets[:zeep_cameras] if name == "onvif-zeep" else targets
            print(f"  {name}: auditing {len(subset)} cameras ...", file=sys.stderr, flush=True)
            rows.append(run_client(name, subset, workdir))
        return rows
    finally:
        sim.terminate()
        sim.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument(
        "--zeep-cameras",
        type=int,
        default=200,
        help="cameras for onvif-zeep (about 0.3 s of CPU each; default 200)",
    )
    parser.add_argument("--clients", default="camwarden,onvif-zeep-async,onvif-zeep")
    parser.add_argument(
        "--scale", type=int, default=5000, help="cameras for the scale run (0: skip)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--targets", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client, args.targets, args.concurrency)
        return

    clients = [c for c in args.clients.split(",") if c]
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="camwarden-bench-") as name:
        workdir = Path(name)
        print(f"comparison: {args.cameras} cameras", file=sys.stderr)
        results["comparison"] = measure(args.cameras, clients, args.zeep_cameras, workdir)
        if args.scale:
            print(f"scale: {args.scale} cameras, camwarden only", file=sys.stderr)
            results["scale"] = measure(args.scale, ["camwarden"], 0, workdir)

    print(f"\nONVIF audit, simulator in its own process, {os.cpu_count()} cores\n")
    print(table(results["comparison"]))
    rows = {r["client"]: r for r in results["comparison"]}
    if "camwarden" in rows:
        ours = float(rows["camwarden"]["cpu_s"]) / int(rows["camwarden"]["cameras"])
        for peer, goal in (("onvif-zeep-async", 5), ("onvif-zeep", 50)):
            if peer in rows:
                theirs = float(rows[peer]["cpu_s"]) / int(rows[peer]["cameras"])
                verdict = "met" if theirs / ours >= goal else "NOT met"
                print(
                    f"goal: >= {goal}x less CPU per camera than {peer}: "
                    f"{theirs / ours:.1f}x, {verdict}"
                )
    if "scale" in results:
        (scale,) = results["scale"]
        print(
            f"\nscale: camwarden audited {scale['cameras']} cameras in "
            f"{float(scale['wall_s']):.1f} s (goal <= 300 s: "
            f"{'met' if float(scale['wall_s']) <= 300 else 'NOT met'}), peak RSS "
            f"{float(scale['rss_mb']):.0f} MB (goal <= 200 MB: "
            f"{'met' if float(scale['rss_mb']) <= 200 else 'NOT met'}), "
            f"{scale['failed']} failed"
        )
    for rows_ in results.values():
        for row in rows_:
            if "first_error" in row:
                print(f"first error of {row['client']}: {row['first_error']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
