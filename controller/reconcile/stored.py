"""A site's memo (``Judged`` by address) as bytes, and back.

The memo is what spares a pass the parsing and judging of observations it
has judged before. It lives in the controller's memory, so a restarted
controller would parse and judge every observation of the fleet again
(two minutes at two million cameras, bench/README.md). Kept in the store
as this text, it is read back instead: the judgement of an observation is
a pure function of its report, the policy and the code that judges, so an
entry is as true after a restart as before, as long as the caller keys the
text by policy and code (``controller.judged``) and the store's tokens
still match (an observation reported anew since is parsed as usual).

One JSON document, zlib-compressed (some 7 KB a site of 40 cameras as
JSON, a fifth of it compressed: 50,000 sites write and read tens of MB,
not 350): ``{"format": 1, "entries": [...]}``, an entry a list of
address, facts version (the report id), time version (SQLite's text as it
is, a PostgreSQL time as ``{"at": ISO}``), reachable, observed_at (ISO),
camera id, errors, match (null: unknown; ``["declared", camera id]``;
``["foreign", position]``), the unmatched finding and the device findings
(each model as its own JSON text).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Hashable, Mapping
from datetime import datetime
from typing import Any

from agent.checks.matching import UNKNOWN, Match, SiteIndex
from controller.reconcile.model import Judged
from controller.reconcile.site import lean
from schemas.findings import Finding
from schemas.messages import CameraErrorInfo

FORMAT = 1


def dump_memo(memo: Mapping[str, Judged], index: SiteIndex) -> bytes:
    """``memo`` (of ``index``'s site) as bytes. Raises TypeError for a token
    that is not the store's (a string, and a string or an aware time)."""
    text = json.dumps(
        {"format": FORMAT, "entries": [_entry(a, e, index) for a, e in memo.items()]},
        separators=(",", ":"),
    )
    return zlib.compress(text.encode(), 1)


def load_memo(data: bytes, index: SiteIndex) -> dict[str, Judged]:
    """The memo ``dump_memo`` wrote, of ``index``'s site under the policy it
    was judged by. Raises ValueError naming what is wrong: bytes that are
    not such a document, or a match the policy does not have (the caller
    keyed it wrongly)."""
    try:
        document = json.loads(zlib.decompress(data))
    except zlib.error as exc:
        raise ValueError(f"site {index.site.id!r}: stored memo is not compressed: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"site {index.site.id!r}: stored memo is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"site {index.site.id!r}: stored memo is not of format {FORMAT}")
    memo: dict[str, Judged] = {}
    for number, item in enumerate(document.get("entries", ())):
        try:
            address, judged = _judged(item, index)
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise ValueError(
                f"site {index.site.id!r}: stored memo entry {number}: {exc}"
            ) from None
        memo[address] = judged
    return memo


def _entry(address: str, entry: Judged, index: SiteIndex) -> list[Any]:
    report, time = entry.token
    if not isinstance(report, str):
        raise TypeError(f"{address}: facts version {report!r} is not a report id")
    observation = entry.observation
    return [
        address,
        report,
        _dump_time(address, time),
        observation.reachable,
        observation.observed_at.isoformat(),
        observation.camera_id,
        [e.model_dump_json() for e in observation.errors],
        _dump_match(entry.match, index),
        entry.unmatched.model_dump_json() if entry.unmatched is not None else None,
        [f.model_dump_json() for f in entry.device],
    ]


def _dump_time(address: str, time: Hashable) -> str | dict[str, str]:
    if isinstance(time, str):
        return time
    if isinstance(time, datetime) and time.utcoffset() is not None:
        return {"at": time.isoformat()}
    raise TypeError(f"{address}: time version {time!r} is neither text nor an aware time")


def _dump_match(match: Match, index: SiteIndex) -> list[Any] | None:
    if match.kind == "declared":
        assert match.camera is not None
        return ["declared", match.camera.id]
    if match.kind == "foreign":
        return ["foreign", index.foreign_position(match)]
    return None


def _judged(item: list[Any], index: SiteIndex) -> tuple[str, Judged]:
    address, report, time, reachable, observed_at, camera_id, errors, match, unmatched, device = (
        item
    )
    if not isinstance(address, str) or not isinstance(report, str):
        raise TypeError("address and report must be text")
    if isinstance(time, dict):
        time = _aware(time["at"])
    elif not isinstance(time, str):
        raise TypeError(f"time version {time!r} is neither text nor {{'at': ISO}}")
    if not isinstance(reachable, bool) or not (camera_id is None or isinstance(camera_id, str)):
        raise TypeError("reachable must be true or false, camera id text or null")
    observation = lean(
        address,
        reachable,
        _aware(observed_at),
        camera_id,
        tuple(CameraErrorInfo.model_validate_json(e) for e in errors) if errors else (),
    )
    return address, Judged(
        (report, time),
        observation,
        _load_match(match, index),
        Finding.model_validate_json(unmatched) if unmatched is not None else None,
        tuple(Finding.model_validate_json(f) for f in device) if device else (),
    )


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.utcoffset() is None:
        raise ValueError(f"time {text!r} has no zone")
    return value


def _load_match(value: list[Any] | None, index: SiteIndex) -> Match:
    if value is None:
        return UNKNOWN
    kind, key = value
    match = (
        index.declared_match(key) if kind == "declared"
        else index.foreign_match(key) if kind == "foreign" and isinstance(key, int)
        else None
    )
    if match is None:
        raise ValueError(f"match {value!r} is not a camera of this policy's site")
    return match
