"""``camwarden audit`` against the simulator: table, JSON and exit codes 0/1/2."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.audit_cli import exit_code
from camwarden.broker import free_port
from camwarden.cli import main
from schemas.findings import make_finding
from schemas.messages import AuditReport, CameraObservation
from schemas.policy_file import load_policy
from simulator.fleet import Deviation, FleetFile, build_cameras
from simulator.server import SimulatedFleet


@dataclass(frozen=True)
class Cli:
    code: int
    out: str
    err: str


@pytest.fixture
async def fleet(small_policy_path: Path) -> AsyncIterator[SimulatedFleet]:
    """The small policy's main site; cam2 streams audio."""
    policy = load_policy(small_policy_path)
    deviations = FleetFile(deviations={"test-main-cam2": Deviation(audio_encoder=True)})
    cameras = build_cameras(policy, deviations, password="pw", sites=["test-main"])
    async with SimulatedFleet(cameras) as served:
        yield served


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "pw.txt"
    path.write_text("pw\n")
    return path


async def audit(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> Cli:
    """Run the real command in a thread (it runs its own event loop)."""
    code = await asyncio.to_thread(main, ["audit", *map(str, argv)])
    captured = capsys.readouterr()
    return Cli(code, captured.out, captured.err)


async def test_a_compliant_camera_exits_0_with_a_table(
    capsys: pytest.CaptureFixture[str], fleet: SimulatedFleet, small_policy_path: Path,
    password_file: Path,
) -> None:
    address = fleet.endpoint("test-main-cam1").address
    got = await audit(capsys, address, "--policy", small_policy_path, "--site", "test-main",
                      "--password-file", password_file)
    assert got.code == 0, got.out + got.err
    assert f"{address}  test-main-cam1  SimVision" in got.out
    assert "✔ compliant" in got.out
    assert "1 camera(s): 1 compliant, 0 with findings" in got.out


async def test_an_audio_encoder_exits_1_and_names_the_rule(
    capsys: pytest.CaptureFixture[str], fleet: SimulatedFleet, small_policy_path: Path,
    password_file: Path,
) -> None:
    address = fleet.endpoint("test-main-cam2").address
    got = await audit(capsys, address, "--policy", small_policy_path, "--site", "test-main",
                      "--password-file", password_file)
    assert got.code == 1, got.out + got.err
    assert "    ✖ critical audio.encoder-enabled: " in got.out


async def test_json_is_the_audit_report(
    capsys: pytest.CaptureFixture[str], fleet: SimulatedFleet, small_policy_path: Path,
    password_file: Path,
) -> None:
    addresses = [e.address for e in fleet.endpoints]
    got = await audit(capsys, *addresses, "--policy", small_policy_path, "--password-file",
                      password_file, "--site", "test-main", "--json")
    report = AuditReport.model_validate_json(got.out)
    rules = {c.camera_id: sorted(f.rule for f in c.findings) for c in report.cameras}
    assert rules == {
        "test-main-cam1": [], "test-main-cam2": ["audio.encoder-enabled"], "test-main-cam3": [],
    }
    assert (got.code, json.loads(got.out)["site_id"]) == (1, "test-main")


async def test_a_closed_port_is_unreachable_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    address = f"127.0.0.1:{free_port()}"
    got = await audit(capsys, address, "--timeout", "2", "--json")
    camera = AuditReport.model_validate_json(got.out).cameras[0]
    assert (got.code, camera.reachable, [f.rule for f in camera.findings]) == (
        1, False, ["camera.unreachable"]
    )
    table = await audit(capsys, address, "--timeout", "2")
    assert f"{address}  -  UNREACHABLE" in table.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--policy", "{bad_policy}"], r"{bad_policy}:\d+: ", id="bad-policy"),
        pytest.param(["--policy", "{policy}"], r"--site is required: .* test-main, test-annex",
                     id="site-missing-with-two-sites"),
        pytest.param(["--policy", "{policy}", "--site", "elsewhere"],
                     r"--site 'elsewhere' is not in policy test-office", id="site-unknown"),
        pytest.param(["--site", "test-main"], r"--site needs --policy", id="site-without-policy"),
        pytest.param(["--password-file", "{missing}"], r"--password-file: cannot read .*missing",
                     id="password-file-unreadable"),
        pytest.param(["--timeout", "0"], r"--timeout must be more than 0", id="zero-timeout"),
    ],
)
async def test_bad_input_exits_2_naming_the_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, small_policy_path: Path,
    argv: list[str], message: str,
) -> None:
    bad_policy = tmp_path / "bad.yaml"
    bad_policy.write_text("schema_version: 1\npolicy_id: Not A Slug\n")
    names = {"bad_policy": bad_policy, "policy": small_policy_path, "missing": tmp_path / "missing"}
    argv = [a.format(**names) for a in argv]
    got = await audit(capsys, "127.0.0.1:9", *argv)
    assert got.code == 2
    assert re.search(message.format(**names), got.err), got.err
    assert got.out == ""


@pytest.mark.parametrize("target", ["127.0.0.1:0", "127.0.0.1:http", "::1", ":80", "[::1"])
async def test_a_malformed_target_exits_2(capsys: pytest.CaptureFixture[str], target: str) -> None:
    got = await audit(capsys, target)
    assert (got.code, f"target {target!r}" in got.err) == (2, True), got.err


def test_info_findings_alone_are_compliant() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    info = make_finding("clock.no-ntp", "the camera does not use NTP", {"ntp": False})
    warning = make_finding("clock.drift", "the camera clock is 300 s ahead", {"offset_s": 300.0})

    def report(*findings: object) -> AuditReport:
        camera = CameraObservation(address="127.0.0.1:1", reachable=True, observed_at=now,
                                   findings=tuple(findings))  # type: ignore[arg-type]
        return AuditReport(audited_at=now, cameras=(camera,))

    codes = exit_code(report()), exit_code(report(info)), exit_code(report(info, warning))
    assert codes == (0, 0, 1)
