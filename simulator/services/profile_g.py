"""Recording (trc) and Search (tse) services, ONVIF Profile G: one
recording of the main profile, its job, and the summary of what is kept.

Retention evidence: MaximumRetentionTime (``max_retention_s``; 0 is
unlimited), DataFrom = camera now - ``footage_days``, DataUntil = camera
now - ``data_until_lag_s``. Continuity evidence: the job's Mode and State
(Active, or Idle when ``recording_active`` is False). These fields are
independent on purpose, so each deviation shows in exactly one answer.
"""

from __future__ import annotations

from datetime import timedelta

from lxml import etree

from simulator.camera import DAY_S, SimCamera
from simulator.services import Context, Handler
from simulator.soap import TRC, TSE, child_text, invalid_arg, text, xs_datetime, xs_duration

RECORDING_NAMESPACE = TRC
SEARCH_NAMESPACE = TSE
RECORDING = "rec_1"
JOB = "job_1"
PROFILE = "profile_1"


def _tracks(camera: SimCamera) -> list[tuple[str, str]]:
    """(track token, track type) of the recording."""
    tracks = [("VIDEO001", "Video")]
    if camera.audio_track:
        tracks.append(("AUDIO001", "Audio"))
    return tracks


def _source(ctx: Context) -> str:
    camera = ctx.camera
    return (
        f"<tt:SourceId>{ctx.xaddr('media')}#{PROFILE}</tt:SourceId>"
        f"<tt:Name>{text(camera.label)}</tt:Name>"
        f"<tt:Location>{text(camera.site_id)}</tt:Location>"
        "<tt:Description>main stream</tt:Description>"
        f"<tt:Address>{ctx.xaddr('device')}</tt:Address>"
    )


def _state(camera: SimCamera) -> str:
    return "Active" if camera.recording_active else "Idle"


def get_recordings(ctx: Context, body: etree._Element) -> str:
    camera = ctx.camera
    tracks = "".join(
        f"<tt:Track><tt:TrackToken>{token}</tt:TrackToken><tt:Configuration>"
        f"<tt:TrackType>{kind}</tt:TrackType><tt:Description>{kind.lower()}</tt:Description>"
        "</tt:Configuration></tt:Track>"
        for token, kind in _tracks(camera)
    )
    return (
        "<trc:GetRecordingsResponse><trc:RecordingItem>"
        f"<tt:RecordingToken>{RECORDING}</tt:RecordingToken>"
        f"<tt:Configuration><tt:Source>{_source(ctx)}</tt:Source>"
        "<tt:Content>continuous</tt:Content>"
        f"<tt:MaximumRetentionTime>{xs_duration(camera.max_retention_s)}</tt:MaximumRetentionTime>"
        f"</tt:Configuration><tt:Tracks>{tracks}</tt:Tracks>"
        "</trc:RecordingItem></trc:GetRecordingsResponse>"
    )


def _job_tracks(camera: SimCamera, tag: str, state: str | None) -> str:
    return "".join(
        f"<tt:{tag}><tt:SourceTag>SRC_{kind.upper()}</tt:SourceTag>"
        f"<tt:Destination>{token}</tt:Destination>"
        + (f"<tt:State>{state}</tt:State>" if state else "")
        + f"</tt:{tag}>"
        for token, kind in _tracks(camera)
    )


def get_recording_jobs(ctx: Context, body: etree._Element) -> str:
    camera = ctx.camera
    return (
        "<trc:GetRecordingJobsResponse><trc:JobItem>"
        f"<tt:JobToken>{JOB}</tt:JobToken><tt:JobConfiguration>"
        f"<tt:RecordingToken>{RECORDING}</tt:RecordingToken>"
        f"<tt:Mode>{_state(camera)}</tt:Mode><tt:Priority>1</tt:Priority>"
        '<tt:Source><tt:SourceToken Type="http://www.onvif.org/ver10/schema/Profile">'
        f"<tt:Token>{PROFILE}</tt:Token></tt:SourceToken>"
        f"{_job_tracks(camera, 'Tracks', None)}</tt:Source>"
        "</tt:JobConfiguration></trc:JobItem></trc:GetRecordingJobsResponse>"
    )


def get_recording_job_state(ctx: Context, body: etree._Element) -> str:
    camera = ctx.camera
    token = child_text(body, "JobToken")
    if token != JOB:
        raise invalid_arg("NoRecordingJob", f"no recording job {token!r}")
    state = _state(camera)
    return (
        "<trc:GetRecordingJobStateResponse><trc:State>"
        f"<tt:RecordingToken>{RECORDING}</tt:RecordingToken><tt:State>{state}</tt:State>"
        '<tt:Sources><tt:SourceToken Type="http://www.onvif.org/ver10/schema/Profile">'
        f"<tt:Token>{PROFILE}</tt:Token></tt:SourceToken><tt:State>{state}</tt:State>"
        f"<tt:Tracks>{_job_tracks(camera, 'Track', state)}</tt:Tracks></tt:Sources>"
        "</trc:State></trc:GetRecordingJobStateResponse>"
    )


def _footage(ctx: Context) -> tuple[str, str]:
    """(DataFrom, DataUntil) on the camera's clock."""
    camera = ctx.camera
    data_from = ctx.now - timedelta(seconds=camera.footage_days * DAY_S)
    data_until = ctx.now - timedelta(seconds=camera.data_until_lag_s)
    return xs_datetime(data_from), xs_datetime(data_until)


def get_recording_summary(ctx: Context, body: etree._Element) -> str:
    data_from, data_until = _footage(ctx)
    return (
        "<tse:GetRecordingSummaryResponse><tse:Summary>"
        f"<tt:DataFrom>{data_from}</tt:DataFrom><tt:DataUntil>{data_until}</tt:DataUntil>"
        "<tt:NumberRecordings>1</tt:NumberRecordings>"
        "</tse:Summary></tse:GetRecordingSummaryResponse>"
    )


def get_recording_information(ctx: Context, body: etree._Element) -> str:
    camera = ctx.camera
    token = child_text(body, "RecordingToken")
    if token != RECORDING:
        raise invalid_arg("NoRecording", f"no recording {token!r}")
    data_from, data_until = _footage(ctx)
    tracks = "".join(
        f"<tt:Track><tt:TrackToken>{track}</tt:TrackToken><tt:TrackType>{kind}</tt:TrackType>"
        f"<tt:Description>{kind.lower()}</tt:Description>"
        f"<tt:DataFrom>{data_from}</tt:DataFrom><tt:DataTo>{data_until}</tt:DataTo></tt:Track>"
        for track, kind in _tracks(camera)
    )
    status = "Recording" if camera.recording_active else "Stopped"
    return (
        "<tse:GetRecordingInformationResponse><tse:RecordingInformation>"
        f"<tt:RecordingToken>{RECORDING}</tt:RecordingToken><tt:Source>{_source(ctx)}</tt:Source>"
        f"<tt:EarliestRecording>{data_from}</tt:EarliestRecording>"
        f"<tt:LatestRecording>{data_until}</tt:LatestRecording>"
        f"<tt:Content>continuous</tt:Content>{tracks}"
        f"<tt:RecordingStatus>{status}</tt:RecordingStatus>"
        "</tse:RecordingInformation></tse:GetRecordingInformationResponse>"
    )


RECORDING_OPERATIONS: dict[str, Handler] = {
    "GetRecordings": get_recordings,
    "GetRecordingJobs": get_recording_jobs,
    "GetRecordingJobState": get_recording_job_state,
}
SEARCH_OPERATIONS: dict[str, Handler] = {
    "GetRecordingSummary": get_recording_summary,
    "GetRecordingInformation": get_recording_information,
}
