"""Device service answers a standard zeep client, with WS-Security."""

from __future__ import annotations

import pytest
from sim_zeep import make_camera, zeep_service
from zeep.exceptions import Fault

from simulator.server import SimulatedFleet


async def test_device_information_with_password_digest(call) -> None:
    camera = make_camera()
    async with SimulatedFleet([camera]) as fleet:
        device = zeep_service("device", fleet.endpoints[0].address, "admin", "s3cret")
        info = await call(device.GetDeviceInformation)
    assert (info.Manufacturer, info.Model, info.FirmwareVersion, info.SerialNumber) == (
        "Acme", "X1", "1.0.0", "SER-1"
    )


async def test_system_date_and_time_needs_no_credentials(call) -> None:
    async with SimulatedFleet([make_camera(ntp=False)]) as fleet:
        device = zeep_service("device", fleet.endpoints[0].address, None, None)
        answer = await call(device.GetSystemDateAndTime)
    assert answer.DateTimeType == "Manual"
    assert answer.UTCDateTime.Date.Year >= 2024


async def test_wrong_password_is_not_authorized(call) -> None:
    async with SimulatedFleet([make_camera()]) as fleet:
        device = zeep_service("device", fleet.endpoints[0].address, "admin", "wrong")
        with pytest.raises(Fault) as caught:
            await call(device.GetDeviceInformation)
    assert caught.value.subcodes[0].localname == "NotAuthorized"
