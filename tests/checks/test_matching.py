"""Matching an observed device to the site's declaration."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.checks import SiteIndex, split_address
from checks.factory import make_policy, policy_data
from schemas.facts import ObservedIdentity
from schemas.policy import Policy, Site

SITE = make_policy().sites[0]
INDEX = SiteIndex(SITE)


def site_with(*identities: dict[str, str], foreign: tuple[dict[str, str], ...] = ()) -> Site:
    data = policy_data()
    data["sites"] = [{
        "id": "s", "name": "S", "storage_place": "room",
        "cameras": [
            {"id": f"c{i}", "name": f"C{i}", "location": "l", "coverage": "c", "identity": ident}
            for i, ident in enumerate(identities)
        ],
        "foreign_cameras": [
            {"owner": "o", "location": "l", "identity": ident} for ident in foreign
        ],
    }]
    return Policy.model_validate_json(json.dumps(data)).sites[0]


KEYED = site_with(
    {"serial": "SN-A"},
    {"mac": "00:11:22:33:44:55"},
    {"endpoint_reference": "urn:uuid:0A0B0C0D-0000-4000-8000-000000000001"},
    {"address": "127.0.0.4:8080"},
    {"address": "127.0.0.5"},
    {"address": "[::1]:8081"},
    {"serial": "SN-F", "address": "127.0.0.6:80"},
    foreign=({"address": "127.0.0.9"}, {"serial": "THEIRS-1"}),
)
KEYED_INDEX = SiteIndex(KEYED)


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        pytest.param(ObservedIdentity(address="127.0.0.1:80", serial="SN-A"), "c0", id="serial"),
        pytest.param(ObservedIdentity(address="127.0.0.1:80", serial=" SN-A "), "c0",
                     id="serial-surrounding-space"),
        pytest.param(ObservedIdentity(address="127.0.0.1:80", macs=("00:11:22:33:44:55",)),
                     "c1", id="mac"),
        pytest.param(ObservedIdentity(address="127.0.0.1:80",
                                      macs=("aa:aa:aa:aa:aa:aa", "00:11:22:33:44:55")),
                     "c1", id="second-mac"),
        pytest.param(ObservedIdentity(address="127.0.0.1:80", macs=("00:11:22:33:44:55".upper(),)),
                     "c1", id="mac-upper-case"),
        pytest.param(ObservedIdentity(
            address="127.0.0.1:80",
            endpoint_reference="urn:uuid:0a0b0c0d-0000-4000-8000-000000000001"),
            "c2", id="endpoint-reference-any-case"),
        pytest.param(ObservedIdentity(address="127.0.0.4:8080"), "c3", id="host-port"),
        pytest.param(ObservedIdentity(address="127.0.0.5:8000"), "c4", id="host-any-port"),
        pytest.param(ObservedIdentity(address="127.0.0.5:80"), "c4", id="host-another-port"),
        pytest.param(ObservedIdentity(address="[::1]:8081"), "c5", id="ipv6-host-port"),
        pytest.param(ObservedIdentity(address="127.0.0.6:80", serial="SN-F"), "c6",
                     id="all-keys-agree"),
        pytest.param(ObservedIdentity(address="127.0.0.4:9999", serial="SN-A"), "c0",
                     id="serial-beats-address-device-moved"),
    ],
)
def test_declared(identity: ObservedIdentity, expected: str) -> None:
    match = KEYED_INDEX.match(identity)
    assert match.kind == "declared"
    assert match.camera is not None and match.camera.id == expected


@pytest.mark.parametrize(
    "identity",
    [
        pytest.param(ObservedIdentity(address="127.0.0.1:80"), id="nothing-known"),
        pytest.param(ObservedIdentity(address="127.0.0.4:8081"), id="declared-host-other-port"),
        pytest.param(ObservedIdentity(address="127.0.0.1:80", serial="SN-Z"), id="other-serial"),
        pytest.param(ObservedIdentity(address="127.0.0.6:80", serial="SN-OTHER"),
                     id="swapped-device-at-declared-address"),
        pytest.param(ObservedIdentity(address="127.0.0.1:80", serial="sn-a"),
                     id="serial-is-case-sensitive"),
    ],
)
def test_unknown(identity: ObservedIdentity) -> None:
    assert KEYED_INDEX.match(identity).kind == "unknown"


@pytest.mark.parametrize(
    "identity",
    [
        pytest.param(ObservedIdentity(address="127.0.0.9:80"), id="by-host"),
        pytest.param(ObservedIdentity(address="127.0.0.1:80", serial="THEIRS-1"), id="by-serial"),
    ],
)
def test_foreign(identity: ObservedIdentity) -> None:
    match = KEYED_INDEX.match(identity)
    assert match.kind == "foreign"
    assert match.foreign is not None and match.camera is None


def test_match_by_address_alone() -> None:
    assert KEYED_INDEX.match_address("127.0.0.5:554").camera is not None
    assert KEYED_INDEX.match_address("127.0.0.9:80").kind == "foreign"
    assert KEYED_INDEX.match_address("127.0.0.77:80").kind == "unknown"


def test_mac_conflict_rejects_an_address_match() -> None:
    site = site_with({"mac": "00:11:22:33:44:55", "address": "127.0.0.4:80"})
    index = SiteIndex(site)
    other = ObservedIdentity(address="127.0.0.4:80", macs=("66:77:88:99:aa:bb",))
    assert index.match(other).kind == "unknown"


def test_declared_by_id() -> None:
    assert INDEX.declared("cam2") is SITE.cameras[1]
    assert INDEX.declared("nope") is None


def test_keys_colliding_once_normalised_are_refused() -> None:
    site = site_with({"address": "cam.example"}, {"address": "CAM.example"})
    with pytest.raises(ValueError, match=r"identity address 'cam\.example' names two cameras"):
        SiteIndex(site)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:80", ("127.0.0.1", "80")),
        ("127.0.0.1", ("127.0.0.1", None)),
        ("Cam.Local:8000", ("cam.local", "8000")),
        ("[::1]:80", ("::1", "80")),
        ("[::1]", ("::1", None)),
        ("::1", ("::1", None)),
        ("127.0.0.1:", ("127.0.0.1", None)),
    ],
)
def test_split_address(address: str, expected: tuple[str, str | None]) -> None:
    assert split_address(address) == expected


@given(st.lists(st.from_regex(r"[A-Z0-9]{4,12}", fullmatch=True), min_size=1, max_size=30,
                unique=True),
       st.data())
def test_every_declared_serial_matches_its_camera(serials: list[str], data: st.DataObject) -> None:
    site = site_with(*({"serial": s, "address": f"127.0.1.{i}:80"} for i, s in
                       enumerate(serials)))
    index = SiteIndex(site)
    i = data.draw(st.integers(0, len(serials) - 1))
    # Seen at another camera's address (the devices were re-addressed): the serial wins.
    j = data.draw(st.integers(0, len(serials) - 1))
    match = index.match(ObservedIdentity(address=f"127.0.1.{j}:80", serial=serials[i]))
    assert match.camera is not None and match.camera.id == f"c{i}"
