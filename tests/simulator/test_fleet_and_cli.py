"""The fleet file, build_cameras, and the ``camwarden sim`` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from schemas.errors import ConfigError
from schemas.policy_file import load_policy
from simulator.fleet import build_cameras, load_fleet

SMALL = Path(__file__).parent.parent / "fixtures" / "policy-small.yaml"
POLICY = load_policy(SMALL)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_compliant_fleet_matches_the_policy() -> None:
    cameras = {c.camera_id: c for c in build_cameras(POLICY)}
    assert sorted(cameras) == ["test-annex-cam1", "test-main-cam1", "test-main-cam2",
                               "test-main-cam3"]
    assert cameras["test-main-cam1"].serial == "TEST-0001"
    assert cameras["test-main-cam1"].ptz is None
    ptz = cameras["test-main-cam3"].ptz
    assert ptz is not None and (ptz.pan, ptz.tilt, ptz.zoom) == (0.25, -0.1, 0.0)
    assert {c.max_retention_s for c in cameras.values()} == {30 * 86400}
    assert all(c.recording_active and c.ntp and not c.anonymous for c in cameras.values())


def test_fleet_file_applies_absence_and_undeclared_devices(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
        schema_version: 1
        deviations:
          test-annex-cam1: {absent: true}
        undeclared:
          - {site: test-main, serial: ROGUE-1, manufacturer: Generic}
        """)
    cameras = build_cameras(POLICY, load_fleet(path, POLICY))
    labels = sorted(c.label for c in cameras)
    assert labels == ["ROGUE-1", "test-main-cam1", "test-main-cam2", "test-main-cam3"]
    rogue = next(c for c in cameras if c.camera_id is None)
    assert (rogue.site_id, rogue.manufacturer) == ("test-main", "Generic")


def test_sites_limit_the_fleet() -> None:
    cameras = build_cameras(POLICY, sites=["test-annex"])
    assert [c.camera_id for c in cameras] == ["test-annex-cam1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deviations:\n  test-main-cam9: {ntp: false}\n",
         ":2: deviations.test-main-cam9: camera id 'test-main-cam9' is not declared"),
        ("deviations:\n  test-main-cam1:\n    ntp: false\n    colour: red\n",
         ":4: deviations.test-main-cam1.colour: "),
        ("deviations:\n  test-main-cam1:\n    max_retention_days: -1\n",
         ":3: deviations.test-main-cam1.max_retention_days: Input should be greater than"),
        ("deviations:\n  test-main-cam1:\n    recording: paused\n",
         ":3: deviations.test-main-cam1.recording: Input should be 'active' or 'stopped'"),
        ("deviations:\n  test-main-cam1:\n    ptz_position: {pan: 0.5, tilt: 0}\n",
         ":3: deviations.test-main-cam1.ptz_position: camera test-main-cam1 has no PTZ node"),
        ("deviations:\n  test-main-cam1: {absent: true, ntp: false}\n",
         ":2: deviations.test-main-cam1: an absent camera is not served; drop ntp"),
        ("undeclared:\n  - {site: nowhere, serial: X-1}\n",
         ":2: undeclared.0.site: site 'nowhere' is not in policy test-office"),
        ("undeclared:\n  - {site: test-main, serial: TEST-0001}\n",
         ":2: undeclared.0.serial: serial 'TEST-0001' belongs to a declared camera"),
        ("deviations:\n  test-main-cam1: {ntp: false}\n  test-main-cam1: {ntp: true}\n",
         ":3: YAML: key 'test-main-cam1' appears twice"),
    ],
    ids=["unknown-camera", "unknown-key", "negative-retention", "bad-recording",
         "ptz-without-node", "absent-with-more", "unknown-site", "serial-clash", "duplicate-key"],
)
def test_fleet_file_mistakes_name_file_line_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_fleet(path, POLICY)
    assert f"{path}{expected}" in str(caught.value)


def test_build_cameras_rejects_a_fleet_that_does_not_fit_the_policy(tmp_path: Path) -> None:
    fleet = load_fleet(_write(tmp_path, "deviations:\n  other-cam: {ntp: false}\n"))
    with pytest.raises(ConfigError, match="'other-cam' is not declared"):
        build_cameras(POLICY, fleet)


def _sim(*extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "camwarden.cli", "sim", "--policy", str(SMALL), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_sim_command_prints_addresses_and_stops_cleanly_on_sigint() -> None:
    process = _sim("--json")
    try:
        assert process.stdout is not None
        lines = [json.loads(process.stdout.readline()) for _ in range(4)]
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 0
    assert sorted(line["camera_id"] for line in lines) == [
        "test-annex-cam1", "test-main-cam1", "test-main-cam2", "test-main-cam3"]
    assert all(line["address"].startswith("127.0.0.1:") for line in lines)
    assert {line["password"] for line in lines} == {"camwarden-sim"}
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)


def test_sim_command_serves_what_it_prints_then_stops_on_sigterm() -> None:
    import urllib.request

    process = _sim()
    try:
        assert process.stdout is not None
        site, camera_id, address, username, _password = process.stdout.readline().split()
        request = urllib.request.Request(
            f"http://{address}/onvif/device_service",
            data=b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
            b'<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/>'
            b"</s:Body></s:Envelope>",
            headers={"Content-Type": "application/soap+xml"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (site, camera_id, username) == ("test-main", "test-main-cam1", "admin")
    assert b"<tt:DateTimeType>NTP</tt:DateTimeType>" in body
    assert code == 0


def test_sim_command_bad_fleet_file_exits_2_with_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "deviations:\n  ghost: {ntp: false}\n")
    process = _sim("--fleet", str(path))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert f"{path}:2: deviations.ghost: camera id 'ghost' is not declared" in err
