"""The rule catalog is public API: the ids the product promised exist, and
every rule can be put in front of an inspector as it is."""

from __future__ import annotations

import pytest

from schemas.findings import make_finding
from schemas.rules import CATALOG, SEVERITIES, rule

PROMISED = [
    "audio.encoder-enabled",
    "audio.recorded",
    "audio.capable",
    "ptz.unapproved",
    "ptz.off-preset",
    "recording.not-recording",
    "recording.gap",
    "retention.configured-too-long",
    "retention.kept-too-long",
    "retention.kept-too-short",
    "inventory.undeclared",
    "inventory.missing",
    "clock.drift",
    "security.anonymous-access",
    "camera.unreachable",
    "agent.offline",
]


@pytest.mark.parametrize("rule_id", PROMISED)
def test_promised_rule_exists(rule_id: str) -> None:
    assert CATALOG[rule_id].id == rule_id


@pytest.mark.parametrize("rule_id", sorted(CATALOG))
def test_rule_is_complete(rule_id: str) -> None:
    entry = CATALOG[rule_id]
    assert entry.severity in SEVERITIES
    assert "PIPA" in entry.legal_basis or "policy" in entry.legal_basis
    assert entry.title and entry.title_ko and entry.evidence


def test_audio_and_manipulation_cite_article_25_5() -> None:
    for rule_id in ("audio.encoder-enabled", "audio.recorded", "ptz.unapproved", "ptz.off-preset"):
        assert "Art. 25(5)" in CATALOG[rule_id].legal_basis


def test_make_finding_takes_severity_and_basis_from_catalog() -> None:
    finding = make_finding("clock.drift", "camera is 300 s ahead", {"offset_s": 300.0}, site_id="s")
    assert finding.severity == CATALOG["clock.drift"].severity
    assert finding.legal_basis == CATALOG["clock.drift"].legal_basis
    assert finding.key == ("s", "", "clock.drift")


def test_unknown_rule_is_named() -> None:
    with pytest.raises(KeyError, match=r"no\.such-rule"):
        rule("no.such-rule")
