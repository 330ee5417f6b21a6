"""The ONVIF WSDLs, parsed once per process.

Parsing a WSDL with zeep costs tens of milliseconds of CPU and megabytes of
memory; onvif-zeep re-parses every WSDL for every camera. Here each service
WSDL becomes one zeep ``Document`` the first time any client needs it, and
every camera shares it: a per-camera service proxy is only
``client.create_service(binding, xaddr)``.

Loading never touches the network: the vendored WSDLs import each other by
relative path, and the loading transport refuses any http(s) URL.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from zeep.settings import Settings
from zeep.transports import Transport
from zeep.wsdl import Document

WSDL_DIR = Path(str(resources.files("agent.onvif") / "wsdl"))
"""Where the vendored WSDLs are, installed or in a checkout."""


@dataclass(frozen=True, slots=True)
class ServiceDef:
    """One ONVIF service we speak: its WSDL file, namespace and SOAP binding."""

    key: str
    wsdl: str
    namespace: str
    binding: str

    @property
    def binding_qname(self) -> str:
        return f"{{{self.namespace}}}{self.binding}"


DEVICE = ServiceDef("device", "devicemgmt.wsdl", "http://www.onvif.org/ver10/device/wsdl",
                    "DeviceBinding")
MEDIA = ServiceDef("media", "media.wsdl", "http://www.onvif.org/ver10/media/wsdl",
                   "MediaBinding")
PTZ = ServiceDef("ptz", "ptz.wsdl", "http://www.onvif.org/ver20/ptz/wsdl", "PTZBinding")
RECORDING = ServiceDef("recording", "recording.wsdl",
                       "http://www.onvif.org/ver10/recording/wsdl", "RecordingBinding")
SEARCH = ServiceDef("search", "search.wsdl", "http://www.onvif.org/ver10/search/wsdl",
                    "SearchBinding")

SERVICES: tuple[ServiceDef, ...] = (DEVICE, MEDIA, PTZ, RECORDING, SEARCH)


def zeep_settings() -> Settings:
    """Lenient parsing: real cameras omit required elements and add unknown
    ones; a missing element must become "unknown", not a crash."""
    return Settings(strict=False, xml_huge_tree=True)


class _LocalOnlyTransport(Transport):
    """Loads WSDL/XSD from disk only; a remote import would be a bug."""

    def _load_remote_data(self, url: str) -> bytes:
        raise RuntimeError(f"refusing to fetch {url}: ONVIF WSDLs are loaded from {WSDL_DIR}")


_lock = threading.Lock()
_documents: dict[str, Any] = {}


def document(service: ServiceDef) -> Any:
    """The parsed zeep ``Document`` of ``service``'s WSDL, built on first use.

    Thread-safe; blocking (call it off the event loop the first time, see
    ``load_all``).
    """
    with _lock:
        doc = _documents.get(service.wsdl)
        if doc is None:
            path = WSDL_DIR / service.wsdl
            if not path.is_file():
                raise FileNotFoundError(f"vendored ONVIF WSDL missing: {path}")
            transport = _LocalOnlyTransport()  # type: ignore[no-untyped-call]
            # zeep annotates ``transport`` as a class; it takes an instance.
            doc = Document(str(path), transport, settings=zeep_settings())  # type: ignore[arg-type]
            _documents[service.wsdl] = doc
        return doc


def load_all() -> dict[str, Any]:
    """Every service's Document, keyed by ``ServiceDef.key``."""
    return {service.key: document(service) for service in SERVICES}
