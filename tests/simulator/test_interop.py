"""Interop with the ecosystem's client, onvif-zeep-async (``ONVIFCamera``):
it discovers the XAddrs with GetServices, adjusts for the camera clock and
reads device information, profiles, PTZ status and the recording summary."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from onvif import ONVIFCamera
from sim_zeep import WSDL_DIR

from schemas.policy_file import load_policy
from simulator.fleet import DEFAULT_PASSWORD, FleetFile, build_cameras
from simulator.server import SimulatedFleet

POLICY = load_policy(Path(__file__).parent.parent / "fixtures" / "policy-small.yaml")


async def test_onvif_zeep_async_reads_a_simulated_ptz_camera_with_a_skewed_clock() -> None:
    fleet_file = FleetFile.model_validate_json(
        '{"deviations": {"test-main-cam3": {"clock_offset_s": 900, "audio_encoder": true}}}'
    )
    cameras = [c for c in build_cameras(POLICY, fleet_file) if c.camera_id == "test-main-cam3"]
    async with SimulatedFleet(cameras) as fleet:
        endpoint = fleet.endpoints[0]
        camera = ONVIFCamera(
            endpoint.host, endpoint.port, "admin", DEFAULT_PASSWORD, str(WSDL_DIR),
            adjust_time=True,
        )
        try:
            await camera.update_xaddrs()
            device = await camera.create_devicemgmt_service()
            info = await device.GetDeviceInformation()
            media = await camera.create_media_service()
            profiles = await media.GetProfiles()
            ptz = await camera.create_ptz_service()
            status = await ptz.GetStatus({"ProfileToken": profiles[0].token})
            search = await camera.create_search_service()
            summary = await search.GetRecordingSummary()
        finally:
            await camera.close()
    assert info.SerialNumber == "TEST-0003"
    assert profiles[0].AudioEncoderConfiguration is not None
    assert (status.Position.PanTilt.x, status.Position.PanTilt.y) == (0.25, -0.1)
    camera_lead = (summary.DataUntil - datetime.now(UTC)).total_seconds()
    assert 890 <= camera_lead <= 901
