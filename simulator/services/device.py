"""Device management service (tds): identity, clock, network, capabilities.

``PRE_AUTH`` lists the operations ONVIF's core specification puts in the
PRE_AUTH access class: a device answers them without credentials, which is
how a client learns the device clock before it signs anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lxml import etree

from simulator.services import SERVICE_PATHS, Context, Handler, offers
from simulator.soap import TDS, TPTZ, TRC, TRT, TSE, text

NAMESPACE = TDS
LOCAL_TZ = "KST-9"
"""POSIX TZ the simulated cameras are set to (Korea); UTCDateTime stays UTC."""
LOCAL_OFFSET = timedelta(hours=9)

PRE_AUTH = frozenset(
    {
        "GetSystemDateAndTime",
        "GetCapabilities",
        "GetServices",
        "GetServiceCapabilities",
        "GetHostname",
        "GetEndpointReference",
        "GetWsdlUrl",
    }
)

_NAMESPACES = {
    "device": TDS,
    "media": TRT,
    "ptz": TPTZ,
    "recording": TRC,
    "search": TSE,
}


def _date_time(tag: str, t: datetime) -> str:
    return (
        f"<tt:{tag}><tt:Time><tt:Hour>{t.hour}</tt:Hour><tt:Minute>{t.minute}</tt:Minute>"
        f"<tt:Second>{t.second}</tt:Second></tt:Time><tt:Date><tt:Year>{t.year}</tt:Year>"
        f"<tt:Month>{t.month}</tt:Month><tt:Day>{t.day}</tt:Day></tt:Date></tt:{tag}>"
    )


def get_system_date_and_time(ctx: Context, body: etree._Element) -> str:
    utc = ctx.now
    local = utc + LOCAL_OFFSET
    kind = "NTP" if ctx.camera.ntp else "Manual"
    return (
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
        f"<tt:DateTimeType>{kind}</tt:DateTimeType>"
        "<tt:DaylightSavings>false</tt:DaylightSavings>"
        f"<tt:TimeZone><tt:TZ>{LOCAL_TZ}</tt:TZ></tt:TimeZone>"
        + _date_time("UTCDateTime", utc)
        + _date_time("LocalDateTime", local)
        + "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
    )


def get_device_information(ctx: Context, body: etree._Element) -> str:
    cam = ctx.camera
    return (
        "<tds:GetDeviceInformationResponse>"
        f"<tds:Manufacturer>{text(cam.manufacturer)}</tds:Manufacturer>"
        f"<tds:Model>{text(cam.model)}</tds:Model>"
        f"<tds:FirmwareVersion>{text(cam.firmware)}</tds:FirmwareVersion>"
        f"<tds:SerialNumber>{text(cam.serial)}</tds:SerialNumber>"
        f"<tds:HardwareId>{text(cam.hardware_id)}</tds:HardwareId>"
        "</tds:GetDeviceInformationResponse>"
    )


def get_capabilities(ctx: Context, body: etree._Element) -> str:
    """Capabilities of every category (the Category argument is not
    filtered: clients ask for All in practice)."""
    cam = ctx.camera
    parts = [
        "<tds:GetCapabilitiesResponse><tds:Capabilities>",
        f"<tt:Device><tt:XAddr>{ctx.xaddr('device')}</tt:XAddr>",
        "<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false"
        "</tt:ZeroConfiguration><tt:IPVersion6>false</tt:IPVersion6>"
        "<tt:DynDNS>false</tt:DynDNS></tt:Network>",
        "<tt:System><tt:DiscoveryResolve>true</tt:DiscoveryResolve>"
        "<tt:DiscoveryBye>true</tt:DiscoveryBye><tt:RemoteDiscovery>false</tt:RemoteDiscovery>"
        "<tt:SystemBackup>false</tt:SystemBackup><tt:SystemLogging>false</tt:SystemLogging>"
        "<tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>"
        "<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor>"
        "</tt:SupportedVersions></tt:System>",
        "</tt:Device>",
        f"<tt:Media><tt:XAddr>{ctx.xaddr('media')}</tt:XAddr>"
        "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>"
        "<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>"
        "</tt:StreamingCapabilities></tt:Media>",
    ]
    if offers(cam, "ptz"):
        parts.append(f"<tt:PTZ><tt:XAddr>{ctx.xaddr('ptz')}</tt:XAddr></tt:PTZ>")
    if offers(cam, "recording"):
        parts.append(
            "<tt:Extension>"
            f"<tt:Recording><tt:XAddr>{ctx.xaddr('recording')}</tt:XAddr>"
            "<tt:ReceiverSource>false</tt:ReceiverSource>"
            "<tt:MediaProfileSource>true</tt:MediaProfileSource>"
            "<tt:DynamicRecordings>false</tt:DynamicRecordings>"
            "<tt:DynamicTracks>false</tt:DynamicTracks>"
            "<tt:MaxStringLength>64</tt:MaxStringLength></tt:Recording>"
            f"<tt:Search><tt:XAddr>{ctx.xaddr('search')}</tt:XAddr>"
            "<tt:MetadataSearch>false</tt:MetadataSearch></tt:Search>"
            "</tt:Extension>"
        )
    parts.append("</tds:Capabilities></tds:GetCapabilitiesResponse>")
    return "".join(parts)


def get_services(ctx: Context, body: etree._Element) -> str:
    parts = ["<tds:GetServicesResponse>"]
    for service in SERVICE_PATHS:
        if not offers(ctx.camera, service):
            continue
        parts.append(
            f"<tds:Service><tds:Namespace>{_NAMESPACES[service]}</tds:Namespace>"
            f"<tds:XAddr>{ctx.xaddr(service)}</tds:XAddr>"
            "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version>"
            "</tds:Service>"
        )
    parts.append("</tds:GetServicesResponse>")
    return "".join(parts)


def get_scopes(ctx: Context, body: etree._Element) -> str:
    cam = ctx.camera
    items = [
        ("Fixed", "onvif://www.onvif.org/type/video_encoder"),
        ("Fixed", "onvif://www.onvif.org/Profile/Streaming"),
        ("Fixed", f"onvif://www.onvif.org/hardware/{cam.model}"),
        ("Configurable", f"onvif://www.onvif.org/name/{cam.manufacturer}"),
        ("Configurable", f"onvif://www.onvif.org/location/{cam.site_id}"),
    ]
    if cam.recording_service:
        items.insert(2, ("Fixed", "onvif://www.onvif.org/Profile/G"))
    scopes = "".join(
        f"<tds:Scopes><tt:ScopeDef>{kind}</tt:ScopeDef>"
        f"<tt:ScopeItem>{text(item.replace(' ', '%20'))}</tt:ScopeItem></tds:Scopes>"
        for kind, item in items
    )
    return f"<tds:GetScopesResponse>{scopes}</tds:GetScopesResponse>"


def get_network_interfaces(ctx: Context, body: etree._Element) -> str:
    host = ctx.address.rsplit(":", 1)[0]
    return (
        "<tds:GetNetworkInterfacesResponse>"
        '<tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled>'
        f"<tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>{text(ctx.camera.mac)}</tt:HwAddress>"
        "<tt:MTU>1500</tt:MTU></tt:Info>"
        "<tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Config>"
        f"<tt:Manual><tt:Address>{text(host)}</tt:Address><tt:PrefixLength>8</tt:PrefixLength>"
        "</tt:Manual><tt:DHCP>false</tt:DHCP></tt:Config></tt:IPv4>"
        "</tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>"
    )


def get_ntp(ctx: Context, body: etree._Element) -> str:
    servers = ""
    if ctx.camera.ntp:
        servers = (
            "<tt:NTPManual><tt:Type>IPv4</tt:Type>"
            f"<tt:IPv4Address>{text(ctx.camera.ntp_server)}</tt:IPv4Address></tt:NTPManual>"
        )
    return (
        "<tds:GetNTPResponse><tds:NTPInformation><tt:FromDHCP>false</tt:FromDHCP>"
        f"{servers}</tds:NTPInformation></tds:GetNTPResponse>"
    )


def get_hostname(ctx: Context, body: etree._Element) -> str:
    return (
        "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>"
        f"<tt:Name>{text(ctx.camera.hostname)}</tt:Name>"
        "</tds:HostnameInformation></tds:GetHostnameResponse>"
    )


def get_endpoint_reference(ctx: Context, body: etree._Element) -> str:
    return (
        "<tds:GetEndpointReferenceResponse>"
        f"<tds:GUID>{text(ctx.camera.endpoint_reference)}</tds:GUID>"
        "</tds:GetEndpointReferenceResponse>"
    )


OPERATIONS: dict[str, Handler] = {
    "GetSystemDateAndTime": get_system_date_and_time,
    "GetDeviceInformation": get_device_information,
    "GetCapabilities": get_capabilities,
    "GetServices": get_services,
    "GetScopes": get_scopes,
    "GetNetworkInterfaces": get_network_interfaces,
    "GetNTP": get_ntp,
    "GetHostname": get_hostname,
    "GetEndpointReference": get_endpoint_reference,
}
