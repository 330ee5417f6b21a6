"""camera_state: the one-word state the API and the console share."""

from __future__ import annotations

from datetime import timedelta

import pytest
from checks.factory import NOW

from controller.reconcile import camera_state, is_stale
from schemas.api import CameraState
from schemas.messages import CameraObservation

UP = CameraObservation(address="127.0.0.1:80", reachable=True, observed_at=NOW)
DOWN = CameraObservation(address="127.0.0.1:80", reachable=False, observed_at=NOW)


@pytest.mark.parametrize(
    ("declared", "observation", "open_findings", "missing", "stale", "expected"),
    [
        pytest.param(True, UP, 0, False, False, "compliant", id="compliant"),
        pytest.param(True, UP, 2, False, False, "findings", id="findings"),
        pytest.param(True, None, 0, False, False, "unknown", id="not-yet-audited"),
        pytest.param(True, None, 0, True, False, "missing", id="missing-never-seen"),
        pytest.param(True, UP, 3, True, True, "missing", id="missing-beats-everything"),
        pytest.param(True, DOWN, 1, False, False, "unreachable", id="not-answering"),
        pytest.param(True, UP, 0, False, True, "unreachable", id="stale"),
        pytest.param(False, UP, 0, False, False, "undeclared", id="undeclared"),
        pytest.param(False, UP, 4, False, False, "undeclared", id="undeclared-with-findings"),
        pytest.param(False, DOWN, 1, False, False, "unreachable", id="undeclared-not-answering"),
    ],
)
def test_camera_state(
    declared: bool,
    observation: CameraObservation | None,
    open_findings: int,
    missing: bool,
    stale: bool,
    expected: CameraState,
) -> None:
    assert camera_state(declared, observation, open_findings, missing, stale) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param((True, UP, -1, False, False), "open_findings must be >= 0", id="negative"),
        pytest.param((False, UP, 0, True, False), "only a declared camera can be missing",
                     id="undeclared-missing"),
        pytest.param((False, None, 0, False, False), "an undeclared camera is known only",
                     id="undeclared-unobserved"),
    ],
)
def test_bad_input_is_named(args: tuple[bool, CameraObservation | None, int, bool, bool],
                            message: str) -> None:
    with pytest.raises(ValueError, match=message):
        camera_state(*args)


def test_is_stale_bound() -> None:
    assert not is_stale(UP, NOW + timedelta(seconds=900), 900)
    assert is_stale(UP, NOW + timedelta(seconds=900.001), 900)
