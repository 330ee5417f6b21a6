"""A throw-away CA and a server certificate for 127.0.0.1, made with openssl."""

from __future__ import annotations

import subprocess
from pathlib import Path

from camwarden.broker import BrokerTls


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def make_tls_files(folder: Path) -> BrokerTls:
    """CA (ca.pem) and a server certificate with subjectAltName IP:127.0.0.1,
    P-256 keys (fast to make), valid for two days."""
    folder.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=camwarden test CA", cwd=folder)
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=127.0.0.1", cwd=folder)
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext",
             cwd=folder)
    return BrokerTls(folder / "ca.pem", folder / "server.pem", folder / "server.key")
