"""``camwarden policy check``: exit 0 and a one-line summary per good file,
exit 2 and the problem on stderr for a bad one, several files at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from camwarden.cli import main

POLICIES = Path(__file__).parents[2] / "policies"
SEED_FILES = sorted(POLICIES.glob("*.yaml"))
BAD = "schema_version: 1\npolicy_id: Bad Id\n"


def test_seed_files_check_with_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check", *map(str, SEED_FILES)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert [line.split(": ")[0] for line in lines] == [str(p) for p in SEED_FILES]
    assert all(": valid: policy " in line for line in lines)
    assert err == ""


def test_summary_names_sites_cameras_retention_and_audio(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = POLICIES / "001-moel-jungbu.yaml"
    assert main(["policy", "check", str(path)]) == 0
    assert capsys.readouterr().out == (
        f"{path}: valid: policy moel-jungbu version 2021-07, 2 site(s), 60 camera(s), "
        "retention 30 days, audio forbidden\n"
    )


def test_bad_file_exits_2_with_the_problem_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    assert main(["policy", "check", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{bad}:2: policy_id: must be an id of lower-case" in err


def test_several_files_report_each_and_fail_if_any_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    good = POLICIES / "002-smba-jeonbuk.yaml"
    assert main(["policy", "check", str(good), str(bad), str(missing)]) == 2
    out, err = capsys.readouterr()
    assert [line.split(": ")[0] for line in out.splitlines()] == [str(good)]
    assert f"{bad}:" in err and f"{missing}: cannot read" in err


def test_installed_command_exit_codes(tmp_path: Path) -> None:
    """The real entry point, as a person runs it."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    command = [sys.executable, "-m", "camwarden.cli", "policy", "check"]
    good_run = subprocess.run(
        [*command, str(SEED_FILES[0])], capture_output=True, text=True, timeout=60, check=False
    )
    bad_run = subprocess.run(
        [*command, str(bad)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (good_run.returncode, good_run.stderr) == (0, "")
    assert (bad_run.returncode, bad_run.stdout) == (2, "")
    assert "policy_id" in bad_run.stderr
