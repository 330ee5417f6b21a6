"""The small error tree. Callers act differently on each kind; nothing else
of ours is raised across a package boundary.
"""

from __future__ import annotations


class CamwardenError(Exception):
    """Base of every error camwarden raises on purpose."""


class ConfigError(CamwardenError):
    """A configuration or policy file is wrong. The message names the file,
    the line and the field."""


class PolicyError(ConfigError):
    """A policy file is wrong (see ConfigError)."""


class CameraError(CamwardenError):
    """Something went wrong talking to one camera. ``camera`` is the address
    reached (host:port) and ``operation`` the ONVIF operation, when known."""

    def __init__(self, message: str, *, camera: str = "", operation: str = "") -> None:
        self.camera = camera
        self.operation = operation
        where = " ".join(part for part in (camera, operation) if part)
        super().__init__(f"{where}: {message}" if where else message)


class CameraUnreachable(CameraError):
    """No answer at the transport level: refused, timed out, reset, DNS."""


class AuthFailed(CameraError):
    """The camera refused our credentials (NotAuthorized, HTTP 401)."""


class NotSupported(CameraError):
    """The camera does not offer this service or operation. A fact, not a
    failure: the matching facts are reported as unknown."""


class ProtocolError(CameraError):
    """The camera answered, but not with something we can read: malformed
    XML, an unexpected SOAP fault, an HTTP 500."""


class MessageError(CamwardenError):
    """A wire message failed validation (bad JSON, wrong schema, wrong topic)."""


class StoreError(CamwardenError):
    """The controller's database refused an operation."""
