"""What ``OnvifClient.collect`` asks one camera, in order.

1. GetSystemDateAndTime, unauthenticated: the camera's clock, and the
   offset every later WS-Security ``Created`` is shifted by. No answer at
   all here means the camera is unreachable and we stop.
2. GetDeviceInformation without credentials (the anonymous-access probe),
   then with them: WS-Security, and HTTP Digest if the camera challenges
   for it (``auth_scheme`` says which one got us in). Credentials refused
   everywhere: we stop with what we have (the clock), reporting "auth-failed".
3. GetServices (or GetCapabilities) for the XAddrs, moved onto the host:port
   we actually reached.
4. In parallel: identity (interfaces, NTP, endpoint reference), media and
   PTZ, recording and search.

A service the camera does not offer leaves its facts ``None`` (unknown) with
a "not-supported" entry; no camera-level failure ever raises out of here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from agent.onvif import convert
from agent.onvif.camera import CameraSession, Outcome
from agent.onvif.wsdl_cache import DEVICE, MEDIA, PTZ, RECORDING, SEARCH, ServiceDef
from schemas.errors import AuthFailed, CameraUnreachable, NotSupported
from schemas.facts import (
    AudioFacts,
    AuthScheme,
    CameraFacts,
    ClockFacts,
    DeviceInfo,
    ObservedIdentity,
    PtzFacts,
    RecordingFact,
    RecordingFacts,
    RecordingJobFact,
    SecurityFacts,
)
from schemas.messages import CameraErrorInfo


@dataclass(frozen=True, slots=True)
class Gathered:
    """The result of one collect, before the public ``Collected`` wraps it."""

    reachable: bool
    facts: CameraFacts | None
    errors: tuple[CameraErrorInfo, ...]


async def gather(cam: CameraSession) -> Gathered:
    """Collect every fact ``cam`` will give; see the module docstring."""
    clock, reachable = await _clock(cam)
    if not reachable:
        return Gathered(False, None, tuple(cam.errors))
    device, security, auth = await _authenticate(cam)
    if not auth:
        facts = None
        if clock is not None:
            facts = CameraFacts(identity=ObservedIdentity(address=cam.address),
                                clock=clock, security=security)
        return Gathered(True, facts, tuple(cam.errors))
    xaddrs = await _xaddrs(cam)
    async with asyncio.TaskGroup() as group:
        identity_task = group.create_task(_identity(cam, device))
        ntp_task = group.create_task(_ntp_servers(cam))
        media_task = group.create_task(_media_and_ptz(cam, xaddrs))
        recording_task = group.create_task(_recording(cam, xaddrs))
    if clock is not None:
        clock = clock.model_copy(update={"ntp_servers": ntp_task.result()})
    audio, ptz = media_task.result()
    facts = CameraFacts(identity=identity_task.result(), device=device, audio=audio, ptz=ptz,
                        recording=recording_task.result(), clock=clock, security=security)
    return Gathered(True, facts, tuple(cam.errors))


async def _clock(cam: CameraSession) -> tuple[ClockFacts | None, bool]:
    """ClockFacts and whether the camera answered at all. Learns the offset."""
    outcome = await cam.attempt(DEVICE, cam.device_url, "GetSystemDateAndTime", auth=False,
                                note=False)
    if isinstance(outcome.error, AuthFailed) and cam.has_credentials:
        # Some firmwares protect even this operation; our clock is all we have.
        outcome = await cam.attempt(DEVICE, cam.device_url, "GetSystemDateAndTime",
                                    note=False)
    if outcome.error is not None:
        cam.note(outcome.error)
        return None, not isinstance(outcome.error, CameraUnreachable)
    observed_at = cam.now()
    clock = convert.clock_facts(outcome.value, observed_at)
    if clock is None:
        cam.errors.append(CameraErrorInfo(kind="protocol", operation="GetSystemDateAndTime",
                                          message=f"{cam.address}: no UTCDateTime in answer"))
    else:
        cam.clock_offset = clock.camera_utc - observed_at
    return clock, True


async def _authenticate(cam: CameraSession) -> tuple[DeviceInfo | None, SecurityFacts, bool]:
    """(device info, security facts, whether later calls can succeed).

    Without credentials the anonymous probe is the only try. With them, a
    camera that refuses them but answers anonymously is audited anonymously.
    """
    probe = await cam.attempt(DEVICE, cam.device_url, "GetDeviceInformation", auth=False,
                              note=False)
    anonymous = _anonymous_access(probe)
    if not cam.has_credentials:
        if probe.error is not None:
            cam.note(probe.error)
        scheme: AuthScheme = "none" if probe.ok else "unknown"
        device = convert.device_info(probe.value) if probe.ok else None
        security = SecurityFacts(anonymous_access=anonymous, auth_scheme=scheme, tls=False)
        return device, security, not isinstance(probe.error, AuthFailed)
    signed = await cam.attempt(DEVICE, cam.device_url, "GetDeviceInformation")
    if signed.ok:
        # Signed calls carry the UsernameToken and, when challenged, HTTP Digest:
        # a camera that answered only after a Digest challenge wants Digest.
        used: AuthScheme = "http-digest" if cam.digest and cam.digest.worked else "ws-security"
        security = SecurityFacts(anonymous_access=anonymous, auth_scheme=used, tls=False)
        return convert.device_info(signed.value), security, True
    if probe.ok:
        security = SecurityFacts(anonymous_access=True, auth_scheme="none", tls=False)
        return convert.device_info(probe.value), security, True
    security = SecurityFacts(anonymous_access=anonymous, auth_scheme="unknown", tls=False)
    return None, security, not isinstance(signed.error, AuthFailed)


def _anonymous_access(probe: Outcome) -> bool | None:
    if probe.ok:
        return True
    if isinstance(probe.error, AuthFailed):
        return False
    return None


async def _xaddrs(cam: CameraSession) -> dict[str, str] | None:
    """{service namespace: XAddr on our host:port}; None if the camera told us nothing."""
    services = await cam.attempt(DEVICE, cam.device_url, "GetServices",
                                 IncludeCapability=False)
    if services.ok:
        found = convert.xaddrs_from_services(services.value, cam.base_url)
        if found:
            return found
    capabilities = await cam.attempt(DEVICE, cam.device_url, "GetCapabilities",
                                     Category="All")
    if capabilities.ok:
        return convert.xaddrs_from_capabilities(capabilities.value, cam.base_url)
    return None


def _not_offered(cam: CameraSession, service: ServiceDef, xaddrs: dict[str, str] | None
                 ) -> str | None:
    """The XAddr of ``service``, or None after noting why it is unknown."""
    if xaddrs is None:
        return None  # GetServices/GetCapabilities failed: already noted
    xaddr = xaddrs.get(service.namespace)
    if xaddr is None:
        cam.note(NotSupported(f"the {service.key} service is not offered",
                              camera=cam.address, operation="GetServices"))
    return xaddr


async def _identity(cam: CameraSession, device: DeviceInfo | None) -> ObservedIdentity:
    interfaces = await cam.attempt(DEVICE, cam.device_url, "GetNetworkInterfaces")
    # GetEndpointReference is optional in ONVIF; its absence is not worth a report line.
    reference = await cam.attempt(DEVICE, cam.device_url, "GetEndpointReference", note=False)
    if reference.error is not None and not isinstance(reference.error, NotSupported):
        cam.note(reference.error)
    return ObservedIdentity(
        address=cam.address,
        serial=(device.serial or None) if device else None,
        macs=convert.macs(interfaces.value) if interfaces.ok else (),
        endpoint_reference=convert.endpoint_reference(reference.value) if reference.ok else None,
    )


async def _ntp_servers(cam: CameraSession) -> tuple[str, ...]:
    ntp = await cam.attempt(DEVICE, cam.device_url, "GetNTP")
    return convert.ntp_servers(ntp.value) if ntp.ok else ()


async def _media_and_ptz(cam: CameraSession, xaddrs: dict[str, str] | None
                         ) -> tuple[AudioFacts | None, PtzFacts | None]:
    media_xaddr = _not_offered(cam, MEDIA, xaddrs)
    profiles: Any = None
    audio: AudioFacts | None = None
    if media_xaddr is not None:
        got = await cam.attempt(MEDIA, media_xaddr, "GetProfiles")
        if got.ok:
            profiles = got.value
            audio = convert.audio_facts(profiles, await _audio_sources(cam, media_xaddr))
    if xaddrs is None:
        return audio, None
    ptz_xaddr = xaddrs.get(PTZ.namespace)
    if ptz_xaddr is None:
        return audio, PtzFacts(nodes=())
    return audio, await _ptz(cam, ptz_xaddr, convert.ptz_profile_token(profiles))


async def _audio_sources(cam: CameraSession, media_xaddr: str) -> int:
    """How many audio inputs. A device without audio may answer with a
    NotSupported fault (ter:AudioNotSupported): that is 0, not an error.
    Any other failure is noted and counted as 0, which can hide an audio
    finding but never invent one."""
    got = await cam.attempt(MEDIA, media_xaddr, "GetAudioSources", note=False)
    if got.ok:
        return len(convert.as_list(got.value))
    if not isinstance(got.error, NotSupported) and got.error is not None:
        cam.note(got.error)
    return 0


async def _ptz(cam: CameraSession, xaddr: str, profile: str | None) -> PtzFacts | None:
    nodes = await cam.attempt(PTZ, xaddr, "GetNodes")
    if not nodes.ok:
        return None
    node_tokens = convert.tokens(convert.as_list(nodes.value), "token")
    if profile is None or not node_tokens:
        return PtzFacts(nodes=node_tokens)
    status, presets = await asyncio.gather(
        cam.attempt(PTZ, xaddr, "GetStatus", ProfileToken=profile),
        cam.attempt(PTZ, xaddr, "GetPresets", ProfileToken=profile),
    )
    return PtzFacts(
        nodes=node_tokens,
        position=convert.ptz_position(convert.pick(status.value, "Position")),
        presets=convert.ptz_presets(presets.value) if presets.ok else (),
        moving=convert.ptz_moving(status.value) if status.ok else None,
    )


async def _recording(cam: CameraSession, xaddrs: dict[str, str] | None
                     ) -> RecordingFacts | None:
    recording_xaddr = _not_offered(cam, RECORDING, xaddrs)
    if recording_xaddr is None:
        return None
    search_xaddr = _not_offered(cam, SEARCH, xaddrs)
    recordings, jobs = await asyncio.gather(
        cam.attempt(RECORDING, recording_xaddr, "GetRecordings"),
        cam.attempt(RECORDING, recording_xaddr, "GetRecordingJobs"),
    )
    if not recordings.ok and not jobs.ok:
        return None
    items = convert.as_list(recordings.value)
    job_items = convert.as_list(jobs.value)
    spans: list[tuple[Any, Any]] = [(None, None)] * len(items)
    summary: Outcome = Outcome()
    async with asyncio.TaskGroup() as group:
        state_tasks = [group.create_task(_job_fact(cam, recording_xaddr, job))
                       for job in job_items]
        if search_xaddr is not None:
            summary_task = group.create_task(
                cam.attempt(SEARCH, search_xaddr, "GetRecordingSummary"))
            span_tasks = [group.create_task(_span(cam, search_xaddr, item)) for item in items]
    if search_xaddr is not None:
        summary = summary_task.result()
        spans = [task.result() for task in span_tasks]
    reference = cam.now()
    data_from, data_until = convert.span(summary.value, "DataFrom", "DataUntil")
    return RecordingFacts(
        recordings=tuple(_recording_fact(item, reference, s) for item, s in zip(items, spans,
                                                                                strict=True)),
        jobs=tuple(task.result() for task in state_tasks),
        data_from=data_from,
        data_until=data_until,
    )


def _recording_fact(item: Any, reference: Any, span: tuple[Any, Any]) -> RecordingFact:
    return convert.recording_fact(item, reference, data_from=span[0], data_until=span[1])


async def _job_fact(cam: CameraSession, xaddr: str, job: Any) -> RecordingJobFact:
    token = convert.text(convert.pick(job, "JobToken"))
    state = await cam.attempt(RECORDING, xaddr, "GetRecordingJobState", JobToken=token)
    return convert.recording_job(job, convert.job_state(state.value) if state.ok else None)


async def _span(cam: CameraSession, xaddr: str, item: Any) -> tuple[Any, Any]:
    token = convert.text(convert.pick(item, "RecordingToken"))
    info = await cam.attempt(SEARCH, xaddr, "GetRecordingInformation", RecordingToken=token)
    if not info.ok:
        return None, None
    return convert.span(info.value, "EarliestRecording", "LatestRecording")
