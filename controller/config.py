"""The controller's configuration file, strict and complete at load time.

A wrong file is rejected whole by ``load_config`` with ``FILE:LINE: FIELD:
what is wrong`` (``schemas.errors.ConfigError``); nothing is half-applied.
Paths in the file (policies, the MQTT password file) are relative to the
file's own folder; ``load_config`` returns them absolute, and also loads
every policy so that a bad policy stops the controller before it starts.
See docs/controller.md for the format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from controller.auth import TokenEntry, Tokens, load_token_file
from schemas.base import Model
from schemas.errors import ConfigError
from schemas.policy import Policy
from schemas.policy_file import load_model, load_policy
from schemas.rules import Severity

Host = Annotated[str, StringConstraints(min_length=1, max_length=253)]


class DatabaseConfig(Model):
    url: Annotated[str, StringConstraints(pattern=r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://")]
    """An async SQLAlchemy URL: ``sqlite+aiosqlite:///FILE`` or
    ``postgresql+asyncpg://USER@HOST/DB``. A relative SQLite file is relative
    to the configuration file's folder."""


class MqttConfig(Model):
    host: Host = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    client_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = "controller-1"
    """Must differ between replicas: it names the replica's persistent session."""
    share_group: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = (
        "camwarden-controllers"
    )
    session_expiry_s: int = Field(default=86400, ge=0, le=4_294_967_295)
    """How long the broker keeps our session (and queues reports) while we are away."""
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    username: str | None = None
    password_file: str | None = None
    max_payload_bytes: int = Field(default=1_048_576, ge=1024)
    """A payload larger than this is quarantined unread."""
    tls: bool = False
    """TLS to the broker; verified against ``ca_file``, or the system's CAs."""
    ca_file: str | None = None
    """PEM file of the CA that signed the broker's certificate (relative to
    the configuration file)."""


class ApiConfig(Model):
    host: Host = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    """0 picks a free port; ``Controller.api_url`` tells which."""
    tokens: tuple[TokenEntry, ...] = ()
    """Admitted tokens by SHA-256 (``camwarden token new`` prints the line)."""
    token_files: tuple[str, ...] = ()
    """Files of ``NAME ROLE SHA256`` lines (relative to the configuration file)."""
    events_heartbeat_s: float = Field(default=15.0, gt=0)
    """The event stream sends a heartbeat this often when nothing changed."""
    events_buffer: int = Field(default=2000, ge=10)
    """Recent events kept for clients resuming with Last-Event-ID."""
    events_client_queue: int = Field(default=500, ge=10)
    """Events waiting for one slow client; a client this far behind is dropped."""


class WebhookConfig(Model):
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$")]
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    """Names the webhook in logs and in the delivery records: keep it stable."""
    min_severity: Severity = "info"
    """Alerts below this severity are not sent here."""
    secret_file: str | None = None
    """First line: the shared secret of the ``X-Camwarden-Signature`` HMAC-SHA256."""


class AlertsConfig(Model):
    mqtt: bool = True
    """Publish alerts on each site's alert topic (QoS 1)."""
    webhooks: tuple[WebhookConfig, ...] = ()
    max_attempts: int = Field(default=6, ge=1, le=100)
    """Tries per alert and webhook before giving up (logged and counted)."""
    backoff_initial_s: float = Field(default=0.5, gt=0)
    backoff_max_s: float = Field(default=30.0, gt=0)
    timeout_s: float = Field(default=10.0, gt=0)
    """One webhook POST's time limit."""
    rate_limit: int = Field(default=10, ge=1)
    """At most this many alerts per camera per ``rate_window_s``."""
    rate_window_s: float = Field(default=600.0, gt=0)
    escalate_after_s: float | None = Field(default=86400.0, gt=0)
    """A finding open and unacknowledged this long escalates (null: never)."""
    max_age_s: float = Field(default=86400.0, gt=0)
    """An alert not delivered this long after it was raised is no longer sent."""

    @model_validator(mode="after")
    def _unique_webhook_names(self) -> AlertsConfig:
        names = [w.name for w in self.webhooks]
        if len(set(names)) != len(names) or "mqtt" in names:
            raise ValueError("webhook names must be unique and not 'mqtt'")
        return self


class ReconcileConfig(Model):
    interval_s: float = Field(default=30.0, gt=0)
    """Every site is reconciled at least this often (silence is also news)."""
    stale_after_s: float = Field(default=900.0, gt=0)
    """An observation older than this makes its camera unreachable."""
    debounce_s: float = Field(default=0.5, ge=0)
    """After a cycle report or an agent birth/death, wait this long for more
    before reconciling the site, so a burst costs one reconcile."""
    agent_silent_intervals: float = Field(default=3.0, gt=0)


class ControllerConfig(Model):
    database: DatabaseConfig
    mqtt: MqttConfig = MqttConfig()
    policies: tuple[str, ...] = Field(min_length=1)
    """Policy files; absolute once ``load_config`` returned."""
    api: ApiConfig = ApiConfig()
    reconcile: ReconcileConfig = ReconcileConfig()
    alerts: AlertsConfig = AlertsConfig()

    @model_validator(mode="after")
    def _no_duplicate_policy_files(self) -> ControllerConfig:
        if len(set(self.policies)) != len(self.policies):
            raise ValueError("a policy file is listed twice")
        return self


def _absolute(base: Path, value: str) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _absolute_sqlite(base: Path, url: str) -> str:
    prefix = "sqlite+aiosqlite:///"
    if not url.startswith(prefix):
        return url
    rest = url[len(prefix) :]
    if not rest or rest.startswith((":memory:", "/")):
        return url
    return prefix + _absolute(base, rest)


def load_config(path: Path) -> ControllerConfig:
    """Read and validate a controller configuration file.

    Raises ConfigError naming the file, line and field; also when a policy it
    lists is wrong (PolicyError, naming the policy file), or when two
    policies declare the same site id."""
    config = load_model(Path(path), ControllerConfig)
    base = Path(path).resolve().parent
    mqtt = config.mqtt
    if mqtt.password_file is not None:
        mqtt = mqtt.model_copy(update={"password_file": _absolute(base, mqtt.password_file)})
    if mqtt.ca_file is not None:
        mqtt = mqtt.model_copy(update={"ca_file": _absolute(base, mqtt.ca_file)})
    api = config.api.model_copy(
        update={"token_files": tuple(_absolute(base, f) for f in config.api.token_files)}
    )
    hooks = tuple(
        w.model_copy(update={"secret_file": _absolute(base, w.secret_file)})
        if w.secret_file is not None
        else w
        for w in config.alerts.webhooks
    )
    config = config.model_copy(
        update={
            "policies": tuple(_absolute(base, p) for p in config.policies),
            "database": DatabaseConfig(url=_absolute_sqlite(base, config.database.url)),
            "mqtt": mqtt,
            "api": api,
            "alerts": config.alerts.model_copy(update={"webhooks": hooks}),
        }
    )
    load_policies(config)
    api_tokens(config.api)
    for hook in hooks:
        webhook_secret(hook)
    return config


def api_tokens(config: ApiConfig) -> Tokens:
    """Every admitted token (config and token files); ConfigError names a
    bad token file line or a token admitted twice."""
    entries = list(config.tokens)
    for path in config.token_files:
        entries += load_token_file(Path(path))
    return Tokens(entries)


def webhook_secret(config: WebhookConfig) -> bytes | None:
    """The webhook's shared secret (first line of ``secret_file``), or None."""
    if config.secret_file is None:
        return None
    try:
        secret = Path(config.secret_file).read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, IndexError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{config.secret_file}: cannot read the secret of webhook {config.name!r}: {exc}"
        ) from None
    if not secret:
        raise ConfigError(f"{config.secret_file}: the secret of webhook {config.name!r} is empty")
    return secret.encode()


def load_policies(config: ControllerConfig) -> tuple[Policy, ...]:
    """Every policy the configuration lists, validated; ConfigError when two
    of them declare the same site (a site id is the key of everything)."""
    policies = tuple(load_policy(Path(p)) for p in config.policies)
    owner: dict[str, str] = {}
    for policy in policies:
        for site in policy.sites:
            if site.id in owner:
                raise ConfigError(
                    f"site id {site.id!r} is declared by both policy {owner[site.id]!r} "
                    f"and policy {policy.policy_id!r}; site ids must be unique"
                )
            owner[site.id] = policy.policy_id
    return policies


def read_password(config: MqttConfig) -> str | None:
    """The MQTT password from ``password_file`` (first line), or None."""
    if config.password_file is None:
        return None
    try:
        return Path(config.password_file).read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config.password_file}: cannot read the MQTT password: {exc}") from None
