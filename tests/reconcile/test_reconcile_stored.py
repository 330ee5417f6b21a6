"""A memo written as bytes and read back (``controller.reconcile.stored``)
is the memo it was: the same entries, and reconcile with it says what
reconcile without any memo says. Text that is not such a memo, or of
another policy's site, is refused with an error that names the site."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from checks.factory import NOW
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.checks import SiteIndex
from controller.reconcile import Judged, SiteObservations, lean, reconcile_site
from controller.reconcile.stored import dump_memo, load_memo
from reconcile.test_reconcile_properties import POLICY, SITE, site_states
from schemas.messages import CameraErrorInfo, CameraObservation

INDEX = SiteIndex(SITE)


def _store_tokens(state: SiteObservations, sqlite: bool) -> dict[str, tuple[str, object]]:
    """Tokens as the store gives them: a report id, and the time as
    SQLite's text or as PostgreSQL's aware datetime."""
    return {
        a: (f"report-{a}", o.observed_at.isoformat(sep=" ") if sqlite else o.observed_at)
        for a, o in state.cameras.items()
    }


@settings(max_examples=200, deadline=None)
@given(state=site_states(), sqlite=st.booleans(), later_s=st.integers(0, 3600))
def test_a_memo_read_back_is_the_memo_and_changes_no_verdict(
    state: SiteObservations, sqlite: bool, later_s: int
) -> None:
    state = replace(state, tokens=_store_tokens(state, sqlite))
    memo: dict[str, Judged] = {}
    reconcile_site(POLICY, SITE, state, NOW, index=INDEX, memo=memo)
    restored = load_memo(dump_memo(memo, INDEX), INDEX)
    assert restored == memo
    assert [type(e.token[1]) for e in restored.values()] == [
        type(e.token[1]) for e in memo.values()]
    later = NOW + timedelta(seconds=later_s)
    lean_state = replace(state, cameras={a: restored[a].observation for a in state.cameras})
    assert reconcile_site(POLICY, SITE, lean_state, later, index=INDEX, memo=restored) == (
        reconcile_site(POLICY, SITE, replace(state, tokens=None), later, index=INDEX)
    )


def test_errors_and_foreign_cameras_survive_the_text() -> None:
    at = NOW - timedelta(minutes=2)
    silent = CameraObservation(
        address="127.0.0.2:80", reachable=False, observed_at=at, camera_id="cam1",
        errors=(CameraErrorInfo(kind="timeout", operation="GetProfiles", message="no answer"),))
    foreign = CameraObservation(address="127.0.0.9:80", reachable=False, observed_at=at)
    state = SiteObservations(
        site_id=SITE.id, cameras={o.address: o for o in (silent, foreign)},
        last_full_cycle_at=None, full_cycle_addresses=frozenset(), agent=None,
        tokens={"127.0.0.2:80": ("r1", "t1"), "127.0.0.9:80": ("r2", "t2")})
    memo: dict[str, Judged] = {}
    reconcile_site(POLICY, SITE, state, NOW, index=INDEX, memo=memo)
    assert memo["127.0.0.9:80"].match.kind == "foreign"
    restored = load_memo(dump_memo(memo, INDEX), INDEX)
    assert restored == memo
    assert restored["127.0.0.2:80"].observation.errors == silent.errors


def test_lean_is_what_model_construct_makes() -> None:
    """``lean`` builds the model by hand for speed: it must be the very
    object pydantic's own constructors make, fields set included."""
    errors = (CameraErrorInfo(kind="timeout", operation="GetProfiles", message="m"),)
    made = lean("127.0.0.1:80", False, NOW, "cam1", errors)
    validated = CameraObservation(address="127.0.0.1:80", reachable=False, observed_at=NOW,
                                  camera_id="cam1", errors=errors)
    assert made == validated
    assert made.model_dump() == validated.model_dump()
    assert made.model_fields_set == set(CameraObservation.model_fields)
    assert CameraObservation.model_validate_json(made.model_dump_json()) == made
    with pytest.raises(Exception, match="frozen"):
        made.reachable = True  # type: ignore[misc]


def _one_entry_memo() -> bytes:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    observation = CameraObservation(address="127.0.0.1:80", reachable=False, observed_at=at,
                                    camera_id="cam1")
    state = SiteObservations(site_id=SITE.id, cameras={"127.0.0.1:80": observation},
                             last_full_cycle_at=None, full_cycle_addresses=frozenset(),
                             agent=None, tokens={"127.0.0.1:80": ("r1", "t1")})
    memo: dict[str, Judged] = {}
    reconcile_site(POLICY, SITE, state, NOW, index=INDEX, memo=memo)
    return dump_memo(memo, INDEX)


def _packed(text: str) -> bytes:
    return zlib.compress(text.encode())


def _with_entry(change: dict[int, object]) -> bytes:
    document = json.loads(zlib.decompress(_one_entry_memo()))
    for position, value in change.items():
        document["entries"][0][position] = value
    return _packed(json.dumps(document))


@pytest.mark.parametrize(("data", "says"), [
    (b"not compressed", "is not compressed"),
    (_packed("not json"), "is not JSON"),
    (_packed('{"format": 2, "entries": []}'), "is not of format 1"),
    (_packed("[]"), "is not of format 1"),
    (_packed('{"format": 1, "entries": [[1, 2]]}'), "entry 0"),
    (_with_entry({7: ["declared", "no-such-camera"]}), "is not a camera of this policy's site"),
    (_with_entry({7: ["foreign", 99]}), "is not a camera of this policy's site"),
    (_with_entry({4: "2026-12-01T00:00:00"}), "has no zone"),
    (_with_entry({3: "yes"}), "reachable must be true or false"),
    (_with_entry({2: 5}), "neither text nor"),
    (_with_entry({9: ['{"rule": 1}']}), "entry 0"),
])
def test_bytes_that_are_not_a_memo_of_this_site_are_refused(data: bytes, says: str) -> None:
    with pytest.raises(ValueError, match=says) as caught:
        load_memo(data, INDEX)
    assert f"site {SITE.id!r}" in str(caught.value)


def test_a_token_the_store_does_not_make_is_refused_on_writing() -> None:
    memo = load_memo(_one_entry_memo(), INDEX)
    entry = memo["127.0.0.1:80"]
    memo["127.0.0.1:80"] = replace(entry, token=(("r", 1), "t1"))
    with pytest.raises(TypeError, match="is not a report id"):
        dump_memo(memo, INDEX)
    memo["127.0.0.1:80"] = replace(entry, token=("r1", datetime(2026, 12, 1)))
    with pytest.raises(TypeError, match="neither text nor an aware time"):
        dump_memo(memo, INDEX)
