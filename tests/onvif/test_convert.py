"""The pure pieces: conversions, the WS-Security token, fault classification."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace as NS
from typing import Any

import isodate
import pytest
from lxml import etree
from zeep.exceptions import Fault

from agent.onvif import convert
from agent.onvif.boundary import classify_fault
from agent.onvif.wsse import (
    WSSE_NS,
    WSU_NS,
    UsernameTokenText,
    created_text,
    password_digest,
    security_header,
)
from schemas.errors import AuthFailed, NotSupported, ProtocolError

REF = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(("value", "seconds"), [
    pytest.param(timedelta(days=30), 30 * 86400, id="timedelta"),
    pytest.param(timedelta(0), 0, id="PT0S-unlimited"),
    pytest.param(isodate.Duration(months=1), 30 * 86400, id="P1M-from-november"),
    pytest.param(isodate.Duration(years=1), 365 * 86400, id="P1Y"),
    pytest.param("P10D", 10 * 86400, id="string"),
    pytest.param("ten days", None, id="garbage-string"),
    pytest.param(None, None, id="absent"),
    pytest.param(42, None, id="not-a-duration"),
])
def test_duration_seconds(value: Any, seconds: int | None) -> None:
    assert convert.duration_seconds(value, REF) == seconds


@pytest.mark.parametrize(("raw", "mac"), [
    ("00:1A:2B:3C:4D:5E", "00:1a:2b:3c:4d:5e"),
    ("00-1a-2b-3c-4d-5e", "00:1a:2b:3c:4d:5e"),
    ("001A.2B3C.4D5E", "00:1a:2b:3c:4d:5e"),
    ("001a2b3c4d5e", "00:1a:2b:3c:4d:5e"),
    (" 00:1a:2b:3c:4d:5e\n", "00:1a:2b:3c:4d:5e"),
    ("00:00:00:00:00:00", None),
    ("not-a-mac", None),
    (None, None),
])
def test_normalise_mac(raw: str | None, mac: str | None) -> None:
    assert convert.normalise_mac(raw) == mac


@pytest.mark.parametrize(("xaddr", "fixed"), [
    pytest.param("http://192.168.1.64/onvif/media", "http://127.0.0.1:8080/onvif/media",
                 id="private-host"),
    pytest.param("http://10.0.0.5:80:80/onvif/ptz", "http://127.0.0.1:8080/onvif/ptz",
                 id="doubled-port"),
    pytest.param("https://cam/onvif/x?a=1", "http://127.0.0.1:8080/onvif/x?a=1", id="query"),
    pytest.param("http://a/x http://b/y", "http://127.0.0.1:8080/x", id="several-xaddrs"),
    pytest.param("", None, id="empty"),
    pytest.param("http://cam", None, id="no-path"),
    pytest.param(None, None, id="absent"),
])
def test_fix_xaddr(xaddr: str | None, fixed: str | None) -> None:
    assert convert.fix_xaddr(xaddr, "http://127.0.0.1:8080") == fixed


def _sdt(second: int = 5, day: int = 24, kind: str = "NTP") -> Any:
    return NS(DateTimeType=kind, UTCDateTime=NS(Date=NS(Year=2026, Month=11, Day=day),
                                                Time=NS(Hour=23, Minute=59, Second=second)))


def test_camera_utc_carries_overflowing_fields() -> None:
    assert convert.camera_utc(_sdt(second=60)) == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def test_camera_utc_invalid_date_is_unknown() -> None:
    assert convert.camera_utc(_sdt(day=31)) is None


def test_clock_facts_manual_clock() -> None:
    clock = convert.clock_facts(_sdt(kind="Manual"), REF)
    assert clock is not None and clock.ntp is False


@pytest.mark.parametrize(("value", "expected"), [
    (datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=9))),
     datetime(2026, 1, 1, tzinfo=UTC)),
    (datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC)),
    ("2026-01-01", None),
])
def test_as_utc(value: Any, expected: datetime | None) -> None:
    assert convert.as_utc(value) == expected


def test_ntp_servers_in_order_once_each() -> None:
    info = NS(NTPFromDHCP=[NS(DNSname="ntp.example")],
              NTPManual=[NS(IPv4Address="10.0.0.1"), NS(DNSname="ntp.example")])
    assert convert.ntp_servers(info) == ("ntp.example", "10.0.0.1")


def test_password_digest_matches_the_onvif_programmers_guide() -> None:
    nonce = base64.b64decode("LKqI6G/AikKCQrN0zqZFlg==")
    assert password_digest(nonce, "2010-09-16T07:50:45Z", "userpassword") == (
        "tuOSpGlFlIXsozq4HFNeeGeFLEI=")


def test_security_header_is_dated_in_zulu_and_digests_what_it_sends() -> None:
    created = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone(timedelta(hours=9)))
    header = security_header("admin", "pw", created, nonce=b"0123456789abcdef")
    token = header.find(f"{{{WSSE_NS}}}UsernameToken")
    sent_created = token.findtext(f"{{{WSU_NS}}}Created")
    assert sent_created == "2026-01-01T18:04:05Z"
    assert token.findtext(f"{{{WSSE_NS}}}Password") == password_digest(
        b"0123456789abcdef", sent_created, "pw")


@pytest.mark.parametrize("username", ["admin", "ad<m&\"x'>", "\u00fc\r\tx", "a]]>b"],
                         ids=["plain", "markup", "non-ascii-and-cr", "cdata-end"])
def test_username_token_text_is_the_element_serialised(username: str) -> None:
    created = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone(timedelta(hours=9)))
    element = security_header(username, "p\u00e4ss", created, nonce=b"0123456789abcdef")
    text = UsernameTokenText(username, "p\u00e4ss").render(created, nonce=b"0123456789abcdef")
    assert text == etree.tostring(element, encoding="unicode")


def test_username_token_text_dates_each_call_by_its_own_second() -> None:
    token = UsernameTokenText("admin", "pw")
    base = datetime(2026, 1, 2, 3, 4, 5, 999000, tzinfo=UTC)
    for moment in (base, base + timedelta(milliseconds=1), base, base + timedelta(hours=-1)):
        assert token.render(moment, nonce=b"n" * 16) == etree.tostring(
            security_header("admin", "pw", moment, nonce=b"n" * 16), encoding="unicode")
    with pytest.raises(ValueError, match="aware"):
        token.render(datetime(2026, 1, 1))


def test_username_token_text_refuses_what_lxml_refuses() -> None:
    with pytest.raises(ValueError, match="XML compatible"):
        UsernameTokenText("admin\x01", "pw")


def test_naive_created_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        created_text(datetime(2026, 1, 1))


def _qname(text: str) -> Any:
    return etree.QName("http://www.onvif.org/ver10/error", text)


@pytest.mark.parametrize(("fault", "kind"), [
    pytest.param(Fault("Sender not Authorized", code="env:Sender",
                       subcodes=[_qname("NotAuthorized")]), AuthFailed, id="not-authorized"),
    pytest.param(Fault("Sender not Authorized", code="env:Sender"), AuthFailed,
                 id="reason-only"),
    pytest.param(Fault("x", code="env:Receiver", subcodes=[_qname("ActionNotSupported")]),
                 NotSupported, id="action-not-supported"),
    pytest.param(Fault("Optional Action Not Implemented", code="env:Receiver"), NotSupported,
                 id="not-implemented-reason"),
    pytest.param(Fault("x", code="env:Sender", subcodes=[_qname("InvalidArgVal"),
                                                          _qname("NoProfile")]),
                 NotSupported, id="no-profile"),
    pytest.param(Fault("boom", code="env:Receiver"), ProtocolError, id="receiver"),
])
def test_classify_fault(fault: Fault, kind: type) -> None:
    error = classify_fault(fault, "127.0.0.1:80", "GetProfiles")
    assert type(error) is kind
    assert "127.0.0.1:80 GetProfiles" in str(error)
