"""Media service ver10 (trt): two profiles (main and sub stream) built from
the camera's state.

Audio evidence the policy cares about shows here: with
``SimCamera.audio_encoder`` the main profile holds an
AudioSourceConfiguration and an AudioEncoderConfiguration; ``audio_sources``
is the number of audio inputs GetAudioSources lists. A PTZ camera's
profiles carry its PTZConfiguration.
"""

from __future__ import annotations

from lxml import etree

from simulator.camera import SimCamera
from simulator.services import Context, Handler
from simulator.services.ptz import configuration_xml
from simulator.soap import TRT, child_text, invalid_arg, text

NAMESPACE = TRT
VIDEO_SOURCE = "video_src_1"
AUDIO_SOURCE = "audio_src_1"
AUDIO_ENCODER = "aec_1"
PROFILES = (
    # token, name, encoder token, width, height, bitrate kbit/s
    ("profile_1", "MainStream", "vec_1", 1920, 1080, 4096),
    ("profile_2", "SubStream", "vec_2", 640, 360, 512),
)

_MULTICAST = (
    "<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address>"
    "</tt:Address><tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart>"
    "</tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout>"
)


def _audio_encoder_xml(tag: str) -> str:
    return (
        f'<{tag} token="{AUDIO_ENCODER}"><tt:Name>AudioEncoder</tt:Name>'
        "<tt:UseCount>1</tt:UseCount><tt:Encoding>G711</tt:Encoding>"
        f"<tt:Bitrate>64</tt:Bitrate><tt:SampleRate>8</tt:SampleRate>{_MULTICAST}</{tag}>"
    )


def _profile_xml(camera: SimCamera, index: int, tag: str) -> str:
    token, name, encoder, width, height, bitrate = PROFILES[index]
    main = index == 0
    parts = [
        f'<{tag} token="{token}" fixed="true"><tt:Name>{name}</tt:Name>',
        f'<tt:VideoSourceConfiguration token="vsc_1"><tt:Name>VideoSource</tt:Name>'
        f"<tt:UseCount>{len(PROFILES)}</tt:UseCount>"
        f"<tt:SourceToken>{VIDEO_SOURCE}</tt:SourceToken>"
        '<tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>',
    ]
    if main and camera.audio_encoder:
        parts.append(
            '<tt:AudioSourceConfiguration token="asc_1"><tt:Name>AudioSource</tt:Name>'
            f"<tt:UseCount>1</tt:UseCount><tt:SourceToken>{AUDIO_SOURCE}</tt:SourceToken>"
            "</tt:AudioSourceConfiguration>"
        )
    parts.append(
        f'<tt:VideoEncoderConfiguration token="{encoder}"><tt:Name>{name}</tt:Name>'
        "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>"
        f"<tt:Resolution><tt:Width>{width}</tt:Width><tt:Height>{height}</tt:Height>"
        "</tt:Resolution><tt:Quality>5</tt:Quality>"
        "<tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit>"
        f"<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>{bitrate}</tt:BitrateLimit>"
        "</tt:RateControl><tt:H264><tt:GovLength>50</tt:GovLength>"
        f"<tt:H264Profile>Main</tt:H264Profile></tt:H264>{_MULTICAST}"
        "</tt:VideoEncoderConfiguration>"
    )
    if main and camera.audio_encoder:
        parts.append(_audio_encoder_xml("tt:AudioEncoderConfiguration"))
    if camera.ptz is not None:
        parts.append(configuration_xml("tt:PTZConfiguration"))
    parts.append(f"</{tag}>")
    return "".join(parts)


def _profile_index(body: etree._Element) -> int:
    token = child_text(body, "ProfileToken")
    for index, profile in enumerate(PROFILES):
        if profile[0] == token:
            return index
    raise invalid_arg("NoProfile", f"no media profile {token!r}")


def get_profiles(ctx: Context, body: etree._Element) -> str:
    profiles = "".join(
        _profile_xml(ctx.camera, i, "trt:Profiles") for i in range(len(PROFILES))
    )
    return f"<trt:GetProfilesResponse>{profiles}</trt:GetProfilesResponse>"


def get_profile(ctx: Context, body: etree._Element) -> str:
    profile = _profile_xml(ctx.camera, _profile_index(body), "trt:Profile")
    return f"<trt:GetProfileResponse>{profile}</trt:GetProfileResponse>"


def get_video_sources(ctx: Context, body: etree._Element) -> str:
    return (
        f'<trt:GetVideoSourcesResponse><trt:VideoSources token="{VIDEO_SOURCE}">'
        "<tt:Framerate>25</tt:Framerate><tt:Resolution><tt:Width>1920</tt:Width>"
        "<tt:Height>1080</tt:Height></tt:Resolution></trt:VideoSources>"
        "</trt:GetVideoSourcesResponse>"
    )


def get_audio_sources(ctx: Context, body: etree._Element) -> str:
    sources = "".join(
        f'<trt:AudioSources token="audio_src_{n}"><tt:Channels>1</tt:Channels></trt:AudioSources>'
        for n in range(1, ctx.camera.audio_sources + 1)
    )
    return f"<trt:GetAudioSourcesResponse>{sources}</trt:GetAudioSourcesResponse>"


def get_audio_encoder_configurations(ctx: Context, body: etree._Element) -> str:
    """The encoder configuration exists whenever the device has audio
    hardware, whether or not a profile uses it."""
    camera = ctx.camera
    configs = ""
    if camera.audio_sources or camera.audio_encoder:
        configs = _audio_encoder_xml("trt:Configurations")
    return (
        "<trt:GetAudioEncoderConfigurationsResponse>"
        f"{configs}</trt:GetAudioEncoderConfigurationsResponse>"
    )


def get_stream_uri(ctx: Context, body: etree._Element) -> str:
    """An RTSP URI on the camera's host; nothing listens there (the
    simulator serves no video)."""
    token = PROFILES[_profile_index(body)][0]
    host = ctx.address.rsplit(":", 1)[0]
    return (
        "<trt:GetStreamUriResponse><trt:MediaUri>"
        f"<tt:Uri>rtsp://{text(host)}:554/{token}</tt:Uri>"
        "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
        "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
        "<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>"
    )


OPERATIONS: dict[str, Handler] = {
    "GetProfiles": get_profiles,
    "GetProfile": get_profile,
    "GetVideoSources": get_video_sources,
    "GetAudioSources": get_audio_sources,
    "GetAudioEncoderConfigurations": get_audio_encoder_configurations,
    "GetStreamUri": get_stream_uri,
}
