"""The agent's ONVIF client: the only place that speaks SOAP (zeep, lxml).

It returns our own models (``schemas.facts``), never zeep objects, and
absorbs vendor quirks once. Start here::

    async with OnvifClient(timeout=5.0) as onvif:
        collected = await onvif.collect("127.0.0.1:8080", Credentials("admin", "pw"))

The client is imported on first use of these names, so that a user of
``agent.onvif.wsdiscovery`` alone (``camwarden discover``) does not pay for
zeep.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.onvif.client import Collected, Credentials, OnvifClient

__all__ = ["Collected", "Credentials", "OnvifClient"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("agent.onvif.client"), name)
    raise AttributeError(f"module 'agent.onvif' has no attribute {name!r}")
