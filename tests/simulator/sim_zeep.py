"""Helpers for the simulator tests (imported as ``sim_zeep``; the name is
unique so it cannot shadow another test folder's helpers): plain zeep clients built from the ONVIF
WSDLs that onvif-zeep-async ships (parsed once per session), so that the
simulator is judged by a standard client, not by our own agent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import onvif
from zeep import Client
from zeep.transports import Transport
from zeep.wsdl import Document
from zeep.wsse.username import UsernameToken

from simulator.camera import SimCamera, derived_endpoint_reference, derived_mac

WSDL_DIR = Path(onvif.__file__).parent / "wsdl"

BINDINGS = {
    "device": ("devicemgmt.wsdl", "{http://www.onvif.org/ver10/device/wsdl}DeviceBinding"),
    "media": ("media.wsdl", "{http://www.onvif.org/ver10/media/wsdl}MediaBinding"),
    "ptz": ("ptz.wsdl", "{http://www.onvif.org/ver20/ptz/wsdl}PTZBinding"),
    "recording": ("recording.wsdl", "{http://www.onvif.org/ver10/recording/wsdl}RecordingBinding"),
    "search": ("search.wsdl", "{http://www.onvif.org/ver10/search/wsdl}SearchBinding"),
}
PATHS = {
    "device": "/onvif/device_service",
    "media": "/onvif/media_service",
    "ptz": "/onvif/ptz_service",
    "recording": "/onvif/recording_service",
    "search": "/onvif/search_service",
}

_DOCUMENTS: dict[str, Document] = {}


def _document(service: str) -> Document:
    if service not in _DOCUMENTS:
        transport = Transport(operation_timeout=10, timeout=10)
        _DOCUMENTS[service] = Document(str(WSDL_DIR / BINDINGS[service][0]), transport)
    return _DOCUMENTS[service]


def zeep_service(
    service: str,
    address: str,
    username: str | None = "admin",
    password: str | None = None,
    *,
    created: datetime | None = None,
) -> Any:
    """A zeep proxy of ``service`` at ``http://address/...``; with
    credentials it signs each call with a PasswordDigest UsernameToken
    (``created`` fixes the Created time, to test clock checks)."""
    wsse = None
    if username is not None and password is not None:
        wsse = UsernameToken(username, password, use_digest=True, created=created)
    client = Client(_document(service), wsse=wsse, transport=Transport(operation_timeout=10))
    return client.create_service(BINDINGS[service][1], f"http://{address}{PATHS[service]}")




def make_camera(serial: str = "SER-1", **changes: object) -> SimCamera:
    """A compliant camera with fixed credentials admin / s3cret."""
    camera = SimCamera(
        site_id="site-a",
        camera_id="cam-1",
        serial=serial,
        manufacturer="Acme",
        model="X1",
        firmware="1.0.0",
        mac=derived_mac(serial),
        endpoint_reference=derived_endpoint_reference(serial),
        username="admin",
        password="s3cret",
    )
    for key, value in changes.items():
        if not hasattr(camera, key):
            raise AttributeError(f"SimCamera has no field {key!r}")
        setattr(camera, key, value)
    return camera
