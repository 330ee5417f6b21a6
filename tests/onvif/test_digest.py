"""HTTP Digest: the RFC's worked examples, challenge parsing, and a
Digest-only camera audited end to end."""

from __future__ import annotations

import pytest

from agent.onvif import Credentials, OnvifClient
from agent.onvif.digest import Challenge, DigestAuth, authorization, parse_challenge

GOOD = Credentials("admin", "s3cret")


def test_rfc2617_md5_example() -> None:
    challenge = Challenge(realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                          qop=("auth", "auth-int"), opaque="5ccc069c403ebaf9f0171e9517f40e41")
    header = authorization(challenge, "Mufasa", "Circle Of Life", "GET", "/dir/index.html",
                           1, "0a4f113b")
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert "nc=00000001" in header and 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in header


@pytest.mark.parametrize(("algorithm", "response"), [
    ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
], ids=["md5", "sha-256"])
def test_rfc7616_examples(algorithm: str, response: str) -> None:
    challenge = Challenge(realm="http-auth@example.org", algorithm=algorithm, qop=("auth",),
                          nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v")
    header = authorization(challenge, "Mufasa", "Circle of Life", "GET", "/dir/index.html", 1,
                           "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
    assert f'response="{response}"' in header


def test_challenge_without_qop_uses_the_rfc2069_form() -> None:
    header = authorization(Challenge(realm="r", nonce="n"), "u", "p", "POST", "/x", 1, "c")
    assert "qop=" not in header and "nc=" not in header and header.startswith("Digest ")


@pytest.mark.parametrize(("headers", "expected"), [
    (['Digest realm="cam", nonce="abc", qop="auth,auth-int", algorithm=MD5'],
     Challenge(realm="cam", nonce="abc", qop=("auth", "auth-int"))),
    (['Basic realm="web"', 'Digest realm="a, b", nonce="n1", stale=TRUE, opaque="o"'],
     Challenge(realm="a, b", nonce="n1", stale=True, opaque="o")),
    (['digest realm="r", nonce="n", algorithm=sha-256-sess'],
     Challenge(realm="r", nonce="n", algorithm="SHA-256-SESS")),
    (['Basic realm="web"'], None),
    (['Digest realm="no nonce"'], None),
    ([], None),
], ids=["plain", "after-basic", "lower-case-sess", "basic-only", "no-nonce", "no-header"])
def test_parse_challenge(headers: list[str], expected: Challenge | None) -> None:
    assert parse_challenge(headers) == expected


def test_unanswerable_challenges_give_no_header() -> None:
    auth = DigestAuth("u", "p")
    auth.accept(Challenge(realm="r", nonce="n", algorithm="SHA-512-256"))
    assert auth.header("POST", "/") is None
    auth.accept(Challenge(realm="r", nonce="n", qop=("auth-int",)))
    assert auth.header("POST", "/") is None


def test_nonce_count_increases_and_restarts_with_a_new_challenge() -> None:
    auth = DigestAuth("u", "p")
    auth.accept(Challenge(realm="r", nonce="n", qop=("auth",)))
    assert [("nc=00000001" in h, "nc=00000002" in h) for h in
            (auth.header("POST", "/"), auth.header("POST", "/"))] == [(True, False), (False, True)]
    auth.accept(Challenge(realm="r", nonce="m", qop=("auth",)))
    assert "nc=00000001" in (auth.header("POST", "/") or "")


def test_digest_state_repr_hides_the_password() -> None:
    assert "hunter2" not in repr(DigestAuth("u", "hunter2"))


async def test_digest_only_camera_is_audited_with_http_digest(onvif: OnvifClient,
                                                              replay_camera) -> None:
    camera = await replay_camera(digest=("admin", "s3cret"))
    collected = await onvif.collect(camera.address, GOOD)
    assert collected.errors == ()
    facts = collected.facts
    assert facts is not None and facts.security is not None
    assert facts.security.model_dump() == {"anonymous_access": False,
                                           "auth_scheme": "http-digest", "tls": False}
    assert facts.device is not None and facts.recording is not None and facts.ptz is not None
    # Challenged: the bare clock read, the signed retry, the anonymous probe. Every
    # later signed call carried Digest up front.
    assert camera.challenges == 3


async def test_digest_is_remembered_for_the_next_collect(onvif: OnvifClient,
                                                          replay_camera) -> None:
    camera = await replay_camera(digest=("admin", "s3cret"))
    await onvif.collect(camera.address, GOOD)
    first = camera.challenges
    collected = await onvif.collect(camera.address, GOOD)
    assert collected.errors == ()
    assert camera.challenges - first == 2  # only the two deliberately bare calls


async def test_rotated_nonce_is_rechallenged_once(onvif: OnvifClient, replay_camera) -> None:
    camera = await replay_camera(digest=("admin", "s3cret"))
    await onvif.collect(camera.address, GOOD)
    camera.nonce = "rotated77"
    collected = await onvif.collect(camera.address, GOOD)
    assert collected.errors == ()
    assert collected.facts is not None and collected.facts.security is not None
    assert collected.facts.security.auth_scheme == "http-digest"


async def test_wrong_password_on_a_digest_camera_is_auth_failed(onvif: OnvifClient,
                                                                replay_camera) -> None:
    camera = await replay_camera(digest=("admin", "s3cret"))
    collected = await onvif.collect(camera.address, Credentials("admin", "wrong"))
    assert (collected.reachable, collected.facts) == (True, None)
    assert {(e.kind, e.operation) for e in collected.errors} == {
        ("auth-failed", "GetSystemDateAndTime"), ("auth-failed", "GetDeviceInformation")}
    assert camera.requests == []  # never let in


async def test_ws_security_camera_never_sees_digest(onvif: OnvifClient, replay_camera) -> None:
    camera = await replay_camera()
    collected = await onvif.collect(camera.address, GOOD)
    assert collected.facts is not None and collected.facts.security is not None
    assert collected.facts.security.auth_scheme == "ws-security"
