"""The controller's configuration file: defaults, relative paths, and errors
that name the file, the line and the field."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from controller.config import load_config
from controller.service import run
from schemas.errors import ConfigError, PolicyError


def write(folder: Path, text: str, small_policy_path: Path) -> Path:
    (folder / "policies").mkdir(exist_ok=True)
    shutil.copy(small_policy_path, folder / "policies" / "small.yaml")
    path = folder / "controller.yaml"
    path.write_text(text)
    return path


GOOD = """\
database: {url: "sqlite+aiosqlite:///state/camwarden.db"}
mqtt: {host: 127.0.0.1, port: 1884, client_id: controller-1, password_file: secret}
policies: [policies/small.yaml]
api: {host: 127.0.0.1, port: 0}
reconcile: {interval_s: 10, stale_after_s: 600, debounce_s: 0.1}
"""


def test_a_good_file_loads_with_paths_relative_to_it(
    tmp_path: Path, small_policy_path: Path
) -> None:
    config = load_config(write(tmp_path, GOOD, small_policy_path))
    assert config.policies == (str(tmp_path / "policies" / "small.yaml"),)
    assert config.database.url == f"sqlite+aiosqlite:///{tmp_path / 'state' / 'camwarden.db'}"
    assert config.mqtt.password_file == str(tmp_path / "secret")
    assert (config.mqtt.port, config.mqtt.session_expiry_s, config.reconcile.interval_s) == (
        1884,
        86400,
        10,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            GOOD.replace("port: 1884", "port: 1884, prot: 1"),
            r"controller.yaml:2: mqtt.prot: ",
            id="unknown-field",
        ),
        pytest.param(
            GOOD.replace("port: 1884", 'port: "1884"'),
            r"controller.yaml:2: mqtt.port: Input should be a valid integer",
            id="string-for-int",
        ),
        pytest.param(
            GOOD.replace("sqlite+aiosqlite", "mysql"),
            r"controller.yaml:1: database.url: String should match pattern",
            id="unsupported-database",
        ),
        pytest.param(
            GOOD.replace("interval_s: 10", "interval_s: 0"),
            r"controller.yaml:5: reconcile.interval_s: Input should be greater than 0",
            id="zero-interval",
        ),
        pytest.param(
            GOOD.replace("database:", "# no database\ndb:"),
            r"controller.yaml:2: database: ",
            id="missing-database",
        ),
        pytest.param(
            GOOD + "api: {port: 1}\n",
            r"controller.yaml:6: YAML: .*'api' appears twice",
            id="duplicate-key",
        ),
        pytest.param(
            GOOD.replace("[policies/small.yaml]", "[policies/small.yaml, policies/small.yaml]"),
            r"a policy file is listed twice",
            id="policy-listed-twice",
        ),
    ],
)
def test_a_bad_file_is_rejected_naming_line_and_field(
    tmp_path: Path, small_policy_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_config(write(tmp_path, text, small_policy_path))


def test_a_missing_policy_file_is_named(tmp_path: Path, small_policy_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("small.yaml", "absent.yaml"), small_policy_path)
    with pytest.raises(PolicyError, match=r"absent.yaml: cannot read"):
        load_config(path)


def test_two_policies_may_not_declare_the_same_site(
    tmp_path: Path, small_policy_path: Path
) -> None:
    text = small_policy_path.read_text().replace("policy_id: test-office", "policy_id: other")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "other.yaml").write_text(text)
    path = write(
        tmp_path,
        GOOD.replace("[policies/small.yaml]", "[policies/small.yaml, policies/other.yaml]"),
        small_policy_path,
    )
    with pytest.raises(ConfigError, match=r"site id 'test-main' is declared by both"):
        load_config(path)


def test_the_command_exits_2_and_names_the_problem(
    tmp_path: Path, small_policy_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD.replace("port: 1884", "port: 99999"), small_policy_path)
    assert run(argparse.Namespace(config=path)) == 2
    assert "mqtt.port: Input should be less than or equal to 65535" in capsys.readouterr().err
