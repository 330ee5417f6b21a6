"""Device service and authentication, judged by a standard zeep client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sim_zeep import make_camera, zeep_service
from zeep.exceptions import Fault

from simulator.camera import SimPtz
from simulator.server import SimulatedFleet

TDS = "http://www.onvif.org/ver10/device/wsdl"


async def test_device_information_with_password_digest(call) -> None:
    async with SimulatedFleet([make_camera()]) as fleet:
        device = zeep_service("device", fleet.endpoints[0].address, "admin", "s3cret")
        info = await call(device.GetDeviceInformation)
    assert (info.Manufacturer, info.Model, info.FirmwareVersion, info.SerialNumber) == (
        "Acme", "X1", "1.0.0", "SER-1"
    )


async def test_system_date_and_time_reports_the_camera_clock_without_credentials(call) -> None:
    camera = make_camera(clock_offset_s=3600.0, ntp=False)
    async with SimulatedFleet([camera]) as fleet:
        device = zeep_service("device", fleet.endpoints[0].address, None, None)
        answer = await call(device.GetSystemDateAndTime)
    utc = answer.UTCDateTime
    reported = datetime(
        utc.Date.Year, utc.Date.Month, utc.Date.Day, utc.Time.Hour, utc.Time.Minute,
        utc.Time.Second, tzinfo=UTC,
    )
    offset = (reported - datetime.now(UTC)).total_seconds()
    assert answer.DateTimeType == "Manual"
    assert 3590 <= offset <= 3601


async def test_network_ntp_hostname_and_endpoint_reference(call) -> None:
    camera = make_camera()
    async with SimulatedFleet([camera]) as fleet:
        device = zeep_service("device", fleet.endpoints[0].address, "admin", "s3cret")
        interfaces = await call(device.GetNetworkInterfaces)
        ntp = await call(device.GetNTP)
        hostname = await call(device.GetHostname)
        reference = await call(device.GetEndpointReference)
        scopes = await call(device.GetScopes)
    assert interfaces[0].Info.HwAddress == camera.mac
    assert [server.IPv4Address for server in ntp.NTPManual] == ["127.0.0.1"]
    assert hostname.Name == "camera"
    assert reference.GUID == camera.endpoint_reference
    assert "onvif://www.onvif.org/Profile/G" in [s.ScopeItem for s in scopes]


async def test_services_point_at_the_cameras_own_port_and_omit_absent_ptz(call) -> None:
    plain, ptz = make_camera("SER-1"), make_camera("SER-2", ptz=SimPtz())
    async with SimulatedFleet([plain, ptz]) as fleet:
        answers = []
        for endpoint in fleet.endpoints:
            device = zeep_service("device", endpoint.address, "admin", "s3cret")
            answers.append((endpoint.address, await call(device.GetServices, False)))
    (plain_address, plain_services), (ptz_address, ptz_services) = answers
    assert {s.XAddr.split("/")[2] for s in plain_services} == {plain_address}
    assert "http://www.onvif.org/ver20/ptz/wsdl" not in {s.Namespace for s in plain_services}
    assert f"http://{ptz_address}/onvif/ptz_service" in {s.XAddr for s in ptz_services}


async def test_capabilities_list_ptz_only_for_a_ptz_camera(call) -> None:
    async with SimulatedFleet([make_camera(), make_camera("SER-2", ptz=SimPtz())]) as fleet:
        found = []
        for endpoint in fleet.endpoints:
            device = zeep_service("device", endpoint.address, "admin", "s3cret")
            found.append((await call(device.GetCapabilities, "All")).PTZ)
    assert found[0] is None
    assert found[1].XAddr.endswith("/onvif/ptz_service")


@pytest.mark.parametrize(
    ("username", "password", "created_shift_s", "why"),
    [
        ("admin", "wrong", 0, "wrong password"),
        ("viewer", "s3cret", 0, "wrong username"),
        (None, None, 0, "no token"),
        ("admin", "s3cret", 900, "Created 15 min ahead of the camera"),
        ("admin", "s3cret", -900, "Created 15 min behind the camera"),
    ],
    ids=["wrong-password", "wrong-user", "no-token", "created-ahead", "created-behind"],
)
async def test_bad_credentials_are_not_authorized(
    call, username, password, created_shift_s, why
) -> None:
    created = datetime.now(UTC) + timedelta(seconds=created_shift_s)
    async with SimulatedFleet([make_camera()]) as fleet:
        device = zeep_service(
            "device", fleet.endpoints[0].address, username, password,
            created=created.replace(tzinfo=None),
        )
        with pytest.raises(Fault) as caught:
            await call(device.GetDeviceInformation)
    assert [code.localname for code in caught.value.subcodes] == ["NotAuthorized"], why


async def test_created_is_checked_against_the_cameras_clock_not_the_true_clock(call) -> None:
    camera = make_camera(clock_offset_s=600.0)
    camera_time = (datetime.now(UTC) + timedelta(seconds=600)).replace(tzinfo=None)
    async with SimulatedFleet([camera]) as fleet:
        address = fleet.endpoints[0].address
        naive = zeep_service("device", address, "admin", "s3cret")
        with pytest.raises(Fault) as caught:
            await call(naive.GetDeviceInformation)
        adjusted = zeep_service("device", address, "admin", "s3cret", created=camera_time)
        info = await call(adjusted.GetDeviceInformation)
    assert caught.value.subcodes[0].localname == "NotAuthorized"
    assert info.SerialNumber == "SER-1"


async def test_anonymous_camera_answers_without_a_token(call) -> None:
    async with SimulatedFleet([make_camera(anonymous=True)]) as fleet:
        device = zeep_service("device", fleet.endpoints[0].address, None, None)
        info = await call(device.GetDeviceInformation)
    assert info.SerialNumber == "SER-1"


async def test_unknown_operation_is_action_not_supported(call) -> None:
    async with SimulatedFleet([make_camera()]) as fleet:
        device = zeep_service("device", fleet.endpoints[0].address, "admin", "s3cret")
        with pytest.raises(Fault) as caught:
            await call(device.GetUsers)
    assert caught.value.subcodes[0].localname == "ActionNotSupported"


ENVELOPE = (
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
    f'<s:Body><GetDeviceInformation xmlns="{TDS}"/></s:Body></s:Envelope>'
)
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">]>'
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
    f'<s:Body><GetDeviceInformation xmlns="{TDS}">&a;</GetDeviceInformation></s:Body></s:Envelope>'
)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "needle"),
    [
        ("POST", "/onvif/device_service", "<not xml", 400, "ter:WellFormed"),
        ("POST", "/onvif/device_service", BOMB, 400, "DOCTYPE"),
        ("POST", "/onvif/device_service", "<a/>", 400, "not a SOAP Envelope"),
        ("POST", "/elsewhere", ENVELOPE, 404, "no ONVIF service"),
        ("GET", "/onvif/device_service", "", 405, ""),
        ("POST", "/onvif/device_service", ENVELOPE, 400, "ter:NotAuthorized"),
    ],
    ids=["malformed", "doctype", "not-envelope", "unknown-path", "get", "no-token-raw"],
)
async def test_raw_http_mistakes_get_clear_answers(method, path, body, status, needle) -> None:
    async with SimulatedFleet([make_camera()]) as fleet, aiohttp.ClientSession() as session:
        url = f"http://{fleet.endpoints[0].address}{path}"
        async with session.request(method, url, data=body.encode()) as response:
            text = await response.text()
    assert response.status == status
    assert needle in text


def test_a_non_loopback_host_is_refused() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SimulatedFleet([make_camera()], host="0.0.0.0")


async def test_endpoint_lookup_by_id_or_serial_and_unknown_names_it() -> None:
    async with SimulatedFleet([make_camera()]) as fleet:
        assert fleet.endpoint("cam-1") is fleet.endpoint("SER-1")
        with pytest.raises(KeyError, match="nope"):
            fleet.endpoint("nope")
