"""The vendored ONVIF WSDLs are all there, unmodified, and load offline."""

from __future__ import annotations

import hashlib
import importlib.util
from importlib import resources
from pathlib import Path

import pytest

from agent.onvif import wsdl_cache

VENDORED = Path(str(resources.files("agent.onvif") / "wsdl"))


def test_every_service_wsdl_is_found_via_importlib_resources() -> None:
    for service in wsdl_cache.SERVICES:
        assert (resources.files("agent.onvif") / "wsdl" / service.wsdl).is_file(), service.wsdl
    assert (VENDORED / "LICENSE.md").is_file()


def test_files_are_byte_identical_to_onvif_zeep_async() -> None:
    spec = importlib.util.find_spec("onvif")
    if spec is None or spec.origin is None:
        pytest.skip("onvif-zeep-async (the source of the vendored files) is not installed")
    source = Path(spec.origin).parent / "wsdl"
    ours = {p.name for p in VENDORED.iterdir() if p.name != "LICENSE.md"}
    theirs = {p.name for p in source.iterdir() if p.is_file() and p.name != "__init__.py"}
    assert ours == theirs
    changed = [name for name in sorted(ours)
               if hashlib.sha256((VENDORED / name).read_bytes()).digest()
               != hashlib.sha256((source / name).read_bytes()).digest()]
    assert changed == []


def test_documents_are_parsed_once_per_process() -> None:
    first = wsdl_cache.load_all()
    again = wsdl_cache.load_all()
    assert all(first[key] is again[key] for key in first)
    assert wsdl_cache.DEVICE.binding_qname in first["device"].bindings
