"""A private Mosquitto for the demo and the tests.

Never a broker of our own: this writes a configuration file and runs the real
``mosquitto`` binary on a free loopback port.

Nothing may be dropped silently, so the limits that make Mosquitto drop are
set on purpose (docs/pipeline.md):

- ``max_queued_messages`` far above the default of 1000, past which it
  silently drops QoS 1 messages queued for a disconnected persistent session
  (a controller away for a minute at fleet scale queues far more);
- ``max_inflight_messages`` raised from 20 so that a controller, which acks
  a message only once its batch committed, gets whole batches in flight;
- ``max_packet_size`` bounds one message: a larger one is refused at the
  door (an MQTT 5 client learns the limit in CONNACK and paho refuses to
  send it, which the agent raises), never cut or lost in the middle.
  ``message_size_limit`` is its deprecated predecessor and is not used;
- ``autosave_interval 1``: sessions and queued messages are written to the
  persistence file every second (the default is 30 minutes), so a broker
  killed without warning comes back with its sessions. Mosquitto never
  fsyncs per message: a message it acknowledged in the last second before
  a SIGKILL and had not yet delivered can still be lost (docs/pipeline.md).

With ``auth`` the broker allows no anonymous client and enforces the
password and ACL files ``camwarden broker-config`` writes; with ``tls`` the
listener speaks TLS only.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from schemas.errors import CamwardenError

MAX_QUEUED_MESSAGES = 1_000_000
MAX_INFLIGHT_MESSAGES = 1000
MAX_PACKET_SIZE = 4 * 1024 * 1024
"""Bytes: four times the controller's default quarantine limit, so that an
oversized report reaches the controller and is quarantined with its reason."""


@dataclass(frozen=True, slots=True)
class BrokerAuth:
    """The password and ACL files of ``camwarden broker-config``."""

    password_file: Path
    acl_file: Path


@dataclass(frozen=True, slots=True)
class BrokerTls:
    """PEM files of a TLS listener: the CA that signed the server certificate
    (clients verify against it), the certificate and its key."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def _die_with_parent() -> None:
    """Run in the child before exec: on Linux, ask the kernel to send SIGTERM
    to the broker when the process that started it dies, however it dies
    (even SIGKILL), so that no broker is ever left behind."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def mosquitto_config(
    port: int,
    workdir: Path,
    *,
    host: str = "127.0.0.1",
    persistence: bool = True,
    auth: BrokerAuth | None = None,
    tls: BrokerTls | None = None,
) -> str:
    lines = [
        "per_listener_settings false",
        f"listener {port} {host}",
    ]
    if tls is not None:
        lines += [
            f"cafile {tls.ca_file}",
            f"certfile {tls.cert_file}",
            f"keyfile {tls.key_file}",
        ]
    if auth is not None:
        lines += [
            "allow_anonymous false",
            f"password_file {auth.password_file}",
            f"acl_file {auth.acl_file}",
        ]
    else:
        lines.append("allow_anonymous true")
    lines += [
        f"max_queued_messages {MAX_QUEUED_MESSAGES}",
        "max_queued_bytes 0",
        f"max_inflight_messages {MAX_INFLIGHT_MESSAGES}",
        f"max_packet_size {MAX_PACKET_SIZE}",
        "persistent_client_expiration 14d",
        "autosave_interval 1",
        f"persistence {'true' if persistence else 'false'}",
        f"persistence_location {workdir}/",
        f"log_dest file {workdir / 'mosquitto.log'}",
        "log_type error",
        "log_type warning",
        "log_type notice",
    ]
    if os.geteuid() == 0:
        # As root Mosquitto drops privileges to "mosquitto" unless told not to,
        # and then cannot write into our folder.
        lines.append("user root")
    return "\n".join(lines) + "\n"


@dataclass
class Mosquitto:
    """``with Mosquitto(workdir) as broker:`` runs a broker until the block ends.

    ``stop()`` and ``start()`` may be called inside the block (a broker
    restart keeps the port and, with persistence, the sessions).
    """

    workdir: Path
    host: str = "127.0.0.1"
    port: int = 0
    persistence: bool = True
    auth: BrokerAuth | None = None
    tls: BrokerTls | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
        )
        if binary is None:
            raise CamwardenError("mosquitto is not installed (Debian: apt-get install mosquitto)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port(self.host)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            mosquitto_config(
                self.port,
                self.workdir,
                host=self.host,
                persistence=self.persistence,
                auth=self.auth,
                tls=self.tls,
            )
        )
        self.process = subprocess.Popen(
            [binary, "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                log = self.workdir / "mosquitto.log"
                detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise CamwardenError(
                    f"mosquitto exited with {self.process.returncode}: {err}{detail}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise CamwardenError(
            f"mosquitto did not listen on {self.host}:{self.port} within {timeout}s"
        )

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def __enter__(self) -> Mosquitto:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
