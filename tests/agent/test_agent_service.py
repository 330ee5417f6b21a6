"""The agent service against a real Mosquitto: what it publishes, in what
order, and how it starts and stops (in-process and as ``camwarden agent``)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from agent_fakes import fake_collect
from agent_mqtt import Received, Subscriber, unbatched

from agent.config import AgentConfig, CamerasConfig, MqttConfig, ReportBatchConfig
from agent.service import Agent
from camwarden.broker import Mosquitto
from camwarden.cli import main
from schemas.messages import AgentBirth, AgentDeath, CameraReport, CycleReport
from schemas.policy_file import load_policy
from schemas.topics import TopicKind, agent_filter
from simulator.fleet import Deviation, FleetFile, build_cameras
from simulator.server import SimulatedFleet

pytestmark = pytest.mark.mqtt

TARGETS = ("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3")
SERIALS = {"127.0.0.1:1": "TEST-0001", "127.0.0.1:2": "TEST-0002"}  # :3 does not answer


def config(
    mosquitto: Mosquitto,
    policy: Path,
    *,
    interval_s: float = 3600.0,
    full_snapshot_interval_s: float = 3600.0,
    batched: bool = True,
) -> AgentConfig:
    return AgentConfig(
        agent_id="test-agent",
        site_id="test-main",
        policy=str(policy),
        mqtt=MqttConfig(host=mosquitto.host, port=mosquitto.port),
        cameras=CamerasConfig(targets=TARGETS),
        interval_s=interval_s,
        full_snapshot_interval_s=full_snapshot_interval_s,
        report_batch=ReportBatchConfig(enabled=batched),
    )


@pytest.mark.parametrize(
    ("batched", "messages", "kind"),
    [(True, 1, TopicKind.REPORT_BATCH), (False, 3, TopicKind.REPORT)],
    ids=["batched", "one-message-per-camera"],
)
async def test_each_full_snapshot_is_camera_reports_then_a_cycle_report(
    mosquitto: Mosquitto, small_policy_path: Path, batched: bool, messages: int, kind: TopicKind
) -> None:
    every_cycle_full = config(
        mosquitto, small_policy_path, full_snapshot_interval_s=0, batched=batched
    )
    agent = Agent(every_cycle_full, collect=fake_collect(SERIALS))
    async with Subscriber(mosquitto, agent_filter("test-main")) as sub:
        async with asyncio.timeout(20):
            await agent.run_cycles(2)
        received = unbatched(await sub.take(1 + 2 * (messages + 1) + 1))
    got = [r.message for r in received]
    birth, *cycles, death = got
    assert isinstance(birth, AgentBirth) and (birth.targets, birth.policy_id) == (3, "test-office")
    assert death == AgentDeath(agent_id="test-agent", site_id="test-main",
                               session_id=agent.session_id)
    for first in (0, 4):
        reports, cycle = cycles[first:first + 3], cycles[first + 3]
        assert all(isinstance(r, CameraReport) for r in reports)
        assert {r.topic.kind for r in received[1 + first:1 + first + 3]} == {kind}
        assert isinstance(cycle, CycleReport)
        assert (cycle.addresses, cycle.camera_reports) == (TARGETS, 3)
        assert {r.cycle_id for r in reports} == {cycle.cycle_id}  # type: ignore[union-attr]
        camera_ids = [r.observation.camera_id for r in reports]  # type: ignore[union-attr]
        assert camera_ids == ["test-main-cam1", "test-main-cam2", None]
        assert len({r.report_id for r in reports}) == 3  # type: ignore[union-attr]
    assert cycles[3].cycle_id != cycles[7].cycle_id  # type: ignore[union-attr]
    assert {m.session_id for m in got} == {agent.session_id}
    assert agent.cycles_completed == 2


async def test_an_agent_can_run_again_after_run_cycles(
    mosquitto: Mosquitto, small_policy_path: Path
) -> None:
    agent = Agent(config(mosquitto, small_policy_path), collect=fake_collect(SERIALS))
    async with asyncio.timeout(20):
        await agent.run_cycles(1)
        await agent.run_cycles(1)
    assert agent.cycles_completed == 2


async def test_stop_ends_run_promptly_with_a_death(
    mosquitto: Mosquitto, small_policy_path: Path
) -> None:
    agent = Agent(config(mosquitto, small_policy_path), collect=fake_collect(SERIALS))
    async with Subscriber(mosquitto, agent_filter()) as sub:
        running = asyncio.create_task(agent.run())
        async with asyncio.timeout(10):
            await agent.wait_cycles(1)  # the next cycle is an hour away
            await agent.stop()
            await running
            kinds = [r.message.kind for r in await sub.take(4)]
    assert kinds == ["birth", "camera-report-batch", "cycle", "death"]


def test_a_bad_config_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text("agent_id: a\nsite_id: s\npolicy: p.yaml\ncameras: {targets: []}\n")
    assert main(["agent", "--config", str(path)]) == 2
    assert f"{path}:4: cameras.targets: " in capsys.readouterr().err


async def test_camwarden_agent_audits_the_simulator_and_stops_on_sigterm(
    mosquitto: Mosquitto, small_policy_path: Path, tmp_path: Path
) -> None:
    policy = load_policy(small_policy_path)
    deviations = FleetFile(deviations={"test-main-cam2": Deviation(audio_encoder=True)})
    cameras = build_cameras(policy, deviations, password="pw", sites=["test-main"])
    (tmp_path / "secret").write_text("pw\n")
    async with SimulatedFleet(cameras) as fleet:
        targets = ", ".join(f'"{e.address}"' for e in fleet.endpoints)
        (tmp_path / "agent.yaml").write_text(
            f"agent_id: main-agent\nsite_id: test-main\npolicy: {small_policy_path}\n"
            f"mqtt: {{host: {mosquitto.host}, port: {mosquitto.port}}}\n"
            f"cameras: {{username: admin, password_file: secret, targets: [{targets}]}}\n"
            "interval_s: 3600\ntimeout_s: 5\n"
        )
        async with Subscriber(mosquitto, agent_filter("test-main")) as sub:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "camwarden.cli", "agent", "--config",
                str(tmp_path / "agent.yaml"),
                stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            try:
                first: list[Received] = unbatched(await sub.take(1 + 1 + 1, timeout=60))
                process.send_signal(signal.SIGTERM)
                death = await sub.next(timeout=20)
                async with asyncio.timeout(20):
                    _, err = await process.communicate()
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
    findings = {
        m.observation.camera_id: [f.rule for f in m.observation.findings]
        for m in (r.message for r in first) if isinstance(m, CameraReport)
    }
    assert findings == {
        "test-main-cam1": [], "test-main-cam2": ["audio.encoder-enabled"], "test-main-cam3": [],
    }
    assert isinstance(death.message, AgentDeath)
    assert process.returncode == 0, err.decode()
    assert "cycle 1" in err.decode()  # the one-line summary per cycle
