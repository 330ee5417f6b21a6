"""Whatever a file holds, the loader either returns a policy or raises
PolicyError naming the file; it never crashes with anything else.

Three sources of input: arbitrary text, text made of YAML's significant
characters, and random mutations of a valid policy (of its data, then
dumped, and of its text).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.errors import PolicyError
from schemas.policy import Policy
from schemas.policy_file import load_policy

# The shared small policy: two sites, four cameras, an approved PTZ camera.
VALID = Path(__file__).parents[1] / "fixtures" / "policy-small.yaml"
VALID_TEXT = VALID.read_text(encoding="utf-8")
VALID_DATA: dict[str, Any] = yaml.safe_load(VALID_TEXT)

# CAMWARDEN_FUZZ_EXAMPLES=5000 for a long run by hand; CI keeps the default.
FUZZ = settings(
    max_examples=int(os.environ.get("CAMWARDEN_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _load_bytes(workdir: Path, content: bytes) -> Policy | None:
    """Load ``content`` as a policy file: the policy, or None after a
    PolicyError that names the file on every line."""
    path = workdir / "policy.yaml"
    path.write_bytes(content)
    try:
        return load_policy(path)
    except PolicyError as exc:
        lines = str(exc).split("\n")  # one problem per line, whatever the keys hold
        assert lines and all(line.startswith(f"{path}:") for line in lines), str(exc)
        return None


YAMLISH = st.text(
    alphabet=st.sampled_from(list(":-[]{}#&*!|>'\"%@`?,.~ \n\t\\") + list("ab0169") + ["시", "é"]),
    max_size=200,
)


@FUZZ
@given(text=st.text(max_size=300))
def test_arbitrary_text(workdir: Path, text: str) -> None:
    assert _load_bytes(workdir, text.encode("utf-8", "surrogatepass")) is None


@FUZZ
@given(text=YAMLISH)
def test_yaml_ish_text(workdir: Path, text: str) -> None:
    assert _load_bytes(workdir, text.encode("utf-8")) is None


@FUZZ
@given(content=st.binary(max_size=300))
def test_arbitrary_bytes(workdir: Path, content: bytes) -> None:
    assert _load_bytes(workdir, content) is None


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data``."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


PATHS = [p for p in _paths(VALID_DATA) if p]

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.dates(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def _mutated(path: tuple[Any, ...], action: str, value: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(VALID_TEXT)  # a fresh, deep copy
    parent: Any = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent[f"{last}_extra"] = value
    else:
        parent.append(value)
    return data


@FUZZ
@given(
    path=st.sampled_from(PATHS),
    action=st.sampled_from(["replace", "delete", "add"]),
    value=VALUES,
)
def test_mutated_policy_data(workdir: Path, path: tuple[Any, ...], action: str, value: Any) -> None:
    text = yaml.safe_dump(_mutated(path, action, value), allow_unicode=True)
    policy = _load_bytes(workdir, text.encode("utf-8"))
    assert policy is None or isinstance(policy, Policy)


@FUZZ
@given(
    start=st.integers(min_value=0, max_value=len(VALID_TEXT)),
    length=st.integers(min_value=0, max_value=40),
    insert=YAMLISH,
)
def test_mutated_policy_text(workdir: Path, start: int, length: int, insert: str) -> None:
    text = VALID_TEXT[:start] + insert + VALID_TEXT[start + length :]
    policy = _load_bytes(workdir, text.encode("utf-8"))
    assert policy is None or isinstance(policy, Policy)
