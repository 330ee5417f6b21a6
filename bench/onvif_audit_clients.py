"""The three ONVIF clients bench/onvif_audit.py compares, one per process.

    python bench/onvif_audit_clients.py CLIENT TARGETS.json CONCURRENCY

CLIENT is camwarden, camwarden-zeep (zeep path only), onvif-zeep-async or
onvif-zeep. Each audits every
target once and prints one JSON line: CPU seconds of this process over the
audit (``getrusage`` user+system, taken before the ONVIF library is first
imported, so one-time WSDL parsing counts), wall seconds, peak RSS (MB) and
the number of cameras that failed. Failures are printed to stderr, one line
each, starting with the client's name.

Every client asks each camera the operations ``OnvifClient.collect`` asks,
in the same sequence, counted per camera (one PTZ node, one media profile
with PTZ, R recordings and J jobs):

    GetSystemDateAndTime (anonymous), GetDeviceInformation (anonymous: the
    anonymous-access probe, refused), GetDeviceInformation, GetServices,
    GetNetworkInterfaces, GetEndpointReference, GetNTP, Media GetProfiles,
    GetAudioSources, PTZ GetNodes, GetStatus, GetPresets, Recording
    GetRecordings, GetRecordingJobs, GetRecordingJobState x J, Search
    GetRecordingSummary, GetRecordingInformation x R

The simulator counts what it receives, so the harness checks this rather
than trusting it. The peers' code is what a user of each library would write
(``ONVIFCamera`` per camera, its services, its calls); where a library cannot
make one of these calls as such (onvif-zeep has no unauthenticated call and
asks GetCapabilities, not GetServices, in its constructor), the smallest
change that makes it do so is made and said so below.

This file must import nothing from camwarden at module level: onvif-zeep
runs it from a virtual environment of its own.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

Target = dict[str, str]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _fail(client: str, target: Target, exc: BaseException) -> bool:
    print(f"{client} {target['address']}: {exc!r}"[:400], file=sys.stderr)
    return False


def _ptz_profile(profiles: Any) -> str | None:
    """The first profile with a PTZ configuration, as camwarden picks it."""
    for profile in profiles or []:
        if getattr(profile, "PTZConfiguration", None) is not None:
            return str(profile.token)
    return None


# --- camwarden ---------------------------------------------------------------


async def camwarden(targets: list[Target], concurrency: int, lean: bool = True) -> int:
    """camwarden's client; ``lean=False`` sends every call through zeep
    (the "camwarden-zeep" row: the same client before the lean path)."""
    import asyncio

    from agent.onvif import Credentials, OnvifClient

    async with OnvifClient(timeout=30.0, max_concurrency=concurrency, lean=lean) as client:
        results = await asyncio.gather(
            *(
                client.collect(t["address"], Credentials(t["username"], t["password"]))
                for t in targets
            )
        )
    failed = 0
    for target, result in zip(targets, results, strict=True):
        if not result.reachable or result.facts is None or result.errors:
            failed += 1
            _fail("camwarden", target, RuntimeError(result.errors))
    return failed


# --- onvif-zeep-async ----------------------------------------------------------


async def onvif_zeep_async(targets: list[Target], concurrency: int) -> int:
    import asyncio

    import zeep.exceptions
    from onvif import ONVIFCamera
    from onvif.exceptions import ONVIFError

    refused = (zeep.exceptions.Fault, ONVIFError)
    gate = asyncio.Semaphore(concurrency)

    async def one(target: Target) -> bool:
        host, port = target["address"].rsplit(":", 1)
        async with gate:
            # adjust_time: update_xaddrs asks GetSystemDateAndTime without
            # credentials and keeps the clock offset, as camwarden does.
            camera = ONVIFCamera(
                host, int(port), target["username"], target["password"], adjust_time=True
            )
            try:
                await camera.update_xaddrs()  # GetSystemDateAndTime + GetServices
                device = await camera.create_devicemgmt_service()
                try:
                    await device.authless_GetDeviceInformation()
                except refused:
                    pass  # the anonymous-access probe: refused is the answer
                await device.GetDeviceInformation()
                await device.GetNetworkInterfaces()
                await device.GetEndpointReference()
                await device.GetNTP()
                media = await camera.create_media_service()
                profiles = await media.GetProfiles()
                await media.GetAudioSources()
                ptz = await camera.create_ptz_service()
                await ptz.GetNodes()
                token = _ptz_profile(profiles)
                await ptz.GetStatus({"ProfileToken": token})
                await ptz.GetPresets({"ProfileToken": token})
                recording = await camera.create_recording_service()
                recordings = await recording.GetRecordings()
                for job in await recording.GetRecordingJobs():
                    await recording.GetRecordingJobState({"JobToken": job.JobToken})
                search = await camera.create_search_service()
                await search.GetRecordingSummary()
                for item in recordings:
                    await search.GetRecordingInformation({"RecordingToken": item.RecordingToken})
                return True
            except Exception as exc:  # a benchmark counts failures, whatever they are
                return _fail("onvif-zeep-async", target, exc)
            finally:
                await camera.close()

    results = await asyncio.gather(*(one(t) for t in targets))
    return sum(1 for ok in results if not ok)


# --- onvif-zeep ------------------------------------------------------------------


def onvif_zeep(targets: list[Target], threads: int) -> int:
    import datetime as dt
    from concurrent.futures import ThreadPoolExecutor

    from onvif import ONVIFCamera, ONVIFError

    class Camera(ONVIFCamera):  # type: ignore[misc]
        """onvif-zeep's ONVIFCamera, discovering services as camwarden does.

        The library's own update_xaddrs (run by the constructor) asks
        GetCapabilities and tries CreatePullPointSubscription; this one asks
        GetSystemDateAndTime without credentials and GetServices instead, and
        otherwise does what the library does with adjust_time=True (including
        building the device service again with the clock offset).
        """

        def update_xaddrs(self) -> None:
            self.dt_diff = None
            self.devicemgmt = self.create_devicemgmt_service()
            answer = anonymous(self.devicemgmt, "GetSystemDateAndTime")
            date, hour = answer.UTCDateTime.Date, answer.UTCDateTime.Time
            cam_date = dt.datetime(
                date.Year, date.Month, date.Day, hour.Hour, hour.Minute, hour.Second
            )
            self.dt_diff = cam_date - dt.datetime.utcnow()
            self.devicemgmt = self.create_devicemgmt_service()
            services = self.devicemgmt.GetServices({"IncludeCapability": False})
            self.xaddrs = {service.Namespace: service.XAddr for service in services}

    def anonymous(service: Any, operation: str) -> Any:
        """Call ``operation`` without the WS-Security header: onvif-zeep signs
        every call, so its zeep client's wsse is lifted for this one (each
        camera has its own zeep clients, in one thread)."""
        client = service.zeep_client
        wsse, client.wsse = client.wsse, None
        try:
            return getattr(service, operation)()
        finally:
            client.wsse = wsse

    def one(target: Target) -> bool:
        host, port = target["address"].rsplit(":", 1)
        try:
            camera = Camera(host, int(port), target["username"], target["password"])
            device = camera.devicemgmt
            try:
                anonymous(device, "GetDeviceInformation")
            except ONVIFError:
                pass  # the anonymous-access probe: refused is the answer
            device.GetDeviceInformation()
            device.GetNetworkInterfaces()
            device.GetEndpointReference()
            device.GetNTP()
            media = camera.create_media_service()
            profiles = media.GetProfiles()
            media.GetAudioSources()
            ptz = camera.create_ptz_service()
            ptz.GetNodes()
            token = _ptz_profile(profiles)
            ptz.GetStatus({"ProfileToken": token})
            ptz.GetPresets({"ProfileToken": token})
            recording = camera.create_recording_service()
            recordings = recording.GetRecordings()
            for job in recording.GetRecordingJobs():
                recording.GetRecordingJobState({"JobToken": job.JobToken})
            search = camera.create_search_service()
            search.GetRecordingSummary()
            for item in recordings:
                search.GetRecordingInformation({"RecordingToken": item.RecordingToken})
            return True
        except Exception as exc:  # a benchmark counts failures, whatever they are
            return _fail("onvif-zeep", target, exc)

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(one, targets))
    return sum(1 for ok in results if not ok)


def main() -> None:
    import asyncio

    name, targets_file, concurrency = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    targets = json.loads(targets_file.read_text())
    wall0 = time.perf_counter()
    if name == "camwarden":
        failed = asyncio.run(camwarden(targets, concurrency))
    elif name == "camwarden-zeep":
        failed = asyncio.run(camwarden(targets, concurrency, lean=False))
    elif name == "onvif-zeep-async":
        failed = asyncio.run(onvif_zeep_async(targets, concurrency))
    elif name == "onvif-zeep":
        failed = onvif_zeep(targets, concurrency)
    else:
        raise SystemExit(f"unknown client {name!r}")
    cpu, wall = _cpu(), time.perf_counter() - wall0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"cpu_s": cpu, "wall_s": wall, "rss_mb": rss_mb, "failed": failed}))


if __name__ == "__main__":
    main()
