"""End to end, every part real: simulated cameras (each with one injected
violation) -> agent (ONVIF over HTTP) -> Mosquitto -> controller (SQLite or
PostgreSQL) -> HTTP API. The API must list exactly the expected findings,
by rule and camera, and none on the compliant cameras."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
import yaml

from agent.config import load_config as load_agent_config
from agent.service import Agent
from camwarden.broker import Mosquitto, free_port
from controller.auth import hash_token
from controller.config import load_config as load_controller_config
from controller.service import Controller
from schemas.api import CameraView, FindingView, Page, SiteView
from schemas.policy_file import load_policy
from simulator.fleet import build_cameras, load_fleet
from simulator.server import SimulatedFleet

FIXTURES = Path(__file__).parent.parent / "fixtures"
POLICY = FIXTURES / "policy-e2e.yaml"
FLEET = FIXTURES / "fleet-e2e.yaml"
SITE = "e2e-main"

EXPECTED_DECLARED = {
    ("audio.encoder-enabled", "e2e-audio"),
    ("ptz.unapproved", "e2e-ptz-unapproved"),
    ("ptz.off-preset", "e2e-ptz-moved"),
    ("recording.not-recording", "e2e-stopped"),
    ("retention.configured-too-long", "e2e-retention-90"),
    ("retention.configured-too-long", "e2e-retention-unlimited"),
    ("retention.kept-too-long", "e2e-kept-long"),
    ("clock.drift", "e2e-clock"),
    ("security.anonymous-access", "e2e-anonymous"),
    ("inventory.missing", "e2e-absent"),
}
COMPLIANT = {"e2e-ok-1", "e2e-ok-2", "e2e-ok-ptz"}


def _write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


TOKEN = "cw_e2e-viewer"  # the API needs a token; admitted by hash below


async def _get(session: aiohttp.ClientSession, url: str) -> bytes:
    async with session.get(url, headers={"Authorization": f"Bearer {TOKEN}"}) as response:
        assert response.status == 200, f"GET {url}: {response.status} {await response.text()}"
        return await response.read()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'camwarden.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


async def test_injected_violations_reach_the_api(
    tmp_path: Path, mosquitto: Mosquitto, database_url: str
) -> None:
    policy = load_policy(POLICY)
    cameras = build_cameras(policy, load_fleet(FLEET, policy), password="e2e-secret")
    (tmp_path / "camera-password").write_text("e2e-secret\n")
    dead_target = f"127.0.0.1:{free_port()}"  # nothing listens: camera.unreachable

    async with SimulatedFleet(cameras) as sim:
        rogue = sim.endpoint("ROGUE-0001").address
        controller = Controller(
            load_controller_config(
                _write(
                    tmp_path / "controller.yaml",
                    {
                        "database": {"url": database_url},
                        "mqtt": {"port": mosquitto.port, "client_id": "e2e-controller"},
                        "policies": [str(POLICY)],
                        "api": {
                            "port": 0,
                            "tokens": [
                                {"name": "e2e", "role": "viewer", "sha256": hash_token(TOKEN)}
                            ],
                        },
                    },
                )
            )
        )
        await controller.start()
        agent = Agent(
            load_agent_config(
                _write(
                    tmp_path / "agent.yaml",
                    {
                        "agent_id": "e2e-agent",
                        "site_id": SITE,
                        "policy": str(POLICY),
                        "mqtt": {"port": mosquitto.port},
                        "cameras": {
                            "username": "admin",
                            "password_file": str(tmp_path / "camera-password"),
                            "targets": [e.address for e in sim.endpoints] + [dead_target],
                        },
                        "interval_s": 3600,
                        "timeout_s": 3,
                    },
                )
            )
        )
        running = asyncio.create_task(agent.run())
        try:
            await agent.wait_cycles(1)
            await controller.wait_for_full_cycles([SITE], timeout=60)
            async with aiohttp.ClientSession() as http:
                findings = Page[FindingView].model_validate_json(
                    await _get(http, f"{controller.api_url}/api/v1/findings?state=open&limit=1000")
                )
                site = SiteView.model_validate_json(
                    await _get(http, f"{controller.api_url}/api/v1/sites/{SITE}")
                )
                cameras_page = Page[CameraView].model_validate_json(
                    await _get(http, f"{controller.api_url}/api/v1/sites/{SITE}/cameras?limit=1000")
                )
        finally:
            await agent.stop()
            await running
            await controller.stop()

    seen = {(f.rule, f.camera_key) for f in findings.items}
    expected = EXPECTED_DECLARED | {
        ("inventory.undeclared", rogue),
        ("camera.unreachable", dead_target),
    }
    assert seen == expected, f"missing {expected - seen}, unexpected {seen - expected}"
    assert findings.total == len(expected)
    assert all(f.site_id == SITE and f.state == "open" for f in findings.items)

    states = {c.key: c.state for c in cameras_page.items}
    assert {key: states[key] for key in COMPLIANT} == dict.fromkeys(COMPLIANT, "compliant")
    assert states["e2e-absent"] == "missing"
    assert states[rogue] == "undeclared"
    assert states["e2e-audio"] == "findings"

    # Seen means answered: 12 declared cameras and the rogue device; not the
    # absent camera, not the dead address.
    assert (site.cameras_declared, site.cameras_seen, site.cameras_compliant) == (13, 13, 3)
