"""The stored lean templates are zeep's own, and an audit that goes as
expected never parses a WSDL (issue 4: the agent's whole-process CPU)."""

from __future__ import annotations

import pytest
from zeep.wsdl.bindings.soap import Soap12Binding

from agent.onvif import Credentials, OnvifClient, lean_requests, wsdl_cache
from simulator.camera import SimPreset, SimPtz
from simulator.server import SimulatedFleet
from tests.onvif.conftest import make_sim_camera

GOOD = Credentials("admin", "s3cret")


def test_stored_templates_are_what_zeep_builds_now() -> None:
    """Fails after a WSDL or zeep change: regenerate with
    ``.venv/bin/python -m agent.onvif.lean_requests``."""
    assert lean_requests.built_by_zeep() == lean_requests.STORED


@pytest.mark.parametrize("service", wsdl_cache.SERVICES, ids=lambda s: s.key)
def test_every_service_has_a_soap12_binding(service: wsdl_cache.ServiceDef) -> None:
    """``lean.raise_fault`` reads faults as zeep's SOAP 1.2 binding does."""
    binding = wsdl_cache.document(service).bindings[service.binding_qname]
    assert isinstance(binding, Soap12Binding)


async def test_a_full_audit_parses_no_wsdl() -> None:
    """PTZ, recordings and the refused anonymous probe (a SOAP fault): every
    call is lean, so no zeep client (and no WSDL) is made."""
    camera = make_sim_camera(ptz=SimPtz(presets=[SimPreset("p1", "Door", 0.1, 0.2, 0.0)]))
    async with SimulatedFleet([camera]) as fleet, OnvifClient(timeout=3.0) as client:
        collected = await client.collect(fleet.endpoints[0].address, GOOD)
        assert collected.errors == ()
        assert collected.facts is not None and collected.facts.ptz is not None
        assert collected.facts.security.anonymous_access is False
        assert client._clients is not None and client._clients.loaded == frozenset()


async def test_the_zeep_path_makes_its_clients_on_first_need() -> None:
    async with SimulatedFleet([make_sim_camera()]) as fleet, \
            OnvifClient(timeout=3.0, lean=False) as client:
        assert client._clients is not None and client._clients.loaded == frozenset()
        collected = await client.collect(fleet.endpoints[0].address, GOOD)
        assert collected.errors == ()
        assert "device" in client._clients.loaded
