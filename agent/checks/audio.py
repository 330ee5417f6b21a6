"""Audio: PIPA Art. 25(5) forbids a CCTV's audio-recording function.

Three findings, most severe first: a media profile that encodes audio
(``audio.encoder-enabled``), a recording that holds an audio track
(``audio.recorded``), and, only when neither is in use, an audio input the
camera has (``audio.capable``, info). Nothing is raised when the applicable
audio rule is ``allowed``.
"""

from __future__ import annotations

from agent.checks.subject import Subject, quoted
from schemas.facts import CameraFacts
from schemas.findings import Finding
from schemas.policy import AudioRule


def check_audio(rule: AudioRule, facts: CameraFacts, subject: Subject) -> list[Finding]:
    """Audio findings for one camera under ``rule`` (the camera's override or
    the policy's rule; ``forbidden`` when there is no policy)."""
    if rule == "allowed":
        return []
    found: list[Finding] = []
    audio = facts.audio
    if audio is not None and audio.encoder_profiles:
        profiles = audio.encoder_profiles
        noun = "profile" if len(profiles) == 1 else "profiles"
        verb = "carries" if len(profiles) == 1 else "carry"
        found.append(
            subject.finding(
                "audio.encoder-enabled",
                f"{noun} {quoted(profiles)} {verb} an audio encoder; the policy forbids audio",
                {"encoder_profiles": profiles, "audio_rule": rule},
            )
        )
    audio_tracks = _audio_tracks(facts)
    if audio_tracks:
        found.append(
            subject.finding(
                "audio.recorded",
                f"recorded audio track(s) {quoted(audio_tracks)}; the policy forbids audio",
                {"audio_tracks": audio_tracks, "audio_rule": rule},
            )
        )
    if not found and audio is not None and (audio.sources > 0 or audio.source_profiles):
        found.append(
            subject.finding(
                "audio.capable",
                f"the camera has {audio.sources} audio input(s), not in use; "
                "the policy forbids audio",
                {
                    "audio_sources": audio.sources,
                    "source_profiles": audio.source_profiles,
                    "audio_rule": rule,
                },
            )
        )
    return found


def _audio_tracks(facts: CameraFacts) -> tuple[str, ...]:
    """``recording/track`` of every audio track, in the camera's order."""
    if facts.recording is None:
        return ()
    return tuple(
        f"{recording.token}/{track.token}"
        for recording in facts.recording.recordings
        for track in recording.tracks
        if track.type == "Audio"
    )
