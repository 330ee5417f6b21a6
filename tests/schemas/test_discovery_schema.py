"""schemas.discovery: the shape ``camwarden discover --json`` prints."""

from __future__ import annotations

import pydantic
import pytest

from schemas.discovery import DiscoveredDevice

DEVICE = DiscoveredDevice(endpoint_reference="urn:uuid:1", xaddrs=("http://10.0.0.5/x",),
                          scopes=("onvif://www.onvif.org/name/cam",), types=("tds:Device",),
                          metadata_version=3, answered_from=("10.0.0.5",), target="10.0.0.5:80")


def test_json_round_trip() -> None:
    assert DiscoveredDevice.model_validate_json(DEVICE.model_dump_json()) == DEVICE


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="extra"):
        DiscoveredDevice.model_validate({"endpoint_reference": "urn:uuid:1", "xaddrs": [],
                                         "vendor": "x"})


def test_frozen() -> None:
    with pytest.raises(pydantic.ValidationError):
        DEVICE.target = None  # type: ignore[misc]
