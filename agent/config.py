"""The edge agent's configuration file: one agent, one site, its cameras, its broker.

Loaded whole or rejected with ``FILE:LINE: FIELD: what is wrong`` (the same
strict loader as policies): an agent that starts with half a configuration
would audit the wrong cameras or report to nobody. Beyond the file's own
shape, loading checks what only the file system can tell: that the policy
loads, that it declares ``site_id``, and that each password file is readable.

Relative paths (``policy``, ``password_file``, ``ca_file``, ``spool.path``)
are relative to the configuration file, so that a folder of config, policy and secrets can move
as one. ``load_config`` returns them resolved.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from schemas.base import Model
from schemas.errors import ConfigError
from schemas.messages import MAX_BATCH_BYTES, MAX_BATCH_REPORTS
from schemas.policy import Policy, Site, Slug
from schemas.policy_file import load_model, load_policy


class MqttConfig(Model):
    """How the agent reaches its broker (MQTT 5, QoS 1, persistent session)."""

    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    client_id: str | None = None
    """Defaults to the agent id: one persistent broker session per agent."""
    username: str | None = None
    password_file: str | None = None
    session_expiry_s: int = Field(default=86400, ge=0, le=0xFFFFFFFF)
    """How long the broker keeps the session (and queues for it) while the agent is away."""
    keepalive_s: int = Field(default=30, ge=5, le=65535)
    tls: bool = False
    """TLS to the broker; verified against ``ca_file``, or the system's CAs."""
    ca_file: str | None = None
    """PEM file of the CA that signed the broker's certificate (with ``tls``)."""
    policy_updates: bool = True
    """Take newer policy versions the controller publishes on the site's
    policy topic (retained); the file named by ``policy`` is the start."""

    @model_validator(mode="after")
    def _ca_needs_tls(self) -> MqttConfig:
        if self.ca_file is not None and not self.tls:
            raise ValueError("ca_file is given but tls is false")
        return self


class SpoolConfig(Model):
    """The on-disk outbox (agent/spool.py): reports wait there, in order,
    until the broker acknowledged them, across broker outages and agent
    restarts."""

    enabled: bool = True
    path: str = "camwarden-spool.sqlite"
    """SQLite file (relative to the configuration file's folder)."""
    max_bytes: int = Field(default=256 * 1024 * 1024, ge=64 * 1024)
    """Past this, the oldest messages are dropped, with a warning and a count."""
    max_age_s: float = Field(default=7 * 86400, gt=0)
    """A message older than this is dropped (a week-old audit is no news)."""


class ReportBatchConfig(Model):
    """How a cycle's full camera reports travel (agent/batching.py): in
    ``CameraReportBatch`` messages of at most ``max_reports`` cameras and
    ``max_bytes`` bytes each, or, with ``enabled: false``, one
    ``CameraReport`` per camera (for controllers older than batches: upgrade
    the controllers first; an agent sending batches to a controller too old
    for them keeps them in its spool and retries). On by default: a site of
    5,000 cameras is 25 messages a cycle instead of 5,000."""

    enabled: bool = True
    max_reports: int = Field(default=200, ge=1, le=MAX_BATCH_REPORTS)
    max_bytes: int = Field(default=256 * 1024, ge=4096, le=MAX_BATCH_BYTES)


class CamerasConfig(Model):
    """Which devices to audit and how to log in to them."""

    username: str = "admin"
    password: str | None = None
    """Prefer ``password_file``: a secret in a config file travels with it.
    Neither a password nor a password file: the cameras are audited anonymously."""
    password_file: str | None = None
    targets: tuple[str, ...] = ()
    """host:port of each device. May be empty only when ``discovery`` is set."""

    @model_validator(mode="after")
    def _one_password(self) -> CamerasConfig:
        if self.password is not None and self.password_file is not None:
            raise ValueError("give password or password_file, not both")
        twice = sorted({t for t in self.targets if self.targets.count(t) > 1})
        if twice:
            raise ValueError(f"targets listed twice: {', '.join(twice)}")
        return self


class DiscoveryConfig(Model):
    """WS-Discovery at the start of every cycle (agent/discovery): the devices
    that answer are audited with the declared targets, so one the policy does
    not declare shows up as ``inventory.undeclared``."""

    multicast: bool = True
    interfaces: tuple[str, ...] = ()
    """IPv4 addresses of this host's interfaces to probe multicast on
    (empty: the default route's)."""
    unicast: tuple[str, ...] = ()
    """``HOST[:PORT]`` probed directly (other subnets, multicast filtered)."""
    timeout_s: float = Field(default=3.0, gt=0, le=60)
    """Seconds to collect answers, each cycle."""
    link_local: bool = False
    """Accept IPv6 link-local XAddrs as targets."""

    @model_validator(mode="after")
    def _something_to_probe(self) -> DiscoveryConfig:
        for address in self.interfaces:
            try:
                ipaddress.IPv4Address(address)
            except ValueError:
                raise ValueError(f"interface {address!r} is not an IPv4 address") from None
        if not self.multicast and not self.unicast:
            raise ValueError("multicast is off and no unicast hosts are given: nothing to probe")
        return self


class AgentConfig(Model):
    agent_id: Slug
    site_id: Slug
    policy: str
    """Path of the policy file (resolved against the config file's folder)."""
    mqtt: MqttConfig = MqttConfig()
    spool: SpoolConfig = SpoolConfig()
    report_batch: ReportBatchConfig = ReportBatchConfig()
    cameras: CamerasConfig
    interval_s: float = Field(default=60.0, gt=0)
    """Seconds from the start of one audit cycle to the start of the next."""
    timeout_s: float = Field(default=10.0, gt=0)
    """Seconds per ONVIF call."""
    max_concurrency: int = Field(default=64, ge=1, le=4096)
    """Cameras talked to at once."""
    full_snapshot_interval_s: float = Field(default=3600.0, ge=0)
    """Every camera is reported in full at least this often; in between, a
    camera whose facts and findings did not change travels in the cycle's
    heartbeat. 0: every cycle is a full snapshot."""

    discovery: DiscoveryConfig | None = None
    """Absent: audit the declared targets only."""

    @model_validator(mode="after")
    def _targets_or_discovery(self) -> AgentConfig:
        if not self.cameras.targets and self.discovery is None:
            # Reported at cameras.targets (file line of the list), where the fix usually is.
            problem = PydanticCustomError(
                "no_targets", "no targets and no discovery: give at least one target, "
                "or a discovery section")
            raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(
                type=problem, loc=("cameras", "targets"), input=self.cameras.targets)])
        return self

    @property
    def client_id(self) -> str:
        return self.mqtt.client_id or self.agent_id


def read_secret(path: Path, *, where: str) -> str:
    """The content of a password file without one trailing newline (editors
    add one; a password never ends in one). ConfigError names ``where`` (the
    file:line: field that named the file) when it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read {path}: {exc}") from None
    return text.removesuffix("\n").removesuffix("\r")


def camera_password(config: AgentConfig) -> str | None:
    """The cameras' password, read from the password file if one is named;
    None means audit anonymously."""
    if config.cameras.password_file is not None:
        return read_secret(Path(config.cameras.password_file), where="cameras.password_file")
    return config.cameras.password


def mqtt_password(config: AgentConfig) -> str | None:
    if config.mqtt.password_file is None:
        return None
    return read_secret(Path(config.mqtt.password_file), where="mqtt.password_file")


def _line_of_key(path: Path, *keys: str) -> int | None:
    """1-based line of a (nested) key in a YAML file already known to parse."""
    node: yaml.Node | None = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    line = None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return line
        for key_node, value_node in node.value:
            if key_node.value == key:
                node, line = value_node, value_node.start_mark.line + 1
                break
        else:
            return line
    return line


def _resolve(base: Path, value: str | None) -> str | None:
    if value is None:
        return None
    return str((base / Path(value).expanduser()).resolve())


def load_config_and_policy(path: Path) -> tuple[AgentConfig, Policy, Site]:
    """Load the configuration, its policy and its site; ConfigError (or
    PolicyError for the policy file itself) names file, line and field."""
    path = Path(path)
    raw = load_model(path, AgentConfig)
    base = path.parent
    config = raw.model_copy(
        update={
            "policy": _resolve(base, raw.policy),
            "mqtt": raw.mqtt.model_copy(
                update={
                    "password_file": _resolve(base, raw.mqtt.password_file),
                    "ca_file": _resolve(base, raw.mqtt.ca_file),
                }
            ),
            "spool": raw.spool.model_copy(update={"path": _resolve(base, raw.spool.path)}),
            "cameras": raw.cameras.model_copy(
                update={"password_file": _resolve(base, raw.cameras.password_file)}
            ),
        }
    )

    def where(*keys: str) -> str:
        return f"{path}:{_line_of_key(path, *keys)}: {'.'.join(keys)}"

    for keys, file in (
        (("cameras", "password_file"), config.cameras.password_file),
        (("mqtt", "password_file"), config.mqtt.password_file),
        (("mqtt", "ca_file"), config.mqtt.ca_file),
    ):
        if file is not None:
            read_secret(Path(file), where=where(*keys))
    if not Path(config.policy).is_file():
        raise ConfigError(f"{where('policy')}: no policy file at {config.policy}")
    policy = load_policy(Path(config.policy))
    try:
        site = policy.site(config.site_id)
    except KeyError:
        known = ", ".join(s.id for s in policy.sites)
        raise ConfigError(
            f"{where('site_id')}: site {config.site_id!r} is not in policy "
            f"{policy.policy_id} (its sites: {known})"
        ) from None
    return config, policy, site


def load_config(path: Path) -> AgentConfig:
    """Load and fully check an agent configuration (see the module docstring)."""
    return load_config_and_policy(path)[0]
