"""Plain ``Collected`` values, for tests of the loop without ONVIF."""

from __future__ import annotations

from collections.abc import Mapping

from agent.audit import Collect
from agent.onvif import Collected, Credentials
from schemas.facts import CameraFacts, DeviceInfo, ObservedIdentity
from schemas.messages import CameraErrorInfo


def answered(address: str, serial: str) -> Collected:
    facts = CameraFacts(
        identity=ObservedIdentity(address=address, serial=serial),
        device=DeviceInfo(
            manufacturer="SimVision", model="SV-2000", firmware="1.0.0", serial=serial
        ),
    )
    return Collected(address=address, reachable=True, facts=facts, errors=())


def silent(address: str) -> Collected:
    error = CameraErrorInfo(kind="unreachable", operation="GetSystemDateAndTime", message="refused")
    return Collected(address=address, reachable=False, facts=None, errors=(error,))


def fake_collect(serials: Mapping[str, str]) -> Collect:
    """Addresses in ``serials`` answer with that serial; any other is silent."""

    async def collect(address: str, credentials: Credentials | None) -> Collected:
        return answered(address, serials[address]) if address in serials else silent(address)

    return collect
