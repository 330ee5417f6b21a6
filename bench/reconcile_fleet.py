"""Reconcile benchmark: the whole national fleet (default 50,000 sites x 40
cameras = 2,000,000 declared cameras), on SQLite and on PostgreSQL.

    .venv/bin/python bench/reconcile_fleet.py [--sites 50000] [--cameras-per-site 40]
        [--engine sqlite|postgresql|both] [--passes 2] [--sqlite-db PATH]

For each engine: generate the fleet (policies of 1,000 sites each; one
latest observation per camera with realistic facts, a few % violating:
audio recorded, short retention, unreachable, missing, one undeclared
device every 10 sites), load it through the store's real ingest path
(``Store.write_batch``: agent births, camera reports, full cycles), then
start a *fresh process* that does what a controller does after start-up
(load the policies, ``Reconciler.reconcile`` of every site) and time it:
pass 1 (cold) judges every observation, opens every finding and stores
each site's judged observations; the next ones are the steady state
(nothing changed); then every camera's observation is moved a minute on,
as one round of heartbeats does (untimed, one UPDATE), and a pass takes
that in ("heartbeats"); then one camera of every tenth site reports anew
(a new report id and the site's stamp moved, untimed) and a pass judges
those sites ("reports"). Sites nothing was written for since their verdict
are left alone (``controller.settled``). Then a *second fresh process*, a
restarted controller, does one pass ("restart"): it reads the settled
verdicts back, and the judged observations of the sites it must judge.
Reported per pass: seconds, cameras/s, and the reconciler's own phase
clocks (load from the database, pure reconcile, diff against stored
findings, write). Peak RSS is that of the fresh process (policies and
reconciler state, what a controller holds). The pure reconcile alone
(``reconcile_site`` over in-memory observations, no database) is timed in
the same process for comparison.

``--sqlite-db PATH`` keeps the freshly loaded SQLite database at PATH (a
2,000,000-camera fleet takes minutes to load and some 6 GB); a later run of
the same fleet size copies it instead of loading again, and reconciles the
copy, so every run's pass 1 starts from the same just-loaded state.

PostgreSQL: ``$CAMWARDEN_TEST_PG`` (default postgres@127.0.0.1:5432, trust
auth); a temporary database is created and dropped. Figures are measured,
never fixed; this is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from controller import gc_tuning
from controller.config import ReconcileConfig
from controller.intake import AgentEvent, Batch
from controller.reconcile import AgentState, SiteObservations, reconcile_site
from controller.reconciler import Reconciler, declared_sites
from controller.store import Store
from schemas.facts import (
    AudioFacts,
    CameraFacts,
    ClockFacts,
    DeviceInfo,
    ObservedIdentity,
    PtzFacts,
    RecordingFact,
    RecordingFacts,
    RecordingJobFact,
    SecurityFacts,
    TrackFact,
)
from schemas.messages import AgentBirth, CameraObservation, CameraReport, CycleReport
from schemas.policy import Policy

OBSERVED = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
NOW = OBSERVED + timedelta(minutes=2)
SITES_PER_POLICY = 1000
SITES_PER_LOAD_BATCH = 50
PURE_SITES = 10_000
"""The pure reconcile is timed over at most this many sites' cameras."""
PG_ADMIN = os.environ.get("CAMWARDEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def fleet_policies(sites: int, per_site: int) -> list[Policy]:
    """Policies of ``SITES_PER_POLICY`` sites each, validated as loaded
    from files (``model_validate_json``), deterministic for a size."""
    out = []
    for p, first in enumerate(range(0, sites, SITES_PER_POLICY)):
        data = {
            "schema_version": 1,
            "policy_id": f"org-{p}",
            "version": "2026-11-01",
            "effective_from": "2026-11-01",
            "organisation": {"name": f"Organisation {p}"},
            "legal_basis": ["PIPA Art. 25(1)1"],
            "purposes": ["facility-safety", "crime-prevention"],
            "recording": {"continuous": True, "max_gap_minutes": 10},
            "audio": "forbidden",
            "retention": {"days": 30, "tolerance_days": 1},
            "clock": {"max_drift_seconds": 5},
            "roles": [{"role": "responsible-manager", "title": "head of general affairs"}],
            "sites": [
                {
                    "id": f"s{s}",
                    "name": f"Site {s}",
                    "storage_place": "server room",
                    "cameras": [
                        {"id": f"s{s}-c{c}", "name": f"Cam {c}", "location": f"floor {c % 5}",
                         "coverage": "corridor", "identity": {"serial": f"SN-{s}-{c}"}}
                        for c in range(per_site)
                    ],
                }
                for s in range(first, min(sites, first + SITES_PER_POLICY))
            ],
        }
        out.append(Policy.model_validate_json(json.dumps(data)))
    return out


_TEMPLATES: dict[tuple[bool, float], CameraFacts] = {}


def _facts(address: str, serial: str, *, audio: bool, retention_days: float) -> CameraFacts:
    """Facts validated once per kind, then copied with this camera's identity
    (generation is not what is measured; 2,000,000 validations would take
    longer than the measurement)."""
    template = _TEMPLATES.get((audio, retention_days))
    if template is None:
        template = _TEMPLATES[(audio, retention_days)] = _template(audio, retention_days)
    assert template.device is not None
    return template.model_copy(update={
        "identity": ObservedIdentity(address=address, serial=serial),
        "device": template.device.model_copy(update={"serial": serial}),
    })


def _template(audio: bool, retention_days: float) -> CameraFacts:
    at = OBSERVED
    return CameraFacts(
        identity=ObservedIdentity(address="10.0.0.1:80", serial="template"),
        device=DeviceInfo(manufacturer="Hanwha Vision", model="XNO-6080R",
                          firmware="2.21.00", serial="template"),
        audio=AudioFacts(sources=1, encoder_profiles=("main",)) if audio else AudioFacts(sources=0),
        ptz=PtzFacts(nodes=()),
        recording=RecordingFacts(
            recordings=(RecordingFact(token="rec0", max_retention_seconds=30 * 86400,
                                      tracks=(TrackFact(token="video", type="Video"),)),),
            jobs=(RecordingJobFact(token="job0", recording_token="rec0", mode="Active",
                                   state="Active"),),
            data_from=at - timedelta(days=retention_days),
            data_until=at - timedelta(minutes=1),
        ),
        clock=ClockFacts(observed_at=at, camera_utc=at, ntp=True, ntp_servers=("127.0.0.53",)),
        security=SecurityFacts(anonymous_access=False, auth_scheme="ws-security"),
    )


def site_batch(site_ids: list[str], per_site: int) -> Batch:
    """The messages a few sites' agents send in one cycle: birth, one report
    per camera (2 % audio, 1 % short retention, 1 % unreachable, 1 %
    missing, one undeclared device every 10 sites), the full cycle."""
    batch = Batch()
    for site_id in site_ids:
        s = int(site_id[1:])
        agent, session, cycle = f"agent-{s}", uuid.uuid4().hex, uuid.uuid4().hex
        batch.agent_events.append(AgentEvent(AgentBirth(
            agent_id=agent, site_id=site_id, session_id=session,
            started_at=OBSERVED - timedelta(hours=1), software_version="bench",
            policy_id=f"org-{s // SITES_PER_POLICY}", policy_version="2026-11-01",
            interval_s=60.0, targets=per_site), retained=False))
        addresses = []
        devices = [(c, f"SN-{s}-{c}") for c in range(per_site)]
        if s % 10 == 0:
            devices.append((per_site, f"STRANGER-{s}"))
        for c, serial in devices:
            n = s * per_site + c
            if n % 100 == 1:
                continue  # missing: the agent never found it
            address = f"10.{s // 256 % 256}.{s % 256}.{c + 1}:80"
            addresses.append(address)
            if n % 100 == 2:
                observation = CameraObservation(
                    address=address, reachable=False, observed_at=OBSERVED,
                    camera_id=f"s{s}-c{c}")
            else:
                observation = CameraObservation(
                    address=address, reachable=True, observed_at=OBSERVED,
                    facts=_facts(address, serial, audio=n % 50 == 3,
                                 retention_days=5.0 if n % 100 == 4 else 30.0))
            batch.reports.append(CameraReport(
                report_id=uuid.uuid4().hex, agent_id=agent, site_id=site_id,
                session_id=session, cycle_id=cycle, policy_id=f"org-{s // SITES_PER_POLICY}",
                policy_version="2026-11-01", observation=observation))
        batch.cycles.append(CycleReport(
            report_id=uuid.uuid4().hex, agent_id=agent, site_id=site_id, session_id=session,
            cycle_id=cycle, started_at=OBSERVED - timedelta(seconds=30), finished_at=OBSERVED,
            addresses=tuple(addresses), camera_reports=len(addresses)))
    return batch


def site_ids(sites: int) -> list[str]:
    return [f"s{s}" for s in range(sites)]


def batches(sites: int, per_site: int) -> Iterator[Batch]:
    ids = site_ids(sites)
    for start in range(0, sites, SITES_PER_LOAD_BATCH):
        yield site_batch(ids[start : start + SITES_PER_LOAD_BATCH], per_site)


async def load_fleet(url: str, sites: int, per_site: int) -> float:
    """Fill the database through ``Store.write_batch``; returns seconds."""
    store = await Store.open(url)
    try:
        await store.save_policies(fleet_policies(sites, per_site), NOW)
        t0 = time.perf_counter()
        for batch in batches(sites, per_site):
            await store.write_batch(batch, OBSERVED)
        return time.perf_counter() - t0
    finally:
        await store.close()


@dataclass
class PassResult:
    name: str
    seconds: float
    findings_changed: int
    phases: dict[str, float] = field(default_factory=dict)
    summaries_reused: int = 0
    restored: int = 0
    persisted: int = 0
    settled: int = 0


HEARTBEAT_S = 60
"""How far one round of heartbeats moves every observation."""


async def heartbeat_round(store: Store) -> None:
    """Every stored observation and agent seen ``HEARTBEAT_S`` later, as if
    each camera's agent had sent a heartbeat for it, and every site's
    ``seen`` stamp moved to its newest observation, as ``apply_heartbeats``,
    ``_touch_agents`` and ``bump_stamps`` do (three statements, untimed)."""
    async with store.engine.begin() as connection:
        for table, column in (("observations", "observed_at"), ("agents", "last_seen")):
            if connection.dialect.name == "sqlite":  # UtcDateTime's text, microseconds kept
                moved = (f"datetime({column}, '+{HEARTBEAT_S} seconds') "
                         f"|| substr({column}, 20)")
            else:
                moved = f"{column} + interval '{HEARTBEAT_S} seconds'"
            await connection.execute(text(f"UPDATE {table} SET {column} = {moved}"))
        await connection.execute(text(
            "INSERT INTO site_stamps (site_id, facts, seen, seen_at) "
            "SELECT site_id, 0, 1, max(observed_at) FROM observations WHERE true "
            "GROUP BY site_id ON CONFLICT (site_id) DO UPDATE "
            "SET seen = site_stamps.seen + 1, seen_at = excluded.seen_at"
        ))


REPORTING_SITES = "%5"
"""``LIKE`` pattern of the sites with a new report in the "reports" pass:
every tenth (their first camera, ``.1:80``, is never a missing one)."""


async def report_round(store: Store) -> None:
    """One camera of every tenth site reported anew: its report id changes
    (the body, so the verdict, stays: the cost measured is judging a site,
    not a finding changing), and the site's ``facts`` stamp moves, as
    ``write_batch`` does (untimed)."""
    async with store.engine.begin() as connection:
        await connection.execute(text(
            "UPDATE observations SET report_id = substr(report_id, 2) || substr(report_id, 1, 1) "
            f"WHERE site_id LIKE '{REPORTING_SITES}' AND address LIKE '%.1:80'"
        ))
        await connection.execute(text(
            f"UPDATE site_stamps SET facts = facts + 1 WHERE site_id LIKE '{REPORTING_SITES}'"
        ))


@dataclass
class ChildResult:
    pure_cameras: int
    policies_s: float
    passes: list[PassResult]
    pure_s: float
    pure_findings: int
    peak_rss_mb: float
    """After the passes (before the pure comparison)."""
    rss_after_mb: float


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def child(url: str, sites: int, per_site: int, plan: list[str]) -> ChildResult:
    """What a controller does after start-up, timed: the passes ``plan``
    names ("cold" or "restart" first, then "steady", "heartbeats" or "reports")."""
    t0 = time.perf_counter()
    policies = fleet_policies(sites, per_site)
    policies_s = time.perf_counter() - t0
    store = await Store.open(url)
    changed = 0
    # a restart comes after the first process's heartbeat round, a minute on
    clock = [NOW if plan[0] != "restart" else NOW + timedelta(seconds=HEARTBEAT_S + 60)]
    reconciler = Reconciler(
        store, declared_sites(policies), ReconcileConfig(interval_s=3600), lambda: clock[0],
        freeze_gc=True,
    )

    def count(_site: str, changes: list[object], _view: object, _at: datetime) -> None:
        nonlocal changed
        changed += len(changes)

    reconciler.on_reconciled = count  # type: ignore[assignment]
    gc_before = gc_tuning.settle()  # as Controller.start does once it is up
    results = []
    try:
        for name in plan:
            if name == "heartbeats":
                await heartbeat_round(store)
                clock[0] += timedelta(seconds=HEARTBEAT_S)
            elif name == "reports":
                await report_round(store)
            changed = 0
            stats = reconciler.stats
            stats.reset()
            t0 = time.perf_counter()
            await reconciler.reconcile(list(reconciler.sites), startup=not results)
            seconds = time.perf_counter() - t0
            results.append(PassResult(name, seconds, changed, stats.as_dict(),
                                      stats.summaries_reused, stats.restored, stats.persisted,
                                      stats.settled))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rss_after = _rss_mb()
        pure_s, pure_findings = (
            await pure_reconcile(reconciler, store) if plan[0] != "restart" else (0.0, 0)
        )
    finally:
        await store.close()
        gc_tuning.release(gc_before)
    return ChildResult(min(sites, PURE_SITES) * per_site, policies_s, results, pure_s,
                       pure_findings, peak, rss_after)


async def pure_reconcile(reconciler: Reconciler, store: Store) -> tuple[float, int]:
    """``reconcile_site`` alone (no memo, no database), timed over the
    observations of up to ``PURE_SITES`` sites, read and parsed a batch at a
    time, untimed (the table scales the rate to the fleet)."""
    seconds, found = 0.0, 0
    ids = list(reconciler.sites)[:PURE_SITES]
    for start in range(0, len(ids), 2000):
        records = await store.load_sites(ids[start : start + 2000])
        inputs = []
        for site_id, record in records.items():
            agent = record.agent()
            inputs.append((reconciler.sites[site_id], SiteObservations(
                site_id=site_id, cameras=record.cameras,
                last_full_cycle_at=record.last_full_cycle_at,
                full_cycle_addresses=record.full_cycle_addresses,
                agent=AgentState(agent.agent_id, agent.session_id, agent.online,
                                 agent.last_seen, agent.interval_s or 60.0) if agent else None,
                facts_at=record.facts_at)))
        t0 = time.perf_counter()
        for declared, observed in inputs:
            found += len(reconcile_site(declared.policy, declared.site, observed, NOW,
                                        reconciler.settings, declared.index))
        seconds += time.perf_counter() - t0
    return seconds, found


async def _pg_create() -> tuple[str, str]:
    import asyncpg

    name = f"camwarden_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return name, f"{base}/{name}"


async def _pg_drop(name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _fleet_marker(path: Path) -> Path:
    return path.with_name(path.name + ".fleet.json")


def sqlite_fleet(folder: Path, args: argparse.Namespace) -> tuple[str, float | None]:
    """The SQLite database to reconcile, in ``folder``: loaded now (and kept
    at ``--sqlite-db`` if given), or copied from ``--sqlite-db`` when that
    holds this fleet already (then the load time is None: not measured)."""
    work = folder / "fleet.sqlite"
    url = f"sqlite+aiosqlite:///{work}"
    fleet = {"sites": args.sites, "cameras_per_site": args.cameras_per_site}
    kept: Path | None = args.sqlite_db
    if kept is not None and kept.exists() and _fleet_marker(kept).exists():
        if json.loads(_fleet_marker(kept).read_text()) == fleet:
            print(f"[SQLite] copying the loaded fleet from {kept} ...", flush=True)
            shutil.copyfile(kept, work)
            return url, None
    load_s = _load("SQLite", url, args)
    if kept is not None:
        shutil.copyfile(work, kept)
        _fleet_marker(kept).write_text(json.dumps(fleet))
    return url, load_s


def _load(label: str, url: str, args: argparse.Namespace) -> float:
    print(f"[{label}] loading {args.sites * args.cameras_per_site:,} cameras ...", flush=True)
    load_s = asyncio.run(load_fleet(url, args.sites, args.cameras_per_site))
    print(f"[{label}] loaded in {load_s:.1f} s", flush=True)
    return load_s


def run_engine(
    label: str, url: str, args: argparse.Namespace, load_s: float | None = None, *,
    load: bool = True,
) -> tuple[float | None, ChildResult, ChildResult]:
    """The first process's passes, then the restarted one's."""
    if load:
        load_s = _load(label, url, args)
    plan = ["cold", *["steady"] * (args.passes - 1), "heartbeats", "reports"]
    print(f"[{label}] reconciling in a fresh process: {', '.join(plan)} ...", flush=True)
    first = _child(url, args, plan)
    print(f"[{label}] restarting: a second fresh process ...", flush=True)
    return load_s, first, _child(url, args, ["restart"])


def _child(url: str, args: argparse.Namespace, plan: list[str]) -> ChildResult:
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, "--sites", str(args.sites),
         "--cameras-per-site", str(args.cameras_per_site), "--plan", ",".join(plan)],
        check=True, capture_output=True, text=True,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["passes"] = [PassResult(**p) for p in data["passes"]]
    return ChildResult(**data)


PHASES = ("load", "reconcile", "diff", "write", "views")


def print_table(
    cameras: int, sites: int, results: list[tuple[str, float | None, ChildResult, ChildResult]]
) -> None:
    print(f"\n{cameras:,} declared cameras in {sites:,} sites, {os.cpu_count()} CPU(s); "
          "phases in seconds; restored: judged observations read back; left alone: sites\n"
          "not read nor judged (nothing written for them, their verdict holding)\n")
    head = ("engine / pass", "s", "cameras/s", "changed", *PHASES, "peak RSS", "kept views",
            "restored", "left alone")
    print("{:<27} {:>7} {:>10} {:>9} {:>6} {:>9} {:>6} {:>6} {:>6} {:>10} {:>10} {:>10} {:>10}"
          .format(*head))
    for label, load_s, r, restart in results:
        for i, (p, rss) in enumerate(
            [(p, r.peak_rss_mb) for p in r.passes]
            + [(p, restart.peak_rss_mb) for p in restart.passes], 1
        ):
            name = f"{label} {i} {p.name}"
            cells = [f"{p.phases[k]:.1f}" if k in p.phases else "-" for k in PHASES]
            print(f"{name:<27} {p.seconds:>7.1f} {cameras / p.seconds:>10,.0f} "
                  f"{p.findings_changed:>9,} {cells[0]:>6} {cells[1]:>9} {cells[2]:>6} "
                  f"{cells[3]:>6} {cells[4]:>6} {rss:>8,.0f}MB "
                  f"{p.summaries_reused:>10,} {p.restored:>10,} {p.settled:>10,}")
        rate = r.pure_cameras / r.pure_s
        print(f"{label + ' pure reconcile':<26} {cameras / rate:>7.1f} {rate:>10,.0f} "
              f"{r.pure_findings:>9,}  (no database, no memo; timed on "
              f"{r.pure_cameras:,} cameras, scaled)")
        if load_s is None:
            print(f"{label + ' ingest load':<26} {'-':>7} {'-':>10}"
                  "           (reused a database loaded by an earlier run)")
        else:
            print(f"{label + ' ingest load':<26} {load_s:>7.1f} {cameras / load_s:>10,.0f}"
                  "           (Store.write_batch, not part of reconcile)")
        print(f"{'':<26} policies built in {r.policies_s:.1f} s; RSS after: "
              f"{r.rss_after_mb:,.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=50_000)
    parser.add_argument("--cameras-per-site", type=int, default=40)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--sqlite-db", type=Path, metavar="PATH",
                        help="keep the loaded SQLite fleet here and reuse it in later runs")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.passes < 1:
        parser.error(f"--passes must be at least 1, got {args.passes}")
    if args.child:
        plan = args.plan.split(",")
        result = asyncio.run(child(args.child, args.sites, args.cameras_per_site, plan))
        print(json.dumps(asdict(result)))
        return 0
    results: list[tuple[str, float | None, ChildResult, ChildResult]] = []
    with tempfile.TemporaryDirectory() as folder:
        if args.engine in ("sqlite", "both"):
            url, load_s = sqlite_fleet(Path(folder), args)
            results.append(("SQLite", *run_engine("SQLite", url, args, load_s, load=False)))
        if args.engine in ("postgresql", "both"):
            name, url = asyncio.run(_pg_create())
            try:
                results.append(("PostgreSQL", *run_engine("PostgreSQL", url, args)))
            finally:
                asyncio.run(_pg_drop(name))
    print_table(args.sites * args.cameras_per_site, args.sites, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
