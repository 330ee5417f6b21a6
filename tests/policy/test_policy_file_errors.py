"""Problems with the file itself (empty, not a mapping, unreadable, not
UTF-8, characters or values YAML may carry but a policy may not) are
reported with the file and, where there is one, the line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from schemas.errors import PolicyError
from schemas.policy_file import load_policy


@dataclass(frozen=True)
class FileCase:
    id: str
    content: bytes | None
    """None: the path is not created."""
    says: str
    line: int | None = None


FILE_CASES = [
    FileCase("empty-file", b"", "the file is empty", 1),
    FileCase("only-a-comment", b"# nothing yet\n", "the file is empty", 1),
    FileCase(
        "list-instead-of-mapping", b"- id: a\n- id: b\n", "must hold a mapping .* not list", 1
    ),
    FileCase(
        "scalar-instead-of-mapping", b"\n\njust words\n", "must hold a mapping .* not text", 3
    ),
    FileCase("missing-file", None, "cannot read: No such file or directory"),
    FileCase(
        "non-utf8-bytes",
        # A Korean name saved as EUC-KR, the usual legacy encoding, on line 3.
        b"schema_version: 1\norganisation:\n  name: " + "시험 기관".encode("euc-kr") + b"\n",
        r"not UTF-8 text \(byte 0xbd\)",
        3,
    ),
    FileCase(
        "control-character",
        b"schema_version: 1\npolicy_id: \x07\n",
        "character #x0007 is not allowed",
        2,
    ),
    FileCase(
        "binary-value",
        b"schema_version: 1\npolicy_id: !!binary aGVsbG8=\n",
        "binary values are not allowed",
        2,
    ),
    FileCase(
        "date-as-key",
        b"schema_version: 1\n2026-01-01: x\n",
        "a key must be plain text, not date",
        2,
    ),
    FileCase("nested-too-deeply", b"a: " + b"[" * 2000 + b"]" * 2000, "nested too deeply"),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=[c.id for c in FILE_CASES])
def test_file_level_problem_names_file_and_line(case: FileCase, tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    if case.content is not None:
        path.write_bytes(case.content)
    where = f"{path}:{case.line}:" if case.line is not None else f"{path}:"
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert message.startswith(where), message
    assert re.search(case.says, message), message


def test_a_directory_is_not_a_policy(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read: Is a directory"):
        load_policy(tmp_path)
