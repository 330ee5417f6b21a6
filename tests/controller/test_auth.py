"""Tokens: the file format with line-numbered errors, the configuration
loader resolving token files, and ``camwarden token new``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from controller.auth import Tokens, hash_token, load_token_file
from controller.config import load_config
from schemas.errors import ConfigError

GOOD = "a" * 64
CLI = str(Path(sys.executable).parent / "camwarden")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("alice operator\n", ":1: expected 'NAME ROLE SHA256'", id="two-words"),
        pytest.param(f"# c\nalice admin {GOOD}\n", ":2: role", id="bad-role"),
        pytest.param("alice viewer abc\n", ":1: sha256", id="bad-hash"),
    ],
)
def test_a_bad_token_file_names_its_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tokens"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_token_file(path)


def test_one_token_may_not_carry_two_roles(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"alice viewer {GOOD}\nbob operator {GOOD}  # same token\n")
    with pytest.raises(ConfigError, match="admitted twice"):
        Tokens(load_token_file(path))


def test_token_new_prints_a_token_its_file_line_admits(
    tmp_path: Path, small_policy_path: Path
) -> None:
    done = subprocess.run(
        [CLI, "token", "new", "--role", "operator", "--name", "ann"],
        capture_output=True,
        text=True,
        check=True,
    )
    token = done.stdout.strip()
    line = next(x for x in done.stderr.splitlines() if x.startswith("ann operator "))
    assert line.split()[2] == hash_token(token)
    (tmp_path / "tokens").write_text(line + "\n")
    config = tmp_path / "controller.yaml"
    config.write_text(
        "database: {url: 'sqlite+aiosqlite:///c.db'}\n"
        f"policies: ['{small_policy_path}']\n"
        "api: {token_files: [tokens]}\n"
    )
    tokens = Tokens(
        [e for f in load_config(config).api.token_files for e in load_token_file(Path(f))]
    )
    principal = tokens.principal(f"Bearer {token}")
    assert principal is not None and (principal.name, principal.role) == ("ann", "operator")
    assert tokens.principal(f"Bearer {token}x") is None
