"""PTZ service ver20 (tptz): one node in ONVIF's generic spaces, presets,
and the moves a test or demo uses to push a camera off its approved view
(AbsoluteMove, GotoPreset, SetPreset, RemovePreset).

Every operation that names a ProfileToken requires one of the camera's
media profiles (``ter:InvalidArgVal/ter:NoProfile`` otherwise). The
service is offered only while ``SimCamera.ptz`` is not None.
"""

from __future__ import annotations

from lxml import etree

from simulator.camera import SimPreset, SimPtz
from simulator.services import Context, Handler
from simulator.soap import TPTZ, attr, child_text, invalid_arg, text, xs_datetime

NAMESPACE = TPTZ
NODE_TOKEN = "ptz_node_1"
CONFIG_TOKEN = "ptz_cfg_1"
PROFILE_TOKENS = ("profile_1", "profile_2")
PAN_TILT_SPACE = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"
ZOOM_SPACE = "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"


def _num(value: float) -> str:
    return format(float(value), ".6g")


def configuration_xml(tag: str) -> str:
    """The camera's one PTZConfiguration under element ``tag`` (e.g.
    ``tt:PTZConfiguration`` in a media profile)."""
    return (
        f'<{tag} token="{CONFIG_TOKEN}"><tt:Name>PTZ</tt:Name><tt:UseCount>2</tt:UseCount>'
        f"<tt:NodeToken>{NODE_TOKEN}</tt:NodeToken>"
        f"<tt:DefaultAbsolutePantTiltPositionSpace>{PAN_TILT_SPACE}"
        "</tt:DefaultAbsolutePantTiltPositionSpace>"
        f"<tt:DefaultAbsoluteZoomPositionSpace>{ZOOM_SPACE}</tt:DefaultAbsoluteZoomPositionSpace>"
        f"</{tag}>"
    )


def _vector(pan: float, tilt: float, zoom: float) -> str:
    return (
        f'<tt:PanTilt x="{_num(pan)}" y="{_num(tilt)}" space="{PAN_TILT_SPACE}"/>'
        f'<tt:Zoom x="{_num(zoom)}" space="{ZOOM_SPACE}"/>'
    )


def _ptz(ctx: Context, body: etree._Element) -> SimPtz:
    """The camera's PTZ state after checking the request's ProfileToken."""
    ptz = ctx.camera.ptz
    if ptz is None:  # the server offers this service only with a node
        raise invalid_arg("NoPTZProfile", "the device has no PTZ node")
    token = child_text(body, "ProfileToken")
    if token is not None and token not in PROFILE_TOKENS:
        raise invalid_arg("NoProfile", f"no media profile {token!r}")
    return ptz


def get_nodes(ctx: Context, body: etree._Element) -> str:
    return (
        f'<tptz:GetNodesResponse><tptz:PTZNode token="{NODE_TOKEN}" FixedHomePosition="false">'
        "<tt:Name>PTZ node</tt:Name><tt:SupportedPTZSpaces>"
        f"<tt:AbsolutePanTiltPositionSpace><tt:URI>{PAN_TILT_SPACE}</tt:URI>"
        "<tt:XRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:XRange>"
        "<tt:YRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:YRange>"
        "</tt:AbsolutePanTiltPositionSpace>"
        f"<tt:AbsoluteZoomPositionSpace><tt:URI>{ZOOM_SPACE}</tt:URI>"
        "<tt:XRange><tt:Min>0</tt:Min><tt:Max>1</tt:Max></tt:XRange>"
        "</tt:AbsoluteZoomPositionSpace>"
        "</tt:SupportedPTZSpaces><tt:MaximumNumberOfPresets>128</tt:MaximumNumberOfPresets>"
        "<tt:HomeSupported>true</tt:HomeSupported></tptz:PTZNode></tptz:GetNodesResponse>"
    )


def get_configurations(ctx: Context, body: etree._Element) -> str:
    return (
        "<tptz:GetConfigurationsResponse>"
        + configuration_xml("tptz:PTZConfiguration")
        + "</tptz:GetConfigurationsResponse>"
    )


def get_status(ctx: Context, body: etree._Element) -> str:
    ptz = _ptz(ctx, body)
    return (
        "<tptz:GetStatusResponse><tptz:PTZStatus>"
        f"<tt:Position>{_vector(ptz.pan, ptz.tilt, ptz.zoom)}</tt:Position>"
        "<tt:MoveStatus><tt:PanTilt>IDLE</tt:PanTilt><tt:Zoom>IDLE</tt:Zoom></tt:MoveStatus>"
        f"<tt:UtcTime>{xs_datetime(ctx.now)}</tt:UtcTime>"
        "</tptz:PTZStatus></tptz:GetStatusResponse>"
    )


def get_presets(ctx: Context, body: etree._Element) -> str:
    ptz = _ptz(ctx, body)
    presets = "".join(
        f"<tptz:Preset token={attr(p.token)}><tt:Name>{text(p.name)}</tt:Name>"
        f"<tt:PTZPosition>{_vector(p.pan, p.tilt, p.zoom)}</tt:PTZPosition></tptz:Preset>"
        for p in ptz.presets
    )
    return f"<tptz:GetPresetsResponse>{presets}</tptz:GetPresetsResponse>"


def goto_preset(ctx: Context, body: etree._Element) -> str:
    ptz = _ptz(ctx, body)
    token = child_text(body, "PresetToken") or ""
    if not ptz.goto(token):
        raise invalid_arg("NoToken", f"no preset {token!r}")
    return "<tptz:GotoPresetResponse/>"


def _coordinate(element: etree._Element | None, name: str, low: float, high: float) -> float | None:
    if element is None:
        return None
    raw = element.get(name)
    try:
        value = float(raw) if raw is not None else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise invalid_arg("InvalidPosition", f"{name}={raw!r} is outside {low}..{high}")
    return value


def absolute_move(ctx: Context, body: etree._Element) -> str:
    ptz = _ptz(ctx, body)
    position = body.find("{*}Position")
    if position is None:
        raise invalid_arg("InvalidPosition", "no Position")
    pan_tilt = position.find("{*}PanTilt")
    zoom_el = position.find("{*}Zoom")
    pan = _coordinate(pan_tilt, "x", -1.0, 1.0)
    tilt = _coordinate(pan_tilt, "y", -1.0, 1.0)
    zoom = _coordinate(zoom_el, "x", 0.0, 1.0)
    if pan is not None and tilt is not None:
        ptz.pan, ptz.tilt = pan, tilt
    if zoom is not None:
        ptz.zoom = zoom
    return "<tptz:AbsoluteMoveResponse/>"


def set_preset(ctx: Context, body: etree._Element) -> str:
    """Store the current position as a preset (new, or overwrite a token)."""
    ptz = _ptz(ctx, body)
    token = child_text(body, "PresetToken") or f"preset_{len(ptz.presets) + 1}"
    name = child_text(body, "PresetName") or token
    kept = [p for p in ptz.presets if p.token != token]
    kept.append(SimPreset(token, name, ptz.pan, ptz.tilt, ptz.zoom))
    ptz.presets[:] = kept
    return (
        f"<tptz:SetPresetResponse><tptz:PresetToken>{text(token)}</tptz:PresetToken>"
        "</tptz:SetPresetResponse>"
    )


def remove_preset(ctx: Context, body: etree._Element) -> str:
    ptz = _ptz(ctx, body)
    token = child_text(body, "PresetToken") or ""
    kept = [p for p in ptz.presets if p.token != token]
    if len(kept) == len(ptz.presets):
        raise invalid_arg("NoToken", f"no preset {token!r}")
    ptz.presets[:] = kept
    return "<tptz:RemovePresetResponse/>"


OPERATIONS: dict[str, Handler] = {
    "GetNodes": get_nodes,
    "GetConfigurations": get_configurations,
    "GetStatus": get_status,
    "GetPresets": get_presets,
    "GotoPreset": goto_preset,
    "AbsoluteMove": absolute_move,
    "SetPreset": set_preset,
    "RemovePreset": remove_preset,
}
