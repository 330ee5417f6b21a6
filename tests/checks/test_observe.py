"""observe: the whole judgement of one camera for one audit."""

from __future__ import annotations

from datetime import datetime

import pytest

from agent.checks import SiteIndex, observe
from checks.factory import NOW, camera_facts, make_policy, rules, unknown_facts
from schemas.facts import AudioFacts, CameraFacts
from schemas.messages import CameraErrorInfo, CameraObservation
from schemas.policy import Policy, Site

POLICY = make_policy()
SITE = POLICY.sites[0]
TIMEOUT = CameraErrorInfo(kind="timeout", operation="GetDeviceInformation",
                          message="no answer within 10 s")


def run(
    facts: CameraFacts | None,
    *,
    address: str = "127.0.0.1:8000",
    reachable: bool = True,
    policy: Policy | None = POLICY,
    site: Site | None = SITE,
    errors: tuple[CameraErrorInfo, ...] = (),
) -> CameraObservation:
    return observe(policy=policy, site=site, index=None, address=address, reachable=reachable,
                   facts=facts, errors=errors, now=NOW)


def test_declared_compliant_camera() -> None:
    facts = camera_facts()
    seen = run(facts)
    assert seen.camera_id == "cam1"
    assert seen.findings == ()
    assert seen.observed_at == NOW
    assert seen.facts is facts
    assert seen.device == facts.device
    assert seen.reachable


def test_declared_camera_findings_name_the_site() -> None:
    seen = run(camera_facts(audio=AudioFacts(sources=1, encoder_profiles=("main",))))
    (finding,) = seen.findings
    assert finding.rule == "audio.encoder-enabled"
    assert finding.key == ("main", "cam1", "audio.encoder-enabled")


def test_undeclared_device() -> None:
    seen = run(camera_facts(serial="SN-STRANGER", address="127.0.0.7:80"), address="127.0.0.7:80")
    assert seen.camera_id is None
    assert rules(seen.findings) == ["inventory.undeclared"]
    (finding,) = seen.findings
    assert finding.key == ("main", "127.0.0.7:80", "inventory.undeclared")
    assert finding.evidence["serial"] == "SN-STRANGER"
    assert "not declared" in finding.summary


def test_undeclared_device_also_gets_device_rules() -> None:
    facts = camera_facts(serial="SN-STRANGER", audio=AudioFacts(sources=0, encoder_profiles=("a",)))
    assert rules(run(facts).findings) == ["audio.encoder-enabled", "inventory.undeclared"]


def test_without_policy_nothing_is_undeclared() -> None:
    seen = run(camera_facts(serial="SN-STRANGER"), policy=None, site=None)
    assert seen.findings == ()
    assert seen.camera_id is None


def test_foreign_camera_gets_no_findings() -> None:
    facts = camera_facts(serial="THEIRS", address="127.0.0.9:80",
                         audio=AudioFacts(sources=1, encoder_profiles=("main",)))
    seen = run(facts, address="127.0.0.9:80")
    assert seen.findings == ()
    assert seen.camera_id is None
    assert seen.facts is facts


def test_unreachable_declared_camera_matched_by_address() -> None:
    seen = run(None, address="127.0.0.2:8000", reachable=False, errors=(TIMEOUT,))
    assert seen.camera_id == "cam2"
    (finding,) = seen.findings
    assert finding.rule == "camera.unreachable"
    assert finding.key == ("main", "cam2", "camera.unreachable")
    assert finding.evidence["errors"] == (
        "timeout GetDeviceInformation: no answer within 10 s",)
    assert seen.errors == (TIMEOUT,)


def test_unreachable_unknown_address_is_unreachable_not_undeclared() -> None:
    seen = run(None, address="127.0.0.77:80", reachable=False, errors=(TIMEOUT,))
    assert rules(seen.findings) == ["camera.unreachable"]
    assert seen.findings[0].address == "127.0.0.77:80"


def test_unreachable_foreign_camera_gets_no_findings() -> None:
    assert run(None, address="127.0.0.9:80", reachable=False).findings == ()


def test_audit_without_policy_judges_the_basics() -> None:
    facts = camera_facts(serial="ANY", audio=AudioFacts(sources=1, encoder_profiles=("m",)))
    seen = run(facts, policy=None, site=None)
    assert rules(seen.findings) == ["audio.encoder-enabled"]
    assert seen.findings[0].site_id is None


def test_index_is_reused() -> None:
    index = SiteIndex(SITE)
    seen = observe(policy=POLICY, site=SITE, index=index, address="127.0.0.1:8000",
                   reachable=True, facts=camera_facts(), errors=(), now=NOW)
    assert seen.camera_id == "cam1"


def test_policy_without_site_is_refused() -> None:
    with pytest.raises(ValueError, match="a policy was given without a site"):
        run(camera_facts(), site=None)


def test_index_of_another_site_is_refused() -> None:
    with pytest.raises(ValueError, match="the index is for site 'annex', not 'main'"):
        observe(policy=POLICY, site=SITE, index=SiteIndex(POLICY.sites[1]),
                address="127.0.0.1:8000", reachable=True, facts=camera_facts(), errors=(),
                now=NOW)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        observe(policy=POLICY, site=SITE, index=None, address="127.0.0.1:8000",
                reachable=True, facts=camera_facts(), errors=(), now=datetime(2026, 3, 1))


REFUSED = CameraErrorInfo(kind="auth-failed", operation="GetDeviceInformation",
                          message="ter:NotAuthorized")


def test_camera_refusing_credentials_is_not_called_undeclared() -> None:
    """A password-protected camera audited with wrong credentials shows no
    identity; calling it undeclared would accuse a declared camera."""
    seen = run(unknown_facts(address="127.0.0.77:80"), address="127.0.0.77:80", errors=(REFUSED,))
    assert rules(seen.findings) == ["camera.auth-failed"]
    (finding,) = seen.findings
    assert finding.key == ("main", "127.0.0.77:80", "camera.auth-failed")
    assert "refuses the agent's credentials" in finding.summary


def test_identified_device_refusing_credentials_is_still_undeclared() -> None:
    """With a serial readable (e.g. anonymously) the device is known not to be declared."""
    seen = run(unknown_facts(address="127.0.0.77:80", serial="SN-STRANGER"),
               address="127.0.0.77:80", errors=(REFUSED,))
    assert rules(seen.findings) == ["inventory.undeclared"]
