"""A deterministic stream of camera reports, and the controller as a process.

The fault tests count: every report has a unique address, so the database
must end with exactly one observation and one history row per report sent
(none lost, none doubled), and ``ingested_reports`` with exactly the ids sent.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, table
from sqlalchemy.ext.asyncio import create_async_engine

from camwarden.broker import Mosquitto
from schemas.messages import AgentBirth, CameraObservation, CameraReport

SITE, AGENT = "test-main", "test-agent"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def birth(agent_id: str = AGENT) -> AgentBirth:
    return AgentBirth(
        agent_id=agent_id, site_id=SITE, session_id=uuid.uuid4().hex,
        started_at=datetime.now(UTC), software_version="test", policy_id="test-office",
        policy_version="2026-01-01", interval_s=60.0, targets=0,
    )


def report(seq: int, session_id: str, agent_id: str = AGENT) -> CameraReport:
    """Report number ``seq``: its own address, so it is its own observation."""
    return CameraReport(
        report_id=uuid.uuid4().hex, agent_id=agent_id, site_id=SITE, session_id=session_id,
        cycle_id=uuid.uuid4().hex, policy_id="test-office", policy_version="2026-01-01",
        observation=CameraObservation(
            address=f"10.{seq // 65536}.{seq // 256 % 256}.{seq % 256}:80", reachable=False,
            observed_at=T0 + timedelta(seconds=seq),
        ),
    )


async def until_stored(db_url: str, count: int, timeout: float) -> tuple[int, int, int]:  # noqa: ASYNC109
    """Poll the database (a child process writes it: there is no event to
    wait on) until ``count`` report ids are stored or ``timeout`` passes;
    returns the last counts either way."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        counts = await stored(db_url)
        if counts[0] >= count or loop.time() > deadline:
            return counts
        await asyncio.sleep(0.1)


async def stored(db_url: str) -> tuple[int, int, int]:
    """(report ids, observations, history rows) in the controller's database."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as c:
            counts = [
                int(await c.scalar(select(func.count()).select_from(table(name))) or 0)
                for name in ("ingested_reports", "observations", "observation_changes")
            ]
            return counts[0], counts[1], counts[2]
    finally:
        await engine.dispose()


class ControllerProcess:
    """``camwarden controller --config FILE`` as a child that can be SIGKILLed."""

    def __init__(self, folder: Path, db_url: str, broker: Mosquitto, client_id: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        policy = Path(__file__).parent.parent / "fixtures" / "policy-small.yaml"
        self.config = folder / f"{client_id}.yaml"
        self.config.write_text(
            f"database: {{url: '{db_url}'}}\n"
            f"mqtt: {{host: {broker.host}, port: {broker.port}, client_id: {client_id}}}\n"
            f"policies: ['{policy}']\n"
            "api: {host: 127.0.0.1, port: 0}\n"
            "reconcile: {interval_s: 60, debounce_s: 0.05}\n"
        )
        self.process: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 20.0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "camwarden.cli", "controller", "--config", str(self.config)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        ready = threading.Event()
        lines: list[str] = []

        def read() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                lines.append(line)
                if "API at" in line:
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(timeout):
            self.kill()
            raise RuntimeError(f"controller did not start: {lines}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def terminate(self) -> int:
        assert self.process is not None
        self.process.terminate()
        return self.process.wait(20)
