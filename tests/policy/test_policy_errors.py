"""Every kind of mistake in a policy file gets one clear error naming the
file, the line and the field.

Each case edits one thing in a small valid policy (``BASE``) and states the
field the error must name, the line it must point at (found by a marker in
the edited text, so the cases do not depend on line arithmetic) and words
the message must contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from schemas.errors import PolicyError
from schemas.policy_file import load_policy

BASE = """\
schema_version: 1
policy_id: test-office
version: "2026-01-01"
effective_from: 2026-01-01
organisation:
  name: 시험 기관
legal_basis: ["PIPA Art. 25(1)"]
purposes: [facility-safety, crime-prevention]
audio: forbidden
retention:
  days: 30
  deletion: automatic
roles:
  - role: responsible-manager
    title: head of general affairs
  - role: access-holder
    title: security officer
    sites: [test-main]
sites:
  - id: test-main
    name: 본관
    storage_place: server room
    cameras:
      - id: test-main-cam1
        name: Cam1
        location: 1층 로비
        coverage: lobby
        identity: {serial: TEST-0001}
      - id: test-main-cam2
        name: Cam2
        location: outer wall
        coverage: front gate
        identity: {serial: TEST-0002, mac: "00:1a:2b:3c:4d:5e"}
        ptz:
          approved: true
          home_preset: gate
          presets:
            - {name: gate, pan: 0.25, tilt: -0.1}
  - id: test-annex
    name: 별관
    storage_place: security office
    cameras:
      - id: test-annex-cam1
        name: Cam1
        location: annex entrance
        coverage: entrance
        identity: {serial: TEST-0101}
"""


def _line(text: str, marker: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th ``marker`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(marker, index + 1)
    return text.count("\n", 0, index) + 1


@dataclass(frozen=True)
class Case:
    id: str
    old: str
    new: str
    field: str
    """The FIELD part of the message; "YAML" for a syntax-level problem."""
    at: str
    """A marker whose first line in the edited text is the reported line."""
    says: str
    """Words the message must contain (a regular expression)."""
    occurrence: int = 1


CASES = [
    Case(
        "yaml-syntax-error",
        "purposes: [facility-safety, crime-prevention]",
        "purposes: [facility-safety, crime-prevention",
        "YAML",
        "audio:",
        "expected ',' or ']'",
    ),
    Case(
        "yaml-bad-indentation",
        "  deletion: automatic",
        "   deletion: automatic",
        "YAML",
        "   deletion",
        "mapping values are not allowed",
    ),
    Case(
        "key-given-twice",
        "audio: forbidden",
        "audio: forbidden\naudio: allowed",
        "YAML",
        "audio: allowed",
        r"key 'audio' appears twice \(first on line 9\)",
    ),
    Case(
        "missing-required-field",
        "retention:\n  days: 30\n  deletion: automatic\n",
        "",
        "retention",
        "schema_version",
        "required field is missing",
    ),
    Case(
        "missing-nested-field",
        "        coverage: lobby\n",
        "",
        "sites.0.cameras.0.coverage",
        "- id: test-main-cam1",
        "required field is missing",
    ),
    Case(
        "string-for-days",
        "days: 30",
        'days: "30"',
        "retention.days",
        "days:",
        'valid integer, got text "30"',
    ),
    Case(
        "float-for-int",
        "days: 30",
        "days: 30.5",
        "retention.days",
        "days:",
        "valid integer, got number 30.5",
    ),
    Case(
        "whole-float-for-int",
        "days: 30",
        "days: 30.0",
        "retention.days",
        "days:",
        "valid integer, got number 30.0",
    ),
    Case(
        "text-for-list",
        'legal_basis: ["PIPA Art. 25(1)"]',
        'legal_basis: "PIPA Art. 25(1)"',
        "legal_basis",
        "legal_basis",
        "valid array, got text",
    ),
    Case(
        "unknown-field-typo",
        "retention:",
        "retension:",
        "retension",
        "retension",
        "unknown field; did you mean 'retention'",
    ),
    Case(
        "unknown-nested-field",
        "coverage: lobby",
        "coverge: lobby",
        "sites.0.cameras.0.coverge",
        "coverge",
        "unknown field; did you mean 'coverage'",
    ),
    Case(
        "bad-enum-audio",
        "audio: forbidden",
        "audio: sometimes",
        "audio",
        "audio:",
        "'forbidden' or 'allowed', got text \"sometimes\"",
    ),
    Case(
        "bad-enum-purpose",
        "purposes: [facility-safety, crime-prevention]",
        "purposes: [facility-safety, world-peace]",
        "purposes.1",
        "purposes:",
        'got text "world-peace"',
    ),
    Case(
        "bad-date",
        "effective_from: 2026-01-01",
        "effective_from: 2026-02-30",
        "YAML",
        "effective_from",
        "day is out of range for month",
    ),
    Case(
        "not-a-date",
        "effective_from: 2026-01-01",
        "effective_from: soon",
        "effective_from",
        "effective_from",
        'valid date.*got text "soon"',
    ),
    Case(
        "slug-with-space",
        "- id: test-annex\n",
        "- id: test annex\n",
        "sites.1.id",
        "id: test annex",
        'lower-case ASCII.*got text "test annex"',
    ),
    Case(
        "slug-upper-case",
        "- id: test-annex\n",
        "- id: Test-Annex\n",
        "sites.1.id",
        "id: Test-Annex",
        "no upper case",
    ),
    Case(
        "slug-with-slash",
        "- id: test-annex\n",
        "- id: test/annex\n",
        "sites.1.id",
        "id: test/annex",
        "no '/'",
    ),
    Case(
        "duplicate-camera-id",
        "id: test-annex-cam1",
        "id: test-main-cam1",
        "sites.1.cameras.0.id",
        "id: test-main-cam1",
        r"camera id 'test-main-cam1' is declared twice \(first on line 24\)",
        occurrence=2,
    ),
    Case(
        "duplicate-site-id",
        "- id: test-annex\n",
        "- id: test-main\n",
        "sites.1.id",
        "- id: test-main\n",
        r"site id 'test-main' is declared twice \(first on line 20\)",
        occurrence=2,
    ),
    Case(
        "duplicate-serial",
        "{serial: TEST-0101}",
        "{serial: TEST-0001}",
        "sites.1.cameras.0.identity.serial",
        "TEST-0001",
        r"identity serial 'TEST-0001' is declared twice \(first on line 28\)",
        occurrence=2,
    ),
    Case(
        "duplicate-mac",
        "{serial: TEST-0101}",
        '{serial: TEST-0101, mac: "00:1a:2b:3c:4d:5e"}',
        "sites.1.cameras.0.identity.mac",
        "TEST-0101",
        "identity mac .* is declared twice",
    ),
    Case(
        "home-preset-not-a-preset",
        "home_preset: gate",
        "home_preset: door",
        "sites.0.cameras.1.ptz.home_preset",
        "home_preset",
        "'door' is not one of the presets",
    ),
    Case(
        "presets-while-not-approved",
        "approved: true",
        "approved: false",
        "sites.0.cameras.1.ptz.presets",
        "presets:",
        "presets are given but approved is false",
    ),
    Case(
        "role-names-unknown-site",
        "sites: [test-main]",
        "sites: [test-main, test-attic]",
        "roles.1.sites.1",
        "sites: [test-main, test-attic]",
        r"names unknown site\(s\) \['test-attic'\]",
    ),
    Case(
        "identity-with-no-key",
        "{serial: TEST-0101}",
        "{}",
        "sites.1.cameras.0.identity",
        "identity: {}",
        "give at least one of serial, mac",
    ),
    Case(
        "bad-mac",
        '"00:1a:2b:3c:4d:5e"',
        '"00-1A-2B-3C-4D-5E"',
        "sites.0.cameras.1.identity.mac",
        "00-1A",
        "must be a MAC address",
    ),
    Case(
        "retention-days-zero",
        "days: 30",
        "days: 0",
        "retention.days",
        "days:",
        "greater than or equal to 1, got integer 0",
    ),
    Case(
        "no-cameras",
        """    cameras:
      - id: test-annex-cam1
        name: Cam1
        location: annex entrance
        coverage: entrance
        identity: {serial: TEST-0101}
""",
        "    cameras: []\n",
        "sites.1.cameras",
        "cameras: []",
        "at least 1 item",
    ),
    Case(
        "pan-out-of-range",
        "pan: 0.25",
        "pan: 1.5",
        "sites.0.cameras.1.ptz.presets.0.pan",
        "pan: 1.5",
        "less than or equal to 1",
    ),
]


def _problem_lines(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return str(caught.value).splitlines()


def test_base_policy_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "base.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert sum(1 for _ in load_policy(path).cameras()) == 3


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_mistake_names_file_line_and_field(case: Case, tmp_path: Path) -> None:
    assert BASE.count(case.old) == 1, "the case must edit exactly one place"
    text = BASE.replace(case.old, case.new)
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    line = _line(text, case.at, case.occurrence)
    expected = re.compile(
        rf"^{re.escape(str(path))}:{line}: {re.escape(case.field)}: .*{case.says}"
    )
    problems = _problem_lines(path)
    assert any(expected.search(p) for p in problems), "\n".join(problems)


def test_a_failing_camera_is_reported_once(tmp_path: Path) -> None:
    """A bad item is one problem, not also "the list has no valid item"."""
    path = tmp_path / "policy.yaml"
    path.write_text(BASE.replace("{serial: TEST-0101}", "{}"), encoding="utf-8")
    assert len(_problem_lines(path)) == 1


def test_every_problem_in_a_file_is_reported(tmp_path: Path) -> None:
    text = BASE.replace("days: 30", "days: 0").replace("audio: forbidden", "audio: sometimes")
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    fields = [line.split(": ")[1] for line in _problem_lines(path)]
    assert fields == ["audio", "retention.days"]
