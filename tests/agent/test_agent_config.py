"""The agent's configuration file: loads whole, or fails naming file, line and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.config import camera_password, load_config, load_config_and_policy, mqtt_password
from schemas.errors import ConfigError, PolicyError

GOOD = """\
agent_id: test-agent
site_id: test-main
policy: {policy}
mqtt: {{host: 127.0.0.1, port: 1883}}
cameras:
  username: admin
  password_file: secret.txt
  targets: ["127.0.0.1:10001", "127.0.0.1:10002"]
interval_s: 60
"""


@pytest.fixture
def folder(tmp_path: Path, small_policy_path: Path) -> Path:
    (tmp_path / "policy.yaml").write_text(small_policy_path.read_text())
    (tmp_path / "secret.txt").write_text("s3cret\n")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "agent.yaml"
    path.write_text(text)
    return path


def test_a_good_file_loads_with_paths_resolved_against_it(folder: Path) -> None:
    config, policy, site = load_config_and_policy(write(folder, GOOD.format(policy="policy.yaml")))
    assert (config.policy, config.cameras.password_file) == (
        str(folder / "policy.yaml"), str(folder / "secret.txt")
    )
    assert (config.client_id, policy.policy_id, site.id) == (
        "test-agent", "test-office", "test-main"
    )
    assert (camera_password(config), mqtt_password(config)) == ("s3cret", None)


BAD = [
    pytest.param("interval_s: 60\n", "interval_s: sixty\n", r":9: interval_s: ",
                 id="wrong-type"),
    pytest.param("interval_s: 60\n", "interval_s: 0\n", r":9: interval_s: .*greater than 0",
                 id="zero-interval"),
    pytest.param("interval_s: 60\n", "interval_s: 60\ncolour: red\n",
                 r":10: colour: unknown field", id="unknown-field"),
    pytest.param("agent_id: test-agent\n", "agent_id: Test Agent\n", r":1: agent_id: ",
                 id="agent-id-not-a-slug"),
    pytest.param("port: 1883", "port: 99999", r":4: mqtt.port: ", id="port-out-of-range"),
    pytest.param("  password_file: secret.txt\n", "  password_file: secret.txt\n  password: pw\n",
                 r":5: cameras: .*password or password_file, not both", id="two-passwords"),
    pytest.param('"127.0.0.1:10002"]', '"127.0.0.1:10001"]',
                 r":8: cameras.targets: .*listed twice: 127.0.0.1:10001", id="target-twice"),
    pytest.param("site_id: test-main\n", "site_id: elsewhere\n",
                 r":2: site_id: site 'elsewhere' is not in policy test-office "
                 r"\(its sites: test-main, test-annex\)",
                 id="site-not-in-policy"),
    pytest.param("password_file: secret.txt", "password_file: missing.txt",
                 r":7: cameras.password_file: cannot read .*missing.txt",
                 id="password-file-unreadable"),
    pytest.param("policy: policy.yaml", "policy: nowhere.yaml",
                 r":3: policy: no policy file at .*nowhere.yaml", id="policy-file-missing"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD)
def test_a_bad_file_names_file_line_and_field(
    folder: Path, old: str, new: str, message: str
) -> None:
    text = GOOD.format(policy="policy.yaml")
    assert old in text
    path = write(folder, text.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert re.search(re.escape(str(path)) + message, str(caught.value)), str(caught.value)


def test_a_bad_policy_is_reported_in_the_policy_file(folder: Path) -> None:
    (folder / "policy.yaml").write_text("schema_version: 1\npolicy_id: x\n")
    with pytest.raises(PolicyError, match=re.escape(str(folder / "policy.yaml")) + r":\d+: "):
        load_config(write(folder, GOOD.format(policy="policy.yaml")))


def test_no_password_means_anonymous(folder: Path) -> None:
    text = GOOD.format(policy="policy.yaml").replace("  password_file: secret.txt\n", "")
    assert camera_password(load_config(write(folder, text))) is None
