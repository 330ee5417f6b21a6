"""What an observation says about a device, as one hash.

The agent and the controller must agree on it byte for byte: the agent
sends a heartbeat instead of a full report when a camera's fingerprint did
not change, and the controller applies the heartbeat only to an
observation stored with the same fingerprint. So it lives here, in the
shared vocabulary, and both import it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from schemas.messages import CameraObservation


def observation_fingerprint(observation: CameraObservation) -> str:
    """SHA-256 (64 hex digits) of an observation, leaving out what moves on
    every audit of an unchanged device: the audit time, the clock readings
    (but not their offset, rounded to the second), the ends of continuous
    footage, the wording of summaries and error messages. Equal
    fingerprints: nothing worth a history row, nor a full report."""
    data: dict[str, Any] = observation.model_dump(mode="json", exclude={"observed_at"})
    facts = data.get("facts")
    if facts:
        clock = facts.get("clock")
        if clock and observation.facts is not None and observation.facts.clock is not None:
            facts["clock"] = {
                "offset_s": round(observation.facts.clock.offset_seconds),
                "ntp": clock["ntp"],
                "ntp_servers": clock["ntp_servers"],
            }
        recording = facts.get("recording")
        if recording:
            recording.pop("data_from", None)
            recording.pop("data_until", None)
            for item in recording.get("recordings", ()):
                item.pop("data_from", None)
                item.pop("data_until", None)
    data["findings"] = sorted(f["rule"] for f in data["findings"])
    data["errors"] = sorted((e["kind"], e["operation"]) for e in data["errors"])
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
