# ruff: noqa: E501  (the stored part is generated: one bytes literal per line)
"""The lean path's request templates for the audit's own calls, stored.

Each is exactly what ``lean.build_template`` makes from zeep's serialiser
and the vendored WSDLs (tests/onvif/test_lean_requests.py rebuilds every
one and compares), kept here so that a process whose cameras answer as
expected never parses a WSDL. A call whose template is not here (other
parameters, a new operation) still gets one built from zeep on first use.

Regenerate after changing a WSDL, zeep or ``AUDIT_CALLS``::

    .venv/bin/python -m agent.onvif.lean_requests
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.onvif.lean import Template

AUDIT_CALLS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    # (service key, operation, parameters as collect passes them; strings are placeholders)
    ("device", "GetSystemDateAndTime", {}),
    ("device", "GetDeviceInformation", {}),
    ("device", "GetServices", {"IncludeCapability": False}),
    ("device", "GetNetworkInterfaces", {}),
    ("device", "GetEndpointReference", {}),
    ("device", "GetNTP", {}),
    ("media", "GetProfiles", {}),
    ("media", "GetAudioSources", {}),
    ("ptz", "GetNodes", {}),
    ("ptz", "GetStatus", {"ProfileToken": ""}),
    ("ptz", "GetPresets", {"ProfileToken": ""}),
    ("recording", "GetRecordings", {}),
    ("recording", "GetRecordingJobs", {}),
    ("recording", "GetRecordingJobState", {"JobToken": ""}),
    ("search", "GetRecordingSummary", {}),
    ("search", "GetRecordingInformation", {"RecordingToken": ""}),
)
"""Every call ``collect`` makes through the lean path."""


def built_by_zeep() -> dict[tuple[Any, ...], Template]:
    """``AUDIT_CALLS``' templates as zeep makes them now (parses the WSDLs)."""
    from zeep.client import Client

    from agent.onvif import lean, wsdl_cache

    services = {service.key: service for service in wsdl_cache.SERVICES}
    built = {}
    for key, operation, params in AUDIT_CALLS:
        service = services[key]
        client = Client(wsdl_cache.document(service),  # type: ignore[no-untyped-call]
                        settings=wsdl_cache.zeep_settings())
        binding = client.wsdl.bindings[service.binding_qname]
        built[lean.template_key(key, operation, params)] = lean.build_template(
            client, binding, operation, params)
    return built


def _template(heads: tuple[bytes, bytes, bytes], body: tuple[bytes, ...],
              names: tuple[str, ...], action: str) -> Template:
    """A template from its envelope start (signed, header close, unsigned),
    its body pieces, its parameter names and its SOAP action, with the HTTP
    headers zeep sends for a SOAP 1.2 call."""
    signed_head, header_close, unsigned_head = heads
    return Template(signed_head=signed_head, header_close=header_close,
                    unsigned_head=unsigned_head, body=body, names=names,
                    headers={"SOAPAction": f'"{action}"',
                             "Content-Type": "application/soap+xml; charset=utf-8; "
                                             f'action="{action}"'})


def _write() -> None:
    """Rewrite this file's stored part from zeep (see the module docstring)."""
    built = built_by_zeep()
    heads = {(t.signed_head, t.header_close, t.unsigned_head) for t in built.values()}
    if len(heads) != 1:
        raise SystemExit("templates no longer share one envelope start; store them whole")
    (head,) = heads
    lines = [f"_HEADS = {head!r}", "", "STORED: dict[tuple[Any, ...], Template] = {"]
    for key, template in built.items():
        action = template.headers["SOAPAction"].strip('"')
        if _template(head, template.body, template.names, action) != template:
            raise SystemExit(f"{key}: zeep's HTTP headers are not the stored form")
        lines += [f"    {key!r}: _template(_HEADS,", f"        {template.body!r},",
                  f"        {template.names!r},", f"        {action!r}),"]
    lines.append("}")
    path = Path(__file__)
    text = path.read_text()
    start, end = text.index(_BEGIN), text.index(_END)
    path.write_text(text[:start] + _BEGIN + "\n" + "\n".join(lines) + "\n" + text[end:])


_BEGIN = "# --- stored (generated" + ") ---"
_END = "# --- end of stored" + " ---"
# --- stored (generated) ---
_HEADS = (b'<?xml version=\'1.0\' encoding=\'utf-8\'?>\n<soap-env:Envelope xmlns:soap-env="http://www.w3.org/2003/05/soap-envelope"><soap-env:Header>', b'</soap-env:Header>', b'<?xml version=\'1.0\' encoding=\'utf-8\'?>\n<soap-env:Envelope xmlns:soap-env="http://www.w3.org/2003/05/soap-envelope">')

STORED: dict[tuple[Any, ...], Template] = {
    ('device', 'GetSystemDateAndTime', ()): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetSystemDateAndTime xmlns:ns0="http://www.onvif.org/ver10/device/wsdl"/></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver10/device/wsdl/GetSystemDateAndTime'),
    ('device', 'GetDeviceInformation', ()): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetDeviceInformation xmlns:ns0="http://www.onvif.org/ver10/device/wsdl"/></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation'),
    ('device', 'GetServices', (('IncludeCapability', 'False'),)): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetServices xmlns:ns0="http://www.onvif.org/ver10/device/wsdl"><ns0:IncludeCapability>false</ns0:IncludeCapability></ns0:GetServices></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver10/device/wsdl/GetServices'),
    ('device', 'GetNetworkInterfaces', ()): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetNetworkInterfaces xmlns:ns0="http://www.onvif.org/ver10/device/wsdl"/></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver10/device/wsdl/GetNetworkInterfaces'),
    ('device', 'GetEndpointReference', ()): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetEndpointReference xmlns:ns0="http://www.onvif.org/ver10/device/wsdl"/></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver10/device/wsdl/GetEndpointReference'),
    ('device', 'GetNTP', ()): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetNTP xmlns:ns0="http://www.onvif.org/ver10/device/wsdl"/></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver10/device/wsdl/GetNTP'),
    ('media', 'GetProfiles', ()): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetProfiles xmlns:ns0="http://www.onvif.org/ver10/media/wsdl"/></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver10/media/wsdl/GetProfiles'),
    ('media', 'GetAudioSources', ()): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetAudioSources xmlns:ns0="http://www.onvif.org/ver10/media/wsdl"/></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver10/media/wsdl/GetAudioSources'),
    ('ptz', 'GetNodes', ()): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetNodes xmlns:ns0="http://www.onvif.org/ver20/ptz/wsdl"/></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver20/ptz/wsdl/GetNodes'),
    ('ptz', 'GetStatus', (('ProfileToken', None),)): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetStatus xmlns:ns0="http://www.onvif.org/ver20/ptz/wsdl"><ns0:ProfileToken>', b'</ns0:ProfileToken></ns0:GetStatus></soap-env:Body></soap-env:Envelope>'),
        ('ProfileToken',),
        'http://www.onvif.org/ver20/ptz/wsdl/GetStatus'),
    ('ptz', 'GetPresets', (('ProfileToken', None),)): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetPresets xmlns:ns0="http://www.onvif.org/ver20/ptz/wsdl"><ns0:ProfileToken>', b'</ns0:ProfileToken></ns0:GetPresets></soap-env:Body></soap-env:Envelope>'),
        ('ProfileToken',),
        'http://www.onvif.org/ver20/ptz/wsdl/GetPresets'),
    ('recording', 'GetRecordings', ()): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetRecordings xmlns:ns0="http://www.onvif.org/ver10/recording/wsdl"/></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver10/recording/wsdl/GetRecordings'),
    ('recording', 'GetRecordingJobs', ()): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetRecordingJobs xmlns:ns0="http://www.onvif.org/ver10/recording/wsdl"/></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver10/recording/wsdl/GetRecordingJobs'),
    ('recording', 'GetRecordingJobState', (('JobToken', None),)): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetRecordingJobState xmlns:ns0="http://www.onvif.org/ver10/recording/wsdl"><ns0:JobToken>', b'</ns0:JobToken></ns0:GetRecordingJobState></soap-env:Body></soap-env:Envelope>'),
        ('JobToken',),
        'http://www.onvif.org/ver10/recording/wsdl/GetRecordingJobState'),
    ('search', 'GetRecordingSummary', ()): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetRecordingSummary xmlns:ns0="http://www.onvif.org/ver10/search/wsdl"/></soap-env:Body></soap-env:Envelope>',),
        (),
        'http://www.onvif.org/ver10/search/wsdl/GetRecordingSummary'),
    ('search', 'GetRecordingInformation', (('RecordingToken', None),)): _template(_HEADS,
        (b'<soap-env:Body><ns0:GetRecordingInformation xmlns:ns0="http://www.onvif.org/ver10/search/wsdl"><ns0:RecordingToken>', b'</ns0:RecordingToken></ns0:GetRecordingInformation></soap-env:Body></soap-env:Envelope>'),
        ('RecordingToken',),
        'http://www.onvif.org/ver10/search/wsdl/GetRecordingInformation'),
}
# --- end of stored ---


if __name__ == "__main__":
    _write()
