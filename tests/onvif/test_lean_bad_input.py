"""The lean reader on bad input: it either reads an answer or says
``Unrecognised`` (the caller then hands the same answer to zeep, which
classifies it as before); no other exception escapes, and an answer in the
wrong namespace is never read as facts."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from multidict import CIMultiDict

from agent.onvif import lean
from agent.onvif.lean_shapes import TT
from agent.onvif.transport import HttpReply
from tests.onvif.conftest import REPLAYS

STRICT = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
OPERATIONS = sorted(op for op in lean.ANSWERS if (REPLAYS / "base" / f"{op}.xml").exists())
BASE = {op: (REPLAYS / "base" / f"{op}.xml").read_bytes() for op in OPERATIONS}


def reply(content: bytes, status: int = 200) -> HttpReply:
    return HttpReply(status, content, CIMultiDict(), "utf-8",
                          etree.fromstring(content, STRICT))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(operation=st.sampled_from(OPERATIONS), data=st.data())
def test_garbled_answer_is_read_or_unrecognised(operation: str, data: st.DataObject) -> None:
    content = BASE[operation]
    start = data.draw(st.integers(0, len(content)))
    end = data.draw(st.integers(start, len(content)))
    junk = data.draw(st.binary(max_size=40) | st.sampled_from(
        [b"", b"<x/>", b"<tt:Foo>1</tt:Foo>", b"abc", b"-1.5", b'xsi:nil="true"']))
    garbled = content[:start] + junk + content[end:]
    try:
        parsed = reply(garbled)
    except (etree.XMLSyntaxError, ValueError):
        return  # the transport rejects it as not well-formed: a protocol error
    try:
        lean.read_reply(parsed, operation)
    except lean.Unrecognised:
        pass


@settings(max_examples=100, deadline=None)
@given(operation=st.sampled_from(OPERATIONS),
       namespace=st.sampled_from(["http://example.com/other", "urn:x", "http://www.onvif.org/ver20/schema"]))
def test_response_in_the_wrong_namespace_is_unrecognised(operation: str, namespace: str) -> None:
    answer = lean.ANSWERS[operation]
    content = BASE[operation].replace(answer.namespace.encode(), namespace.encode())
    with pytest.raises(lean.Unrecognised):
        lean.read_reply(reply(content), operation)


@pytest.mark.parametrize("status", [400, 401, 500])
def test_other_status_is_left_to_zeep(status: int) -> None:
    with pytest.raises(lean.Unrecognised):
        lean.read_reply(reply(BASE["GetProfiles"], status), "GetProfiles")


def test_schema_elements_in_another_namespace_are_unrecognised() -> None:
    content = BASE["GetStatus"].replace(TT.encode(), b"http://example.com/tt")
    with pytest.raises(lean.Unrecognised):
        lean.read_reply(reply(content), "GetStatus")


def test_a_value_that_does_not_parse_is_unrecognised_with_where_it_is() -> None:
    import re

    from agent.onvif.lean_shapes import Shape, Unrecognised, read

    shape = Shape(children={"Port": int}, attributes={"token": int})

    def net(token: str, port: str) -> etree._Element:
        return etree.fromstring(
            f'<tt:Net xmlns:tt="{TT}" token="{token}"><tt:Port>{port}</tt:Port></tt:Net>'
        )

    tag = re.escape(f"{{{TT}}}")
    with pytest.raises(Unrecognised, match=rf"^{tag}Port: '80x' does not parse$"):
        read(net("7", "80x"), shape)
    with pytest.raises(Unrecognised, match=rf"^{tag}Net@token: 'seven' does not parse$"):
        read(net("seven", "80"), shape)
    assert read(net("7", "80"), shape) == {"token": 7, "Port": 80}
