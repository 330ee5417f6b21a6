"""Only changes travel: which cameras of a cycle go out in full.

Pure (no clock of its own, no I/O): the service hands in each cycle's
observations and a monotonic time. A camera goes out as a full
``CameraReport`` when its fingerprint (``schemas.fingerprint``: facts and
findings minus what moves every audit) differs from the last one sent in
full, and *every* camera goes out in full at least every
``full_snapshot_interval_s``; the others are listed in the cycle's
heartbeat(s) as "still so, seen now", with the fingerprint the controller
checks against what it stored.

A new process starts with nothing sent, so its first cycle is a full
snapshot; the tracker remembers what it *published* (the spool delivers it,
in order, before any later heartbeat).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.fingerprint import observation_fingerprint
from schemas.messages import CameraObservation, HeartbeatEntry

HEARTBEAT_CHUNK = 1000
"""Cameras per heartbeat message (about 130 bytes each in JSON)."""


@dataclass(frozen=True, slots=True)
class CycleSplit:
    full: tuple[CameraObservation, ...]
    unchanged: tuple[HeartbeatEntry, ...]
    snapshot: bool
    """True when this cycle is a full snapshot of every camera."""


@dataclass(slots=True)
class ChangeTracker:
    full_snapshot_interval_s: float
    """0: every cycle is a full snapshot."""
    _sent: dict[str, str] = field(default_factory=dict)
    _last_snapshot: float | None = None

    def split(self, observations: tuple[CameraObservation, ...], now_s: float) -> CycleSplit:
        """Sort one cycle's observations; ``now_s`` is a monotonic time in
        seconds. Records what goes out in full as sent."""
        snapshot = (
            self._last_snapshot is None
            or self.full_snapshot_interval_s == 0
            or now_s - self._last_snapshot >= self.full_snapshot_interval_s
        )
        if snapshot:
            self._last_snapshot = now_s
        full: list[CameraObservation] = []
        unchanged: list[HeartbeatEntry] = []
        for observation in observations:
            fingerprint = observation_fingerprint(observation)
            if not snapshot and self._sent.get(observation.address) == fingerprint:
                unchanged.append(
                    HeartbeatEntry(
                        address=observation.address,
                        reachable=observation.reachable,
                        facts_hash=fingerprint,
                    )
                )
            else:
                full.append(observation)
                self._sent[observation.address] = fingerprint
        return CycleSplit(tuple(full), tuple(unchanged), snapshot)

    def forget(self) -> None:
        """Send everything in full next cycle (e.g. a new policy)."""
        self._sent.clear()
        self._last_snapshot = None


def chunks(entries: tuple[HeartbeatEntry, ...]) -> list[tuple[HeartbeatEntry, ...]]:
    return [entries[i : i + HEARTBEAT_CHUNK] for i in range(0, len(entries), HEARTBEAT_CHUNK)]
