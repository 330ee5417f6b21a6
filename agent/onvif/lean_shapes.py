"""The answer shapes the lean path reads, and the reader that walks them.

Each ONVIF operation the lean path covers has a ``Shape``: the elements
(and attributes) that ``convert`` reads, nothing else. ``read_answer``
turns the body of an answer into what zeep would have handed ``convert``
for those elements: dicts for complex values (``convert.pick`` reads dicts
and zeep objects alike), lists for repeated elements, and scalars parsed by
zeep's own XSD builtins (``int``, ``float``, ``datetime``, durations), so
that a value reads the same on both paths. Like zeep's, a single-element
response is unwrapped to that element's value.

Anything a shape does not expect in an element it knows (a known name in
another namespace, a single element repeated, ``xsi:nil``, a value zeep's
builtin would not parse) raises ``Unrecognised``: the caller then hands the
same answer to zeep, which decides. Elements a shape does not name are
skipped, as zeep's lenient mode skips what it does not use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from zeep.xsd.types import builtins as xsd

TT = "http://www.onvif.org/ver10/schema"
TDS = "http://www.onvif.org/ver10/device/wsdl"
TRT = "http://www.onvif.org/ver10/media/wsdl"
TPTZ = "http://www.onvif.org/ver20/ptz/wsdl"
TRC = "http://www.onvif.org/ver10/recording/wsdl"
TSE = "http://www.onvif.org/ver10/search/wsdl"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"

SKIPPED_TAGS = 512
"""Skipped tags remembered per ``Shape`` (``Shape.skipped``)."""

Scalar = Callable[[str], Any]
STRING: Scalar = xsd.String().pythonvalue  # type: ignore[no-untyped-call]
INT: Scalar = xsd.Int().pythonvalue  # type: ignore[no-untyped-call]
FLOAT: Scalar = xsd.Float().pythonvalue  # type: ignore[no-untyped-call]
DATETIME: Scalar = xsd.DateTime().pythonvalue  # type: ignore[no-untyped-call]
DURATION: Scalar = xsd.Duration().pythonvalue  # type: ignore[no-untyped-call]


class Unrecognised(Exception):
    """The answer is not in a shape the lean path knows; let zeep read it."""


@dataclass(frozen=True, slots=True)
class Shape:
    """A complex element: child elements by local name (all in ``namespace``),
    attributes by name, each a ``Shape`` or a scalar parser."""

    namespace: str = TT
    children: dict[str, Shape | Scalar] = field(default_factory=dict)
    many: frozenset[str] = frozenset()
    """Children that repeat (zeep gives a list, empty when absent)."""
    attributes: dict[str, Scalar] = field(default_factory=dict)
    tags: dict[str, tuple[str, Shape | Scalar]] = field(init=False, repr=False, compare=False)
    """``children`` by qualified tag (``{namespace}name``): an element is
    looked up as lxml names it, without splitting every tag read."""

    skipped: set[str] = field(init=False, repr=False, compare=False)
    """Tags of children seen and found to be none of ``children`` in any
    namespace (skipped without splitting them again): most of an answer's
    elements are ones ``convert`` does not read. At most ``SKIPPED_TAGS``,
    so that a camera inventing names cannot grow it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", {f"{{{self.namespace}}}{name}": (name, kind)
                                          for name, kind in self.children.items()})
        object.__setattr__(self, "skipped", set())


@dataclass(frozen=True, slots=True)
class Answer:
    """An operation's response element: its namespace and the response shape.
    ``unwrap`` names the single child zeep returns instead of the response."""

    namespace: str
    shape: Shape
    unwrap: str | None = None


def _parsed(raw: str, parse: Scalar, element: etree._Element, attribute: str = "") -> Any:
    """``parse(raw)``, or Unrecognised naming the element (and attribute)."""
    try:
        return parse(raw)
    except (TypeError, ValueError, ArithmeticError) as exc:
        where = f"{element.tag}@{attribute}" if attribute else element.tag
        raise Unrecognised(f"{where}: {raw[:40]!r} does not parse") from exc


def _attribute(element: etree._Element, name: str, parse: Scalar) -> Any:
    raw = element.get(name)
    return None if raw is None else _parsed(raw, parse, element, name)


def read(element: etree._Element, shape: Shape) -> dict[str, Any] | None:
    """``element`` read as ``shape`` (None for ``xsi:nil``)."""
    if element.get(XSI_NIL) in ("true", "1"):
        return None
    value: dict[str, Any] = {name: [] for name in shape.many}
    for name, parse in shape.attributes.items():
        value[name] = _attribute(element, name, parse)
    tags = shape.tags
    for child in element:
        tag = child.tag
        known = tags.get(tag)
        if known is None:
            if not isinstance(tag, str) or tag in shape.skipped:
                continue  # comments, processing instructions, names seen before
            namespace, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
            if local in shape.children:
                raise Unrecognised(f"{local} in namespace {namespace!r}, not {shape.namespace!r}")
            if len(shape.skipped) < SKIPPED_TAGS:
                shape.skipped.add(tag)
            continue
        local, kind = known
        item = read(child, kind) if isinstance(kind, Shape) else _read_scalar(child, kind)
        if local in shape.many:
            value[local].append(item)
        elif local in value:
            raise Unrecognised(f"{local} repeated")
        else:
            value[local] = item
    for name in shape.children:
        value.setdefault(name, None)
    return value


def _read_scalar(element: etree._Element, parse: Scalar) -> Any:
    if element.get(XSI_NIL) in ("true", "1"):
        return None
    text = element.text
    return None if text is None else _parsed(text, parse, element)


def read_answer(response: etree._Element, answer: Answer) -> Any:
    """The value zeep would return for this response element."""
    value = read(response, answer.shape)
    if answer.unwrap is None or value is None:
        return value
    return value[answer.unwrap]


_PRESENT = Shape()
"""An element whose presence is all ``convert`` asks about."""
_VECTOR = Shape(children={
    "PanTilt": Shape(attributes={"x": FLOAT, "y": FLOAT}),
    "Zoom": Shape(attributes={"x": FLOAT}),
})
_HOST = Shape(children={"DNSname": STRING, "IPv4Address": STRING, "IPv6Address": STRING})
_DATE = Shape(children={"Year": INT, "Month": INT, "Day": INT})
_TIME = Shape(children={"Hour": INT, "Minute": INT, "Second": INT})


def _one(namespace: str, name: str, shape: Shape | Scalar, many: bool = False) -> Answer:
    """A response with the single child ``name`` (zeep unwraps it)."""
    return Answer(namespace, Shape(namespace, {name: shape},
                                   frozenset({name}) if many else frozenset()), unwrap=name)


ANSWERS: dict[str, Answer] = {
    "GetSystemDateAndTime": _one(TDS, "SystemDateAndTime", Shape(children={
        "DateTimeType": STRING,
        "UTCDateTime": Shape(children={"Time": _TIME, "Date": _DATE}),
    })),
    "GetDeviceInformation": Answer(TDS, Shape(TDS, {
        name: STRING
        for name in ("Manufacturer", "Model", "FirmwareVersion", "SerialNumber", "HardwareId")
    })),
    "GetServices": _one(TDS, "Service", Shape(TDS, {"Namespace": STRING, "XAddr": STRING}),
                        many=True),
    "GetNetworkInterfaces": _one(TDS, "NetworkInterfaces", Shape(children={
        "Info": Shape(children={"HwAddress": STRING}),
    }), many=True),
    "GetEndpointReference": Answer(TDS, Shape(TDS, {"GUID": STRING})),
    "GetNTP": _one(TDS, "NTPInformation", Shape(
        children={"NTPFromDHCP": _HOST, "NTPManual": _HOST},
        many=frozenset({"NTPFromDHCP", "NTPManual"}))),
    "GetProfiles": _one(TRT, "Profiles", Shape(
        children={"AudioEncoderConfiguration": _PRESENT, "AudioSourceConfiguration": _PRESENT,
                  "PTZConfiguration": _PRESENT},
        attributes={"token": STRING}), many=True),
    "GetAudioSources": _one(TRT, "AudioSources", _PRESENT, many=True),
    "GetNodes": _one(TPTZ, "PTZNode", Shape(attributes={"token": STRING}), many=True),
    "GetStatus": _one(TPTZ, "PTZStatus", Shape(children={
        "Position": _VECTOR,
        "MoveStatus": Shape(children={"PanTilt": STRING, "Zoom": STRING}),
    })),
    "GetPresets": _one(TPTZ, "Preset", Shape(TT, {"Name": STRING, "PTZPosition": _VECTOR},
                                             attributes={"token": STRING}), many=True),
    "GetRecordings": _one(TRC, "RecordingItem", Shape(children={
        "RecordingToken": STRING,
        "Configuration": Shape(children={"MaximumRetentionTime": DURATION}),
        "Tracks": Shape(children={"Track": Shape(children={
            "TrackToken": STRING,
            "Configuration": Shape(children={"TrackType": STRING}),
        })}, many=frozenset({"Track"})),
    }), many=True),
    "GetRecordingJobs": _one(TRC, "JobItem", Shape(children={
        "JobToken": STRING,
        "JobConfiguration": Shape(children={"RecordingToken": STRING, "Mode": STRING}),
    }), many=True),
    "GetRecordingJobState": _one(TRC, "State", Shape(children={"State": STRING})),
    "GetRecordingSummary": _one(TSE, "Summary", Shape(children={
        "DataFrom": DATETIME, "DataUntil": DATETIME})),
    "GetRecordingInformation": _one(TSE, "RecordingInformation", Shape(children={
        "EarliestRecording": DATETIME, "LatestRecording": DATETIME})),
}
"""Every operation the lean path reads itself; any other goes through zeep."""
