"""The ONVIF services a simulated camera offers, as plain functions.

Each operation is ``handler(ctx, body) -> str``: it reads the camera's
current state from ``ctx`` and the request element ``body``, and returns
the serialised response element (the envelope is added by the server). An
operation raises ``soap.SoapFault`` for a bad argument. ``operations()``
gives the dispatch table keyed by (namespace, operation name), which the
server consults per request; which services a camera offers (PTZ, Profile G)
is decided per request from its state, so a test can switch them at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from simulator.camera import SimCamera

SERVICE_PATHS = {
    "device": "/onvif/device_service",
    "media": "/onvif/media_service",
    "ptz": "/onvif/ptz_service",
    "recording": "/onvif/recording_service",
    "search": "/onvif/search_service",
}
"""One XAddr path per service, on the camera's own host:port."""


@dataclass(frozen=True, slots=True)
class Context:
    """What an operation needs: the camera, the host:port it was reached
    at (for XAddrs and stream URIs) and the camera's clock at the request."""

    camera: SimCamera
    address: str
    now: datetime

    def xaddr(self, service: str) -> str:
        return f"http://{self.address}{SERVICE_PATHS[service]}"


Handler = Callable[[Context, etree._Element], str]


def offers(camera: SimCamera, service: str) -> bool:
    """Whether the camera currently offers this service."""
    if service == "ptz":
        return camera.ptz is not None
    if service in ("recording", "search"):
        return camera.recording_service
    return True


def operations() -> dict[tuple[str, str], tuple[str, Handler]]:
    """(namespace, operation) -> (service name, handler), for every service."""
    from simulator.services import device, media, profile_g, ptz

    table: dict[tuple[str, str], tuple[str, Handler]] = {}
    for service, namespace, handlers in (
        ("device", device.NAMESPACE, device.OPERATIONS),
        ("media", media.NAMESPACE, media.OPERATIONS),
        ("ptz", ptz.NAMESPACE, ptz.OPERATIONS),
        ("recording", profile_g.RECORDING_NAMESPACE, profile_g.RECORDING_OPERATIONS),
        ("search", profile_g.SEARCH_NAMESPACE, profile_g.SEARCH_OPERATIONS),
    ):
        for name, handler in handlers.items():
            table[(namespace, name)] = (service, handler)
    return table
